//! Raw matrix-multiply reference for the benchmarks (benchmarks/run.mjs):
//!
//!     cargo run --release -q -p snu-core --example gemm_peak -- <flops>
//!
//! Times one square product C = A B with n = round(cbrt(flops / 2)) (at least 64), i.e. one
//! product doing about the same dense work as one call of the workload, and prints one JSON
//! line `{"gflops": <median GFLOP/s>, "n": n, ...}`.
//!
//! It goes through `snu_core::kernels::linalg::gemm` on purpose, not through a BLAS of its own, so
//! that it measures whatever matrix-multiply crate (and threading) snu itself runs on: the
//! ratio snu/gemm in the benchmark table then says how close snu gets to its own backend's
//! peak, not to some other library's.

use snu_core::kernels::linalg::{gemm, Mat};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Timed repetitions last about this long (after one warm-up product).
const TARGET: Duration = Duration::from_secs(2);

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: gemm_peak <flops>   (dense FLOPs of one workload call)");
        std::process::exit(2);
    });
    let flops: f64 = arg.parse().unwrap_or_else(|_| {
        eprintln!("gemm_peak: not a number: {arg}");
        std::process::exit(2);
    });
    // An n x n by n x n product is 2 n^3 floating-point operations.
    let n = ((flops / 2.0).cbrt().round() as usize).max(64);

    // Deterministic, non-trivial values in [-0.5, 0.5): no zeros or denormals that could make
    // the timing depend on the data, and the same numbers on every run.
    let fill = |seed: usize| -> Vec<f32> {
        (0..n * n)
            .map(|i| (((i * 7919 + seed) % 1000) as f32) / 1000.0 - 0.5)
            .collect()
    };
    let a = fill(1);
    let b = fill(2);
    let mut c = vec![0f32; n * n];
    let mut product = || {
        gemm(
            1.0,
            Mat::new(&a, n, n),
            false,
            Mat::new(&b, n, n),
            false,
            0.0,
            &mut c,
        );
        black_box(c[n * n / 2]);
    };

    // Warm-up: starts the backend's thread pool, faults in C's pages, warms the caches.
    let t0 = Instant::now();
    product();
    let warmup = t0.elapsed();

    // At least 3 timed products for a median, unless one product alone outlasts the target
    // (the largest workloads: a minute of repetitions would tell little more than one).
    let min_reps = if warmup >= TARGET { 1 } else { 3 };
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < min_reps || started.elapsed() < TARGET {
        let t = Instant::now();
        product();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|p, q| p.partial_cmp(q).unwrap());
    let median = times[times.len() / 2];
    let work = 2.0 * (n as f64).powi(3);
    println!(
        "{{\"gflops\":{:.3},\"n\":{},\"secondsPerProduct\":{:.6},\"repetitions\":{},\"warmupSeconds\":{:.3}}}",
        work / median / 1e9,
        n,
        median,
        times.len(),
        warmup.as_secs_f64()
    );
}
