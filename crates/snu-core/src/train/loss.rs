//! Losses over the readout `o` (`rows x n`) and target `t` of the same shape (one class id
//! per row for the sparse softmax cross-entropy). Each is the mean over rows of a per-row
//! loss; rows marked invalid (padding) count for nothing. The gradient is written to `grad`.

use crate::kernels::fastmath::{exp, flush_subnormal};
use crate::kernels::simd::simd_kernel;
use crate::layers::activation::sigmoid;
use crate::spec::{LossReduction, LossSpec};
use rayon::prelude::*;

/// Probabilities are clamped to [EPS, 1 - EPS] before a log.
pub const PROB_EPS: f32 = 1e-7;

/// Target values per row: `n`, or one class id for the sparse softmax cross-entropy.
pub fn target_width(spec: LossSpec, n: usize) -> usize {
    match spec {
        LossSpec::SparseSoftmaxCrossEntropy => 1,
        _ => n,
    }
}

/// Returns the loss `(1/|valid|) Σ_{valid r} L_r` (accumulated in f64) and writes `dL/do`
/// into `grad` (zero on invalid rows). `valid: None` means every row.
pub fn loss_and_grad(
    spec: LossSpec,
    out: &[f32],
    target: &[f32],
    n: usize,
    valid: Option<&[bool]>,
    grad: &mut Vec<f32>,
) -> f64 {
    loss_and_reduced_grad(spec, LossReduction::Mean, out, target, n, valid, grad)
}

/// `loss_and_grad` with the gradient of the reduction asked for: of the mean over the valid
/// rows, or of their sum (`∇ Σ_r L_r`: each row's gradient unscaled). The loss returned is
/// the mean either way.
pub fn loss_and_reduced_grad(
    spec: LossSpec,
    reduction: LossReduction,
    out: &[f32],
    target: &[f32],
    n: usize,
    valid: Option<&[bool]>,
    grad: &mut Vec<f32>,
) -> f64 {
    let rows = out.len() / n;
    grad.clear();
    crate::error::resize_or_oom(grad, out.len(), 0.0);
    let counted = valid.map_or(rows, |v| v.iter().filter(|&&v| v).count());
    if counted == 0 {
        return 0.0;
    }
    let inv_rows = 1.0 / counted as f64;
    let scale = match reduction {
        LossReduction::Mean => inv_rows,
        LossReduction::Sum => 1.0,
    };
    let tw = target_width(spec, n);
    // Rows are independent: each task writes its rows' gradient and loss; the losses are then
    // summed in row order, so the result does not depend on the number of threads.
    let mut row_loss = vec![0f64; rows];
    let rows_per_task = if rows * n < PARALLEL_MIN_ELEMENTS {
        rows
    } else {
        rows.div_ceil(4 * rayon::current_num_threads())
    }
    .max(1);
    grad.par_chunks_mut(rows_per_task * n)
        .zip(row_loss.par_chunks_mut(rows_per_task))
        .enumerate()
        .for_each(|(task, (g, l))| {
            let first = task * rows_per_task;
            for (i, (g, l)) in g.chunks_exact_mut(n).zip(l.iter_mut()).enumerate() {
                let r = first + i;
                if valid.is_some_and(|v| !v[r]) {
                    continue;
                }
                let (o, t) = (&out[r * n..(r + 1) * n], &target[r * tw..(r + 1) * tw]);
                *l = match spec {
                    LossSpec::SoftmaxCrossEntropy => softmax_ce_row(o, t, g, scale),
                    LossSpec::SparseSoftmaxCrossEntropy => {
                        sparse_softmax_ce_row(o, t[0] as usize, g, scale)
                    }
                    LossSpec::BinaryCrossEntropy { from_logits: true } => {
                        bce_logits_row(o, t, g, scale)
                    }
                    LossSpec::BinaryCrossEntropy { from_logits: false } => {
                        bce_prob_row(o, t, g, scale)
                    }
                    LossSpec::Mse => mse_row(o, t, g, scale),
                };
            }
        });
    row_loss.iter().sum::<f64>() * inv_rows
}

