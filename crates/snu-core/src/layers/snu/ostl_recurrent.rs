//! OSTL for an SNU layer with recurrent weights `H` (the authors' `SNUELayer` with
//! `recurrent=True`): `y_{t-1} H` couples every unit to every other's past, so each trace is a
//! full matrix, `ε[j, θ] = ∂s_t[j]/∂θ` for every unit `j` and parameter `θ` of `W`, `H`, `b` (and
//! a trainable decay): real-time recurrent learning, exact for the layer. Per sample:
//!
//! ```text
//! D_t  = g'(a_t) ⊙ l ⊙ ((1 - y_{t-1}) - s_{t-1} ⊙ h'(z_{t-1}))        (detachReset: no last term)
//! M_t  = diag(D_t) + diag(g'(a_t)) Hᵀ diag(h'(z_{t-1}))              (n x n)
//! ε_t  = M_t ε_{t-1} + g'(a_t) ⊙ (∂a_t/∂θ directly)
//!        W[k,m]: δ_jm x_t[k]    H[i,m]: δ_jm y_{t-1}[i]    l_m: δ_jm s_{t-1,m} (1 - y_{t-1,m})
//!        b_m: through y_{t-1} = h(s_{t-1} + b): (g' ⊙ H[m, :] h'_{t-1,m})_j - δ_jm g'_j l_j s_{t-1,j} h'_{t-1,j}
//! ∂L/∂θ = Σ_t (L_t ⊙ h'(z_t))ᵀ ε_t    (+ L_t ⊙ h'(z_t) for b, whose own term in y_t = h(s_t + b))
//! ```
//! Without `H`, `M_t` is the diagonal `D_t` of `ostl.rs`. Every parameter's trace shares `M_t`,
//! so the traces of one sample are one matrix of `P` rows (`P = (in + n + 1 (+ 1)) n`: `W`, `H`,
//! `b`, the decay), row `θ` holding `ε[·, θ]` over the `n` units, and a step is `ε[·, θ] ← M_t
//! ε[·, θ]` for every row (`kernels::trace_transform`, in place): about `n² P` multiply-adds per
//! sample and step, the cost the docs state. The rows of an input `k` that has been 0 at every
//! step of the sequence so far are 0 and stay 0 under `M_t`, so they are skipped (a JSB chorale
//! plays about 20 of the 88 keys by its middle).

use super::{OutView, Outputs, Projection, SnuLayer};
use crate::error::Result;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::trace_transform::{fill_transposed, padded, transform_row_ranges};
use crate::layers::product::SeqInput;
use crate::layers::{ensure_len, SeqShape};
use crate::params::{filled, ParamStore};

/// The dense traces of one batch of sequences, `[B, P, n]`, and which inputs each sequence has
/// seen so far.
#[derive(Default)]
pub(super) struct DenseTraces {
    traces: Vec<f32>,
    /// `[B, in]`: input `k` of sample `b` was non-zero at some step (its rows of `ε` may be too).
    seen: Vec<bool>,
    /// `h'(z)` of the previous step, `[B, n]`.
    hz_last: Vec<f32>,
    batch: usize,
    started: bool,
    /// Workspaces: `Mᵀ` padded, `h'(z_t)`, `g'(a_t)`, `L_t ⊙ h'(z_t)` and two rows of `y`.
    mt: Vec<f32>,
    hz: Vec<f32>,
    ga: Vec<f32>,
    u: Vec<f32>,
    rows: Vec<f32>,
    /// `Σ uᵀ ε` over the window, `[P]`, and the spatial signal's factors `[T*B, n]`.
    grad: Vec<f32>,
    /// The rows `ε ← M ε` runs over: the seen inputs' rows, then those of `H`, `b`, the decay.
    ranges: Vec<std::ops::Range<usize>>,
    spatial: Vec<f32>,
}

impl DenseTraces {
    pub(super) fn reset(&mut self) {
        self.started = false;
    }

