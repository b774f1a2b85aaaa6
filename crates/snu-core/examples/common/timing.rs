//! Timing shared by the examples that time a whole step.

use std::time::Instant;

/// Median of `n` timed calls after one warm-up (the machine is shared: medians are steadier).
pub fn median_seconds(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}