/// Below this many output elements the loss runs on the calling thread.
const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

simd_kernel! {
    /// `L = lse(o) - o_c`;  `dL/do_k = p_k - [k = c]`,  `p = softmax(o)`. The class `c` is
    /// checked to lie in `0..n` before any loss is computed.
    fn sparse_softmax_ce_row(o: &[f32], c: usize, g: &mut [f32], scale: f64) -> f64 {
        let m = o.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // e^(o_k - m) in f32 into g (vectorised over a 10k-word vocabulary), summed in f64
        // in 8 lanes (a plain f64 fold would serialise the loop).
        let mut lanes = [0f64; 8];
        let (mut gc, mut oc) = (g.chunks_exact_mut(8), o.chunks_exact(8));
        for (gs, os) in (&mut gc).zip(&mut oc) {
            for j in 0..8 {
                gs[j] = exp(os[j] - m);
                lanes[j] += gs[j] as f64;
            }
        }
        for (gk, &v) in gc.into_remainder().iter_mut().zip(oc.remainder()) {
            *gk = exp(v - m);
            lanes[0] += *gk as f64;
        }
        let z: f64 = lanes.iter().sum();
        let lse = m as f64 + z.ln();
        let k = (scale / z) as f32;
        // Flushed below the smallest normal f32: the gradient of an unlikely word would otherwise be
        // subnormal and slow the two matrix products it enters (see `fastmath::sigmoid`).
        g.iter_mut().for_each(|gk| *gk = flush_subnormal(*gk * k));
        g[c] -= scale as f32;
        lse - o[c] as f64
    }
}

/// `L = sum_k t_k (lse(o) - o_k)`;  `dL/do_k = p_k sum_j t_j - t_k`,  `p = softmax(o)`.
fn softmax_ce_row(o: &[f32], t: &[f32], g: &mut [f32], scale: f64) -> f64 {
    let m = o.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let z: f64 = o.iter().map(|&v| (v as f64 - m).exp()).sum();
    let lse = m + z.ln();
    let t_sum: f64 = t.iter().map(|&v| v as f64).sum();
    let mut loss = 0.0;
    for k in 0..o.len() {
        let p = (o[k] as f64 - lse).exp();
        loss += t[k] as f64 * (lse - o[k] as f64);
        g[k] = ((p * t_sum - t[k] as f64) * scale) as f32;
    }
    loss
}

/// `L = sum_k max(o,0) - o t + ln(1 + e^-|o|)`;  `dL/do = sigma(o) - t`.
fn bce_logits_row(o: &[f32], t: &[f32], g: &mut [f32], scale: f64) -> f64 {
    let mut loss = 0.0;
    for k in 0..o.len() {
        let (x, y) = (o[k] as f64, t[k] as f64);
        loss += x.max(0.0) - x * y + (-x.abs()).exp().ln_1p();
        g[k] = ((sigmoid(o[k]) as f64 - y) * scale) as f32;
    }
    loss
}

/// `L = -sum_k t ln p + (1 - t) ln(1 - p)`, `p = clamp(o, eps, 1 - eps)`;
/// `dL/dp = (p - t) / (p (1 - p))`, zero where the clamp is active.
fn bce_prob_row(o: &[f32], t: &[f32], g: &mut [f32], scale: f64) -> f64 {
    let mut loss = 0.0;
    for k in 0..o.len() {
        let p = o[k].clamp(PROB_EPS, 1.0 - PROB_EPS) as f64;
        let y = t[k] as f64;
        loss -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
        let inside = o[k] > PROB_EPS && o[k] < 1.0 - PROB_EPS;
        g[k] = if inside {
            ((p - y) / (p * (1.0 - p)) * scale) as f32
        } else {
            0.0
        };
    }
    loss
}

/// `L = (1/n) sum_k (o_k - t_k)^2`;  `dL/do_k = 2 (o_k - t_k) / n`.
fn mse_row(o: &[f32], t: &[f32], g: &mut [f32], scale: f64) -> f64 {
    let n = o.len() as f64;
    let mut loss = 0.0;
    for k in 0..o.len() {
        let d = o[k] as f64 - t[k] as f64;
        loss += d * d / n;
        g[k] = (2.0 * d / n * scale) as f32;
    }
    loss
}

