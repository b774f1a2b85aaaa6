//! OSTL for the SNU layer (Bohnstingl, Woźniak, Pantazi, Eleftheriou, IEEE TNNLS 2023; the
//! authors' `SNUELayer` in IBM/ostl `Scripts/Neuron_models.py`; without recurrent weights (with them: `ostl_recurrent.rs`), in
//! our sign convention `y = h(s + b)`). Per sample the layer carries `ε = ∂s_t/∂θ` forward:
//!
//! ```text
//! D_t   = g'(a_t) ⊙ l ⊙ ((1 - y_{t-1}) - s_{t-1} ⊙ h'(z_{t-1}))        (detachReset: no last term)
//! ε^W_t = D_t ⊙ ε^W_{t-1} + g'(a_t) x_t      (input k, unit j: D_j ε_kj + g'_j x_k)
//! ε^b_t = D_t ⊙ ε^b_{t-1} - g'(a_t) ⊙ l ⊙ s_{t-1} ⊙ h'(z_{t-1})         (detachReset: no last term)
//! ε^l_t = D_t ⊙ ε^l_{t-1} + g'(a_t) ⊙ s_{t-1} ⊙ (1 - y_{t-1})
//! ∂y_t/∂W = h'(z_t) ⊙ ε^W_t,   ∂y_t/∂b = h'(z_t) ⊙ (ε^b_t + 1),   ∂y_t/∂l = h'(z_t) ⊙ ε^l_t
//! ```
//! The gradient is `Σ_t L_t ⊙ ∂y_t/∂θ` for the learning signal `L_t` (`dy`), and the learning
//! signal of the layer below goes through step `t` alone: `dx_t = (L_t ⊙ h'(z_t) ⊙ g'(a_t)) Wᵀ`.
//! For one layer this is exactly BPTT's gradient: unit `j`'s state depends on the past only
//! through its own `s_{t-1}, y_{t-1}`, which the traces follow.
//!
//! Memory: one `[in, n]` trace per sample, whatever `T`; `ε^W` is `[in, B, n]`, input rows
//! outermost, so that each parallel task owns its rows of `ε^W` and of `∂L/∂W`.

use super::{OutView, Outputs, Projection, SnuLayer};
use crate::error::Result;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::simd::simd_kernel;
use crate::layers::activation::{OutputActivation, StateActivation};
use crate::layers::product::SeqInput;
use crate::layers::{ensure_len, SeqShape};
use crate::params::{filled, ParamStore};
use rayon::prelude::*;

/// Bytes of per-row factors (`g'`, `D`, `L h'`) a block of steps holds: about an L2 cache.
const BLOCK_BYTES: usize = 512 * 1024;

/// The eligibility traces of one batch of sequences, and one window's per-row factors.
#[derive(Default)]
pub(super) struct Traces {
    /// `ε^W`, `[in, B, n]`.
    w: Vec<f32>,
    /// `ε^b`, `ε^l`, and `h'(z)` of the last step of the previous block (or window), `[B, n]` each.
    b: Vec<f32>,
    l: Vec<f32>,
    hz_last: Vec<f32>,
    batch: usize,
    /// False until the first window of new sequences.
    started: bool,
    /// Per row of a block of steps, `[steps, B, n]`: `h'(z_t)`, `g'(a_t)`, `D_t`, and `L_t ⊙ h'(z_t)`.
    hz: Vec<f32>,
    ga: Vec<f32>,
    d: Vec<f32>,
    u: Vec<f32>,
    /// Two rows of `y` as values.
    rows: Vec<f32>,
}

impl Traces {
    pub(super) fn reset(&mut self) {
        self.started = false;
    }
}

impl SnuLayer {
    /// Why OSTL cannot train this layer, if it cannot.
    pub(super) fn ostl_refusal_reason(&self) -> Option<String> {
        if self.unit.lateral {
            return Some(
                "lateral inhibition couples the resets of all its units; OSTL trains SNU layers without it".into(),
            );
        }
        if let Projection::Conv(_) = self.projection {
            return Some("OSTL has no traces for convolution kernels yet".into());
        }
        if self.synapse > 0.0 {
            return Some("OSTL has no traces for a synaptic current (synapse) yet".into());
        }
        if self.c.is_some() {
            return Some("OSTL has no trace for an input bias (inputBias) yet".into());
        }
        None
    }

    /// Values the traces hold for a batch of `batch`: `ε^W` and three `[B, n]` rows; with `H`,
    /// one matrix of dense `[P, n]` traces per sample.
    pub(super) fn ostl_trace_values(&self, batch: usize) -> usize {
        let in_size = match &self.projection {
            Projection::Dense { in_size, .. } => *in_size,
            Projection::Conv(_) => 0,
        };
        if self.rec.is_some() {
            let cols = super::ostl_recurrent::trace_rows(in_size, self.units, self.decay.is_some());
            return batch * self.units * cols;
        }
        (in_size + 3) * batch * self.units
    }

