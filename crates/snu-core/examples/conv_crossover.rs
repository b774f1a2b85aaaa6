//! Measures where the event-driven convolution of spike inputs stops beating the dense kernels.
//!
//!     cargo run --release -p snu-core --example conv_crossover
//!
//! For each convolution and spike density it times the forward pass and the weight gradient
//! event-driven and with each dense kernel this CPU has (im2col, and the direct kernel where it
//! applies; the dense time includes unpacking the bits, as the layers do) and prints the ratio
//! dense time / event-driven time (above 1: event-driven is faster). Where the ratios cross 1
//! sets `event_max_density` and `CONV_EVENT_MIN_TAPS` in `layers/conv_product.rs`.
use snu_core::kernels::conv::{
    conv_forward_spikes, conv_forward_with, conv_weight_grad_spikes, conv_weight_grad_with,
    transpose_kernel, ConvGeometry, ConvKernel,
};
use snu_core::kernels::rng::Rng;
use snu_core::kernels::spikes::SpikeMatrix;
use std::time::Instant;

fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times = vec![];
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed().as_secs_f64() < 0.3 && times.len() < 100) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn main() {
    let conv = |c, hw, o, k, pad| ConvGeometry {
        in_c: c,
        in_h: hw,
        in_w: hw,
        out_c: o,
        kernel: [k, k],
        stride: [1, 1],
        padding: [pad, pad],
        dilation: [1, 1],
    };
    let shapes = [
        ("MNIST input, 16 filters 5x5", conv(1, 28, 16, 5, 2)),
        ("16 x 14x14 spikes, 32 filters 5x5", conv(16, 14, 32, 5, 2)),
        ("32 x 14x14 spikes, 32 filters 3x3", conv(32, 14, 32, 3, 1)),
        ("16 x 14x14 spikes, 16 filters 5x5", conv(16, 14, 16, 5, 2)),
        ("MNIST input, 64 filters 5x5", conv(1, 28, 64, 5, 2)),
        ("32 x 7x7 spikes, 64 filters 3x3", conv(32, 7, 64, 3, 1)),
    ];
    let rows = 640;
    let mut rng = Rng::new(1);
    println!("rows {rows}; ratio = dense time / event-driven time (> 1: event-driven faster), against each dense kernel");
    let kernels = |g: &ConvGeometry| {
        let best = ConvKernel::best(g);
        if best == ConvKernel::Im2col {
            vec![best]
        } else {
            vec![ConvKernel::Im2col, best]
        }
    };
    println!(
        "{:<36} {:<16} {:>8} {:>10} {:>10}",
        "convolution", "dense kernel", "density", "forward", "dW"
    );
    for (name, g) in shapes {
        let w: Vec<f32> = (0..g.out_c * g.patch_len())
            .map(|_| rng.uniform_range(-0.1, 0.1) as f32)
            .collect();
        let dy: Vec<f32> = (0..rows * g.out_len())
            .map(|_| rng.uniform_range(-1.0, 1.0) as f32)
            .collect();
        for density in [0.01, 0.02, 0.05, 0.1, 0.2, 0.3] {
            let x: Vec<f32> = (0..rows * g.in_len())
                .map(|_| (rng.uniform() < density) as u8 as f32)
                .collect();
            let mut bits = SpikeMatrix::default();
            bits.pack(&x, rows, g.in_len());
            let mut values = vec![0.0f32; x.len()];
            let mut y = vec![0.0f32; rows * g.out_len()];
            let mut dw = vec![0.0f32; w.len()];
            let event_fwd = median_seconds(|| {
                conv_forward_spikes(&g, &bits, &transpose_kernel(&g, &w), &mut y)
            });
            let event_dw = median_seconds(|| conv_weight_grad_spikes(&g, &bits, &dy, &mut dw));
            for kernel in kernels(&g) {
                let dense_fwd = median_seconds(|| {
                    bits.unpack(&mut values);
                    conv_forward_with(kernel, &g, &values, rows, &w, &mut y);
                });
                let dense_dw = median_seconds(|| {
                    bits.unpack(&mut values);
                    conv_weight_grad_with(kernel, &g, &values, rows, &dy, &mut dw);
                });
                println!(
                    "{name:<36} {:<16} {density:>8.2} {:>9.2}x {:>9.2}x",
                    format!("{kernel:?}"),
                    dense_fwd / event_fwd,
                    dense_dw / event_dw
                );
            }
        }
    }
}
