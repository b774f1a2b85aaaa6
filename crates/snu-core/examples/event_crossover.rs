//! Measures where the event-driven spike products stop beating the dense matrix product.
//!
//!     cargo run --release -p snu-core --example event_crossover
//!     SHAPE=700x200x10000 cargo run --release -p snu-core --example event_crossover
//!
//! For each shape and spike density it times `X W` and `Xᵀ D` both ways and prints the ratio
//! dense time / event-driven time (above 1: event-driven is faster). The density where the
//! ratio crosses 1 sets `layers::product::EVENT_FORWARD_MAX_DENSITY` and
//! `EVENT_WEIGHT_GRAD_MAX_DENSITY`.
use snu_core::kernels::event::{spikes_t_times, spikes_times};
use snu_core::kernels::linalg::{gemm, Mat};
use snu_core::kernels::rng::Rng;
use snu_core::kernels::spikes::SpikeMatrix;
use std::time::Instant;

fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times = vec![];
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed().as_secs_f64() < 0.3 && times.len() < 200) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn main() {
    // SHAPE=ROWSxINxN measures one shape (e.g. SHAPE=700x200x10000, a language model's output layer).
    let shapes: Vec<(usize, usize, usize)> = match std::env::var("SHAPE") {
        Ok(s) => {
            let v: Vec<usize> = s
                .split('x')
                .map(|p| p.parse().expect("SHAPE is ROWSxINxN"))
                .collect();
            vec![(v[0], v[1], v[2])]
        }
        Err(_) => vec![
            (1280, 784, 256),
            (1280, 256, 256),
            (8000, 1024, 1024),
            (8000, 4096, 4096),
        ],
    };
    let densities = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
    println!("rows x in x n        density  forward dense/event  weight-grad dense/event");
    let mut rng = Rng::new(1);
    for &(rows, k, n) in &shapes {
        let w: Vec<f32> = (0..k * n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let d: Vec<f32> = (0..rows * n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let mut out = vec![0f32; rows * n];
        let mut dw = vec![0f32; k * n];
        for &density in &densities {
            let xv: Vec<f32> = (0..rows * k)
                .map(|_| (rng.uniform() < density) as u8 as f32)
                .collect();
            let mut x = SpikeMatrix::default();
            x.pack(&xv, rows, k);
            let dense_f = median_seconds(|| {
                gemm(
                    1.0,
                    Mat::new(&xv, rows, k),
                    false,
                    Mat::new(&w, k, n),
                    false,
                    0.0,
                    &mut out,
                )
            });
            let event_f = median_seconds(|| spikes_times(&x, &w, n, &mut out));
            let dense_b = median_seconds(|| {
                gemm(
                    1.0,
                    Mat::new(&xv, rows, k),
                    true,
                    Mat::new(&d, rows, n),
                    false,
                    1.0,
                    &mut dw,
                )
            });
            let event_b = median_seconds(|| spikes_t_times(&x, 0, rows, &d, n, &mut dw));
            println!(
                "{:<20} {density:>7.2}  {:>19.2}  {:>23.2}   (event fwd {:.1} ms, dense fwd {:.1} ms)",
                format!("{rows}x{k}x{n}"),
                dense_f / event_f,
                dense_b / event_b, event_f * 1e3, dense_f * 1e3
            );
        }
    }
}