    /// Zeroed traces for `batch` new sequences, allocated fallibly.
    pub(super) fn ostl_allocate(&mut self, batch: usize) -> Result<()> {
        let n = self.units;
        let in_size = match &self.projection {
            Projection::Dense { in_size, .. } => *in_size,
            Projection::Conv(_) => return Ok(()),
        };
        if self.rec.is_some() {
            let cols = super::ostl_recurrent::trace_rows(in_size, n, self.decay.is_some());
            return self.dense_traces.allocate(batch, n, cols, in_size);
        }
        let tr = &mut self.traces;
        tr.w = filled(in_size * batch * n, 0.0, "ostl: eligibility traces")?;
        for v in [&mut tr.b, &mut tr.l, &mut tr.hz_last] {
            *v = filled(batch * n, 0.0, "ostl: eligibility traces")?;
        }
        (tr.batch, tr.started) = (batch, true);
        Ok(())
    }

    /// OSTL over the window the last forward pass ran (see the module's equations).
    pub(super) fn ostl_window(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
    ) {
        if self.rec.is_some() {
            return self.ostl_window_recurrent(p, x, dy, dx, shape);
        }
        let (steps, batch, n) = (shape.steps, shape.batch, self.units);
        self.prepare(p, shape);
        let Projection::Dense { input, in_size } = &mut self.projection else {
            unreachable!("refused by ostl_refusal_reason");
        };
        let in_size = *in_size;
        let tr = &mut self.traces;
        if !tr.started || tr.batch != batch {
            for v in [&mut tr.b, &mut tr.l, &mut tr.hz_last] {
                v.clear();
                v.resize(batch * n, 0.0);
            }
            tr.w.clear();
            crate::error::resize_or_oom(&mut tr.w, in_size * batch * n, 0.0);
            (tr.batch, tr.started) = (batch, true);
        }
        // Blocks of steps whose per-row factors stay in cache while every input row's trace
        // goes over them (the traces are read and written once per block, not once per step).
        let block_steps = (BLOCK_BYTES / (batch * n * 12)).clamp(1, steps);
        for v in [&mut tr.hz, &mut tr.ga, &mut tr.d, &mut tr.u] {
            ensure_len(v, block_steps * batch * n);
        }
        ensure_len(&mut tr.rows, 2 * n);
        let y = match &self.y {
            Outputs::Spikes(bits) => OutView::Bits(bits),
            Outputs::Values(v) => OutView::Values(v),
        };
        let initial = self
            .has_initial
            .then_some((self.initial.s.as_slice(), self.initial.y.as_slice()));
        let unit = self.unit;
        let (decay, bias) = (&self.decay_now, &self.bias_now);
        // x_t[k]: spikes read off their bits (no dense copy of a long spike input).
        let xv = match x {
            SeqInput::Spikes(_) => &[][..],
            SeqInput::Dense(_) => input.values(x),
        };
        let x_at = |r: usize, k: usize| match x {
            SeqInput::Spikes(bits) => bits.get(r, k) as u8 as f32,
            SeqInput::Dense(_) => xv[r * in_size + k],
        };
        let w = p.params[self.w].value.as_slice();
        let mut dx = dx;
        for t0 in (0..steps).step_by(block_steps) {
            let t1 = (t0 + block_steps).min(steps);
            let first = t0 * batch;
            let block_rows = (t1 - t0) * batch;
            // The per-row factors, and the bias and decay traces, step after step.
            for i in 0..block_rows {
                let r = first + i;
                let (t, b) = (r / batch, r % batch);
                let (row, local, sample) =
                    (r * n..(r + 1) * n, i * n..(i + 1) * n, b * n..(b + 1) * n);
                let (y_now, y_prev) = tr.rows.split_at_mut(n);
                y.row_into(r, y_now);
                let s = &self.s[row.clone()];
                // The block's rows before i hold h'(z) of its earlier steps.
                let (hz_before, hz_rest) = tr.hz.split_at_mut(i * n);
                let hz = &mut hz_rest[..n];
                output_derivative(hz, s, bias, y_now, unit.h, unit.surrogate);
                let ga = &mut tr.ga[local.clone()];
                state_derivative(ga, s, unit.g);
                let (s_prev, hz_prev): (&[f32], &[f32]) = match (t, initial) {
                    (0, Some((s0, y0))) => {
                        y_prev.copy_from_slice(&y0[sample.clone()]);
                        (&s0[sample.clone()], &tr.hz_last[sample.clone()])
                    }
                    (0, None) => (&[], &[]),
                    _ => {
                        y.row_into(r - batch, y_prev);
                        let hz_prev = if t == t0 {
                            &tr.hz_last[sample.clone()]
                        } else {
                            &hz_before[(i - batch) * n..i * n]
                        };
                        (&self.s[(r - batch) * n..r * n], hz_prev)
                    }
                };
                let (e_b, e_l) = (&mut tr.b[sample.clone()], &mut tr.l[sample]);
                let d = &mut tr.d[local.clone()];
                if s_prev.is_empty() {
                    // A fresh sequence: s_0 = y_0 = 0 and the traces are zero, so D_1 = g' l.
                    d.iter_mut()
                        .zip(ga.iter())
                        .zip(decay)
                        .for_each(|((d, g), l)| *d = g * l);
                } else {
                    step_factors(
                        d,
                        e_b,
                        e_l,
                        ga,
                        decay,
                        s_prev,
                        y_prev,
                        hz_prev,
                        unit.detach_reset,
                    );
                }
                let u = &mut tr.u[local];
                u.iter_mut()
                    .zip(&dy[row])
                    .zip(hz.iter())
                    .for_each(|((u, g), h)| *u = g * h);
                // db += L ⊙ h' ⊙ (ε^b + 1);  dl += L ⊙ h' ⊙ ε^l
                let db = &mut p.grads[self.b];
                db.iter_mut()
                    .zip(u.iter())
                    .zip(e_b.iter())
                    .for_each(|((g, u), e)| *g += u * (e + 1.0));
                if let Some(i) = self.decay {
                    p.grads[i]
                        .iter_mut()
                        .zip(u.iter())
                        .zip(e_l.iter())
                        .for_each(|((g, u), e)| *g += u * e);
                }
            }
            tr.hz_last
                .copy_from_slice(&tr.hz[block_rows * n - batch * n..block_rows * n]);
            // ε^W and dW, one input row k per task, over the block's steps and samples in order.
            let (d, ga, u) = (&tr.d, &tr.ga, &tr.u);
            tr.w.par_chunks_mut(batch * n)
                .zip(p.grads[self.w].par_chunks_mut(n))
                .enumerate()
                .for_each(|(k, (eps_k, dw_k))| {
                    for i in 0..block_rows {
                        let b = i % batch;
                        let local = i * n..(i + 1) * n;
                        weight_trace_row(
                            &mut eps_k[b * n..(b + 1) * n],
                            &d[local.clone()],
                            &ga[local.clone()],
                            x_at(first + i, k),
                            &u[local],
                            dw_k,
                        );
                    }
                });
            if let Some(dx) = dx.as_deref_mut() {
                // dx_t = (L_t ⊙ h'(z_t) ⊙ g'(a_t)) Wᵀ
                let v = &mut tr.u[..block_rows * n];
                v.iter_mut().zip(&tr.ga).for_each(|(u, g)| *u *= g);
                gemm(
                    1.0,
                    Mat::new(v, block_rows, n),
                    false,
                    Mat::new(w, in_size, n),
                    true,
                    0.0,
                    &mut dx[first * in_size..(first + block_rows) * in_size],
                );
            }
        }
    }
}

