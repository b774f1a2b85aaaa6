//! Cost of the analog periphery: the ideal forward `y = x W` (`linalg::gemm`) against the PCM
//! tile's forward with every non-ideality on (DAC, output noise, bound, ADC, drift compensation):
//!
//!     cargo run --release -q -p snu-core --example pcm_forward
//!
//! Two ways to call the tile are timed: the engine's (`quantize_inputs`, the engine's own
//! `gemm` with `weights()`, `finish_outputs`, buffers reused across calls) and the convenience
//! `AnalogTile::forward` (allocates its input buffer each call). Dense inputs in [-1, 1] go
//! through the full DAC; 0/1 spike inputs take its copy path. Prints the fastest and the median
//! of repeated runs and their ratios to the ideal product.

use snu_core::kernels::linalg::{gemm, Mat};
use snu_core::kernels::rng::Rng;
use snu_core::pcm::{AnalogTile, PcmConfig};
use std::hint::black_box;
use std::time::{Duration, Instant};

const TARGET: Duration = Duration::from_millis(1500);

/// (fastest, median) seconds per call of `f`, after one warm-up call. On a machine shared
/// with other jobs the fastest run is the better estimate of the cost itself.
fn time(mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut times = vec![];
    let start = Instant::now();
    while start.elapsed() < TARGET || times.len() < 5 {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[0], times[times.len() / 2])
}

fn case(name: &str, k: usize, n: usize, rows: usize, spikes: bool) {
    let mut rng = Rng::new(1);
    let w: Vec<f32> = (0..k * n)
        .map(|_| rng.uniform_range(-0.3, 0.3) as f32)
        .collect();
    let x: Vec<f32> = (0..rows * k)
        .map(|_| {
            if spikes {
                (rng.uniform() < 0.2) as u8 as f32
            } else {
                rng.uniform_range(-1.0, 1.0) as f32
            }
        })
        .collect();
    let mut tile = AnalogTile::new(k, n, PcmConfig::default(), 7).unwrap();
    tile.program(&w).unwrap();
    tile.set_time(3600.0).unwrap(); // drift, read noise and alpha != 1
    let mut y = vec![0f32; rows * n];

    let ideal = time(|| {
        gemm(
            1.0,
            Mat::new(&x, rows, k),
            false,
            Mat::new(&w, k, n),
            false,
            0.0,
            &mut y,
        );
        black_box(&y);
    });
    let mut xq = Vec::new();
    let mut counter = 0u64;
    let engine = time(|| {
        let scales = tile.quantize_inputs(&x, rows, &mut xq);
        gemm(
            1.0,
            Mat::new(&xq, rows, k),
            false,
            Mat::new(tile.weights(), k, n),
            false,
            0.0,
            &mut y,
        );
        tile.finish_outputs(&mut y, rows, &scales, counter);
        counter += 1;
        black_box(&y);
    });
    let forward = time(|| {
        tile.forward(&x, rows, &mut y, counter).unwrap();
        counter += 1;
        black_box(&y);
    });
    // The two periphery stages alone.
    let scales = tile.quantize_inputs(&x, rows, &mut xq);
    let dac = time(|| {
        black_box(tile.quantize_inputs(&x, rows, &mut xq));
    });
    let adc = time(|| {
        tile.finish_outputs(&mut y, rows, &scales, counter);
        counter += 1;
    });
    let ms = |t: (f64, f64)| format!("{:7.3}/{:7.3}", t.0 * 1e3, t.1 * 1e3);
    println!(
        "{name:<30} ideal {} ms | engine path {} ms ({:.2}x/{:.2}x) | forward {} ms ({:.2}x/{:.2}x) | DAC {} ms, ADC+noise {} ms",
        ms(ideal),
        ms(engine),
        engine.0 / ideal.0,
        engine.1 / ideal.1,
        ms(forward),
        forward.0 / ideal.0,
        forward.1 / ideal.1,
        ms(dac),
        ms(adc),
    );
}

fn main() {
    println!(
        "threads: {}; times are fastest/median of repeated calls, ratios to the ideal product",
        rayon::current_num_threads()
    );
    case("k=150 n=88 rows=8000 dense", 150, 88, 8000, false);
    case("k=150 n=88 rows=8000 spikes", 150, 88, 8000, true);
    case("k=512 n=512 rows=8000 dense", 512, 512, 8000, false);
    case("k=512 n=512 rows=8000 spikes", 512, 512, 8000, true);
}
