//! Global drift compensation (docs/design.md §3; aihwkit `GlobalDriftCompensation`): the periphery reads
//! the tile with a known input right after programming and again at the inference time, and
//! scales every output by the ratio of the two read-outs:
//!
//! ```text
//! alpha = mean|Y(0)| / mean|Y(t)|,    Y(t) = P · W(t)      (P: probe rows, W(t): device weights)
//! ```
//!
//! The probe is all ones (column sums, as aihwkit) or a seeded set of ±1 vectors. The read-out
//! goes through the devices only (no periphery noise): `alpha` then reflects the drift and read
//! noise of the devices, which is what it corrects.

use super::config::Probe;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::rng::Rng;

/// The probe rows (`vectors x k`) and their count.
pub fn probe_rows(probe: Probe, k: usize, rng: &mut Rng) -> (Vec<f32>, usize) {
    match probe {
        Probe::Ones => (vec![1.0; k], 1),
        Probe::RandomSigns(v) => {
            let rows = (0..v * k)
                .map(|_| if rng.next_u64() >> 63 == 0 { 1.0 } else { -1.0 })
                .collect();
            (rows, v)
        }
    }
}

/// `mean|P W|` for probe rows `p` (`vectors x k`) and weights `w` (`k x n`), summed in f64.
pub fn mean_abs_response(p: &[f32], vectors: usize, w: &[f32], k: usize, n: usize) -> f64 {
    if vectors == 0 || k == 0 || n == 0 {
        return 0.0;
    }
    let mut y = vec![0f32; vectors * n];
    gemm(
        1.0,
        Mat::new(p, vectors, k),
        false,
        Mat::new(w, k, n),
        false,
        0.0,
        &mut y,
    );
    y.iter().map(|v| v.abs() as f64).sum::<f64>() / y.len() as f64
}

/// `alpha = reference / now`; 1 when either read-out is 0 (an all-zero tile has nothing to
/// compensate) or not finite.
pub fn alpha(reference: f64, now: f64) -> f32 {
    let a = reference / now;
    if reference > 0.0 && now > 0.0 && a.is_finite() {
        a as f32
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_decay_is_undone_exactly() {
        let w = [0.5f32, -1.0, 0.25, 2.0, -0.75, 1.5];
        let (p, v) = probe_rows(Probe::Ones, 3, &mut Rng::new(1));
        let y0 = mean_abs_response(&p, v, &w, 3, 2);
        let decayed: Vec<f32> = w.iter().map(|x| x * 0.8).collect();
        let yt = mean_abs_response(&p, v, &decayed, 3, 2);
        assert!((alpha(y0, yt) - 1.25).abs() < 1e-6);
        assert_eq!(alpha(0.0, 0.0), 1.0);
    }
}