/// The readout `out` (rows of `n`) as the probabilities the loss reads it as, in place:
/// ```text
/// softmaxCrossEntropy, sparseSoftmaxCrossEntropy   p = softmax(o) per row
/// binaryCrossEntropy { fromLogits: true }          p = sigmoid(o) per value
/// binaryCrossEntropy { fromLogits: false }         p = o (already probabilities)
/// ```
/// `mse` reads the outputs as values, not probabilities: an error.
pub fn to_probabilities(spec: LossSpec, out: &mut [f32], n: usize) -> crate::error::Result<()> {
    match spec {
        LossSpec::SoftmaxCrossEntropy | LossSpec::SparseSoftmaxCrossEntropy => {
            for row in out.chunks_exact_mut(n) {
                let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
                let z: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
                row.iter_mut()
                    .for_each(|v| *v = ((*v as f64 - m).exp() / z) as f32);
            }
        }
        LossSpec::BinaryCrossEntropy { from_logits: true } => {
            out.iter_mut().for_each(|v| *v = sigmoid(*v));
        }
        LossSpec::BinaryCrossEntropy { from_logits: false } => {}
        LossSpec::Mse => crate::bail!(
            "the mse loss reads the outputs as values, not as probabilities or logits: use predict"
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_loss_gradient_matches_finite_differences() {
        let n = 4;
        let out = vec![0.2f32, 0.7, 0.1, 0.45, 0.9, 0.3, 0.55, 0.05];
        let target = vec![0.0f32, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        for spec in [
            LossSpec::SoftmaxCrossEntropy,
            LossSpec::BinaryCrossEntropy { from_logits: true },
            LossSpec::BinaryCrossEntropy { from_logits: false },
            LossSpec::Mse,
        ] {
            let mut g = vec![];
            loss_and_grad(spec, &out, &target, n, None, &mut g);
            for k in 0..out.len() {
                let h = 1e-3f32;
                let (mut up, mut dn) = (out.clone(), out.clone());
                up[k] += h;
                dn[k] -= h;
                let mut tmp = vec![];
                let fd = (loss_and_grad(spec, &up, &target, n, None, &mut tmp)
                    - loss_and_grad(spec, &dn, &target, n, None, &mut tmp))
                    / (2.0 * h as f64);
                assert!(
                    (fd - g[k] as f64).abs() < 1e-3 * (1.0 + fd.abs()),
                    "{spec:?} k={k}: fd {fd} vs {}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn sparse_softmax_ce_equals_the_one_hot_loss_and_skips_invalid_rows() {
        let (n, out) = (
            4,
            vec![
                0.2f32, 0.7, -1.1, 0.45, 0.9, 0.3, 0.55, -0.05, 2.0, -3.0, 0.0, 1.0,
            ],
        );
        let ids = [1.0f32, 3.0, 0.0];
        let mut one_hot = vec![0f32; 12];
        ids.iter()
            .enumerate()
            .for_each(|(r, &c)| one_hot[r * n + c as usize] = 1.0);
        let (mut gs, mut gd) = (vec![], vec![]);
        let ls = loss_and_grad(
            LossSpec::SparseSoftmaxCrossEntropy,
            &out,
            &ids,
            n,
            None,
            &mut gs,
        );
        let ld = loss_and_grad(
            LossSpec::SoftmaxCrossEntropy,
            &out,
            &one_hot,
            n,
            None,
            &mut gd,
        );
        assert!((ls - ld).abs() < 1e-6, "{ls} vs {ld}");
        gs.iter()
            .zip(&gd)
            .for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "{a} vs {b}"));
        // Row 1 invalid: the loss is the mean of rows 0 and 2, and row 1 gets no gradient.
        let valid = [true, false, true];
        let lv = loss_and_grad(
            LossSpec::SparseSoftmaxCrossEntropy,
            &out,
            &ids,
            n,
            Some(&valid),
            &mut gs,
        );
        let (mut g0, mut g2) = (vec![], vec![]);
        let l0 = loss_and_grad(
            LossSpec::SparseSoftmaxCrossEntropy,
            &out[..4],
            &ids[..1],
            n,
            None,
            &mut g0,
        );
        let l2 = loss_and_grad(
            LossSpec::SparseSoftmaxCrossEntropy,
            &out[8..],
            &ids[2..],
            n,
            None,
            &mut g2,
        );
        assert!((lv - (l0 + l2) / 2.0).abs() < 1e-6);
        assert!(gs[4..8].iter().all(|&g| g == 0.0));
        gs[..4]
            .iter()
            .zip(&g0)
            .for_each(|(a, b)| assert!((a - b / 2.0).abs() < 1e-7));
    }

    #[test]
    fn bce_on_probabilities_is_the_music_nll() {
        // One frame of 3 keys, key 0 on: NLL = -(ln 0.8 + ln(1 - 0.1) + ln(1 - 0.3)).
        let mut g = vec![];
        let l = loss_and_grad(
            LossSpec::BinaryCrossEntropy { from_logits: false },
            &[0.8, 0.1, 0.3],
            &[1.0, 0.0, 0.0],
            3,
            None,
            &mut g,
        );
        let want = -(0.8f64.ln() + 0.9f64.ln() + 0.7f64.ln());
        assert!((l - want).abs() < 1e-6);
    }

    #[test]
    fn a_large_sparse_softmax_split_over_threads_matches_a_plain_f64_reference() {
        // 300 x 1000 elements: above PARALLEL_MIN_ELEMENTS, so rows are split over tasks.
        let (rows, n) = (300, 1000);
        let out: Vec<f32> = (0..rows * n)
            .map(|i| ((i * 7919 % 2003) as f32 - 1001.0) / 97.0)
            .collect();
        let target: Vec<f32> = (0..rows).map(|r| ((r * 31) % n) as f32).collect();
        let valid: Vec<bool> = (0..rows).map(|r| r % 7 != 3).collect();
        let mut grad = vec![];
        let loss = loss_and_grad(
            LossSpec::SparseSoftmaxCrossEntropy,
            &out,
            &target,
            n,
            Some(&valid),
            &mut grad,
        );
        let counted = valid.iter().filter(|&&v| v).count() as f64;
        let mut want = 0.0;
        for r in (0..rows).filter(|&r| valid[r]) {
            let o = &out[r * n..(r + 1) * n];
            let lse = o.iter().map(|&v| (v as f64).exp()).sum::<f64>().ln();
            want += lse - o[target[r] as usize] as f64;
            for k in 0..n {
                let p = (o[k] as f64 - lse).exp() - (k == target[r] as usize) as u8 as f64;
                assert!(
                    (grad[r * n + k] as f64 - p / counted).abs() < 1e-8,
                    "gradient row {r} class {k}"
                );
            }
        }
        assert!(
            (loss - want / counted).abs() < 1e-5 * want / counted,
            "loss {loss} vs {}",
            want / counted
        );
        assert!(
            grad[3 * n..4 * n].iter().all(|&g| g == 0.0),
            "an invalid row has no gradient"
        );
    }

    #[test]
    fn an_unlikely_word_gets_a_zero_gradient_not_a_subnormal_one() {
        // Logits 0, -60, -95, -150 at a 1/700 scale: e^-95/700 and e^-150/700 are below the
        // smallest normal f32; e^-60/700 (1.2e-29) is not and must stay.
        let o = [0.0f32, -60.0, -95.0, -150.0];
        let mut g = [0f32; 4];
        let loss = sparse_softmax_ce_row(&o, 0, &mut g, 1.0 / 700.0);
        assert!(g.iter().all(|v| *v == 0.0 || v.is_normal()), "{g:?}");
        assert_eq!((g[2], g[3]), (0.0, 0.0));
        let p1 = (-60f64).exp() / 700.0;
        assert!((g[1] as f64 - p1).abs() <= 1e-5 * p1, "{} vs {p1}", g[1]);
        assert!(loss.abs() < 1e-20, "{loss}");
    }
}