/// `h'(z)` with `z = s + b`: the surrogate for spikes, `y (1 - y)` for sSNU.
fn output_derivative(
    hz: &mut [f32],
    s: &[f32],
    bias: &[f32],
    y: &[f32],
    h: OutputActivation,
    surrogate: crate::layers::activation::Surrogate,
) {
    for (((d, s), b), y) in hz.iter_mut().zip(s).zip(bias).zip(y) {
        *d = h.derivative(s + b, *y, surrogate);
    }
}

/// `g'(a)`, read off the state `s = g(a)`.
fn state_derivative(ga: &mut [f32], s: &[f32], g: StateActivation) {
    ga.iter_mut()
        .zip(s)
        .for_each(|(d, s)| *d = g.derivative_from_state(*s));
}

simd_kernel! {
    /// `D_t`, and the bias and decay traces one step on.
    #[allow(clippy::too_many_arguments)]
    fn step_factors(
        d: &mut [f32],
        e_b: &mut [f32],
        e_l: &mut [f32],
        ga: &[f32],
        decay: &[f32],
        s_prev: &[f32],
        y_prev: &[f32],
        hz_prev: &[f32],
        detach_reset: bool,
    ) {
        for j in 0..d.len() {
            let (g, l, s, y) = (ga[j], decay[j], s_prev[j], y_prev[j]);
            // The reset gate's path through y_{t-1} (absent when detached).
            let reset = if detach_reset { 0.0 } else { s * hz_prev[j] };
            d[j] = g * l * ((1.0 - y) - reset);
            e_b[j] = d[j] * e_b[j] - g * l * reset;
            e_l[j] = d[j] * e_l[j] + g * s * (1.0 - y);
        }
    }
}

simd_kernel! {
    /// One sample's row `k` of `ε^W` one step on, and its term of `∂L/∂W[k]`.
    fn weight_trace_row(eps: &mut [f32], d: &[f32], ga: &[f32], x: f32, u: &[f32], dw: &mut [f32]) {
        if x == 0.0 {
            for j in 0..eps.len() {
                eps[j] *= d[j];
                dw[j] += u[j] * eps[j];
            }
        } else {
            for j in 0..eps.len() {
                eps[j] = d[j] * eps[j] + x * ga[j];
                dw[j] += u[j] * eps[j];
            }
        }
    }
}