    /// Zeroed traces for `batch` new sequences of `n` units, `trace_rows` rows each (`P`, see
    /// `trace_rows`) and `inputs` inputs.
    pub(super) fn allocate(
        &mut self,
        batch: usize,
        n: usize,
        trace_rows: usize,
        inputs: usize,
    ) -> Result<()> {
        self.traces = filled(batch * trace_rows * n, 0.0, "ostl: eligibility traces")?;
        self.hz_last = filled(batch * n, 0.0, "ostl: eligibility traces")?;
        self.seen.clear();
        self.seen.resize(batch * inputs, false);
        (self.batch, self.started) = (batch, true);
        Ok(())
    }
}

/// A local term `v` at unit `j` of row `c`: `ε[j, c] += v`, and its share `u_j v` of `Σ uᵀ ε`.
#[inline(always)]
fn add_local(e: &mut [f32], grad: &mut [f32], u: &[f32], c: usize, j: usize, v: f32) {
    e[c * u.len() + j] += v;
    grad[c] += u[j] * v;
}

/// Rows of one sample's traces: `W` (`in·n`), `H` (`n·n`), `b` (`n`), the decay (`n`).
pub(super) fn trace_rows(in_size: usize, n: usize, trainable_decay: bool) -> usize {
    (in_size + n + 1 + trainable_decay as usize) * n
}

impl SnuLayer {
    /// OSTL over the last forward window for a layer with `H` (see the module's equations).
    pub(super) fn ostl_window_recurrent(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
    ) {
        let (steps, batch, n) = (shape.steps, shape.batch, self.units);
        self.prepare(p, shape);
        let Projection::Dense { input, in_size } = &mut self.projection else {
            unreachable!("refused by ostl_refusal_reason");
        };
        let in_size = *in_size;
        let trainable_decay = self.decay.is_some();
        let cols = trace_rows(in_size, n, trainable_decay);
        let (col_h, col_b, col_l) = (in_size * n, (in_size + n) * n, (in_size + n + 1) * n);
        let tr = &mut self.dense_traces;
        if !tr.started || tr.batch != batch {
            tr.traces.clear();
            crate::error::resize_or_oom(&mut tr.traces, batch * cols * n, 0.0);
            tr.seen.clear();
            tr.seen.resize(batch * in_size, false);
            tr.hz_last.clear();
            tr.hz_last.resize(batch * n, 0.0);
            (tr.batch, tr.started) = (batch, true);
        }
        for v in [&mut tr.hz, &mut tr.ga, &mut tr.u] {
            ensure_len(v, n);
        }
        ensure_len(&mut tr.rows, 2 * n);
        tr.grad.clear();
        tr.grad.resize(cols, 0.0);
        ensure_len(&mut tr.spatial, shape.rows() * n);
        let np = padded(n);
        let y = match &self.y {
            Outputs::Spikes(bits) => OutView::Bits(bits),
            Outputs::Values(v) => OutView::Values(v),
        };
        let h_w = p.params[self.rec.expect("a recurrent layer")]
            .value
            .as_slice();
        let initial = self
            .has_initial
            .then_some((self.initial.s.as_slice(), self.initial.y.as_slice()));
        let unit = self.unit;
        let (decay, bias) = (&self.decay_now, &self.bias_now);
        let xv = input.values(x);
        let mut db_direct = vec![0f32; n];
        for t in 0..steps {
            for b in 0..batch {
                let r = t * batch + b;
                let (row, sample) = (r * n..(r + 1) * n, b * n..(b + 1) * n);
                let e = &mut tr.traces[b * cols * n..(b + 1) * cols * n];
                let seen = &mut tr.seen[b * in_size..(b + 1) * in_size];
                let (y_now, y_prev) = tr.rows.split_at_mut(n);
                y.row_into(r, y_now);
                let s = &self.s[row.clone()];
                for j in 0..n {
                    tr.hz[j] = unit.h.derivative(s[j] + bias[j], y_now[j], unit.surrogate);
                    tr.ga[j] = unit.g.derivative_from_state(s[j]);
                    // Σ uᵀ ε with u = L ⊙ h'(z_t); b's own term in y_t = h(s_t + b) adds u.
                    tr.u[j] = dy[r * n + j] * tr.hz[j];
                    db_direct[j] += tr.u[j];
                    tr.spatial[r * n + j] = tr.u[j] * tr.ga[j];
                }
                let (ga, u) = (&tr.ga[..n], &tr.u[..n]);
                // The state entering step t: none for a fresh sequence (s_0 = y_0 = 0, ε = 0).
                let prev: Option<&[f32]> = match (t, initial) {
                    (0, Some((s0, y0))) => {
                        y_prev.copy_from_slice(&y0[sample.clone()]);
                        Some(&s0[sample.clone()])
                    }
                    (0, None) => None,
                    _ => {
                        y.row_into(r - batch, y_prev);
                        Some(&self.s[(r - batch) * n..r * n])
                    }
                };
                let grad = &mut tr.grad;
                if let Some(s_prev) = prev {
                    let hz_prev = &tr.hz_last[sample.clone()];
                    // Mᵀ[i, j] = M[j, i] = g'_j (H[i, j] h'_{t-1,i} + δ_ij l_j ((1 - y_{t-1,j}) - s_{t-1,j} h'_{t-1,j}))
                    fill_transposed(&mut tr.mt, n, |j, i| {
                        let mut m = ga[j] * h_w[i * n + j] * hz_prev[i];
                        if i == j {
                            let reset = if unit.detach_reset {
                                0.0
                            } else {
                                s_prev[j] * hz_prev[j]
                            };
                            m += ga[j] * decay[j] * ((1.0 - y_prev[j]) - reset);
                        }
                        m
                    });
                    // ε ← M ε over the rows that can be non-zero: the seen inputs' and the rest.
                    tr.ranges.clear();
                    let mut k = 0;
                    while k < in_size {
                        let k0 = k;
                        while k < in_size && seen[k] {
                            k += 1;
                        }
                        if k > k0 {
                            tr.ranges.push(k0 * n..k * n);
                        }
                        k += 1;
                    }
                    tr.ranges.push(col_h..cols);
                    transform_row_ranges(e, grad, n, &tr.mt, u, &tr.ranges);
                    let mt = &tr.mt;
                    let mut add = |c: usize, j: usize, v: f32| add_local(e, grad, u, c, j, v);
                    for j in 0..n {
                        // H[i, j]: y_{t-1}[i];  l_j: s_{t-1} (1 - y_{t-1})
                        for (i, &yp) in y_prev.iter().enumerate() {
                            add(col_h + i * n + j, j, ga[j] * yp);
                        }
                        if trainable_decay {
                            add(col_l + j, j, ga[j] * s_prev[j] * (1.0 - y_prev[j]));
                        }
                    }
                    // b_m: through y_{t-1} (H and the reset): M[j, m] less M's (1 - y) term.
                    for m in 0..n {
                        for j in 0..n {
                            let own = if j == m {
                                ga[j] * decay[j] * (1.0 - y_prev[j])
                            } else {
                                0.0
                            };
                            add(col_b + m, j, mt[m * np + j] - own);
                        }
                    }
                }
                // W[k, j]: x_t[k]
                let mut add = |c: usize, j: usize, v: f32| add_local(e, grad, u, c, j, v);
                for k in 0..in_size {
                    let xk = xv[r * in_size + k];
                    if xk != 0.0 {
                        seen[k] = true;
                        for (j, &g) in ga.iter().enumerate() {
                            add(k * n + j, j, g * xk);
                        }
                    }
                }
                tr.hz_last[sample].copy_from_slice(&tr.hz[..n]);
            }
        }
        let g = &tr.grad;
        p.grads[self.w]
            .iter_mut()
            .zip(&g[..col_h])
            .for_each(|(a, v)| *a += v);
        p.grads[self.rec.unwrap()]
            .iter_mut()
            .zip(&g[col_h..col_b])
            .for_each(|(a, v)| *a += v);
        p.grads[self.b]
            .iter_mut()
            .zip(&g[col_b..col_b + n])
            .zip(&db_direct)
            .for_each(|((a, v), d)| *a += v + d);
        if let Some(i) = self.decay {
            p.grads[i]
                .iter_mut()
                .zip(&g[col_l..col_l + n])
                .for_each(|(a, v)| *a += v);
        }
        if let Some(dx) = dx {
            // dx_t = (L_t ⊙ h'(z_t) ⊙ g'(a_t)) Wᵀ: through step t alone.
            gemm(
                1.0,
                Mat::new(&tr.spatial, shape.rows(), n),
                false,
                Mat::new(p.value(self.w), in_size, n),
                true,
                0.0,
                dx,
            );
        }
    }
}
