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
//! so the traces of one sample are one `[n, P]` matrix (`P = (in + n + 1 (+ 1)) n` columns:
//! `W`, `H`, `b`, the decay) and a step is one product `M_t ε_{t-1}`: about `n² P`
//! multiply-adds per sample and step, the cost the docs state.

use super::{OutView, Outputs, Projection, SnuLayer};
use crate::error::Result;
use crate::kernels::linalg::{gemm, Mat};
use crate::layers::product::SeqInput;
use crate::layers::{ensure_len, SeqShape};
use crate::params::{filled, ParamStore};

/// The dense traces of one batch of sequences: two banks of `[B, n, P]`, the current one
/// flipping at every step (a step reads one and writes the other).
#[derive(Default)]
pub(super) struct DenseTraces {
    banks: [Vec<f32>; 2],
    current: usize,
    /// `h'(z)` of the previous step, `[B, n]`.
    hz_last: Vec<f32>,
    batch: usize,
    started: bool,
    /// Workspaces: `M_t`, `h'(z_t)`, `g'(a_t)`, `L_t ⊙ h'(z_t)` and two rows of `y`.
    m: Vec<f32>,
    hz: Vec<f32>,
    ga: Vec<f32>,
    u: Vec<f32>,
    rows: Vec<f32>,
    /// `Σ uᵀ ε` over the window, `[P]`, and the spatial signal's factors `[T*B, n]`.
    grad: Vec<f32>,
    spatial: Vec<f32>,
}

impl DenseTraces {
    pub(super) fn reset(&mut self) {
        self.started = false;
    }

    /// Zeroed traces for `batch` new sequences of `n` units and `cols` trace columns.
    pub(super) fn allocate(&mut self, batch: usize, n: usize, cols: usize) -> Result<()> {
        for bank in &mut self.banks {
            *bank = filled(batch * n * cols, 0.0, "ostl: eligibility traces")?;
        }
        self.hz_last = filled(batch * n, 0.0, "ostl: eligibility traces")?;
        (self.batch, self.started, self.current) = (batch, true, 0);
        Ok(())
    }
}

/// Columns of one sample's trace matrix: `W` (`in·n`), `H` (`n·n`), `b` (`n`), the decay (`n`).
pub(super) fn trace_columns(in_size: usize, n: usize, trainable_decay: bool) -> usize {
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
        let cols = trace_columns(in_size, n, trainable_decay);
        let (col_h, col_b, col_l) = (in_size * n, (in_size + n) * n, (in_size + n + 1) * n);
        let tr = &mut self.dense_traces;
        if !tr.started || tr.batch != batch {
            for bank in &mut tr.banks {
                bank.clear();
                bank.resize(batch * n * cols, 0.0);
            }
            tr.hz_last.clear();
            tr.hz_last.resize(batch * n, 0.0);
            (tr.batch, tr.started, tr.current) = (batch, true, 0);
        }
        ensure_len(&mut tr.m, n * n);
        for v in [&mut tr.hz, &mut tr.ga, &mut tr.u] {
            ensure_len(v, n);
        }
        ensure_len(&mut tr.rows, 2 * n);
        tr.grad.clear();
        tr.grad.resize(cols, 0.0);
        ensure_len(&mut tr.spatial, shape.rows() * n);
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
            let (read, write) = (tr.current, 1 - tr.current);
            let [bank0, bank1] = &mut tr.banks;
            let (old, new) = if read == 0 {
                (&*bank0, bank1)
            } else {
                (&*bank1, bank0)
            };
            for b in 0..batch {
                let r = t * batch + b;
                let (row, sample) = (r * n..(r + 1) * n, b * n..(b + 1) * n);
                let (e_old, e_new) = (
                    &old[b * n * cols..(b + 1) * n * cols],
                    &mut new[b * n * cols..(b + 1) * n * cols],
                );
                let (y_now, y_prev) = tr.rows.split_at_mut(n);
                y.row_into(r, y_now);
                let s = &self.s[row.clone()];
                for j in 0..n {
                    tr.hz[j] = unit.h.derivative(s[j] + bias[j], y_now[j], unit.surrogate);
                    tr.ga[j] = unit.g.derivative_from_state(s[j]);
                }
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
                let hz_prev = &tr.hz_last[sample.clone()];
                e_new.fill(0.0);
                if let Some(s_prev) = prev {
                    // M = diag(D) + diag(g') Hᵀ diag(h'_{t-1});  ε_new = M ε_old
                    for j in 0..n {
                        let ga = tr.ga[j];
                        let m_row = &mut tr.m[j * n..(j + 1) * n];
                        for (i, m) in m_row.iter_mut().enumerate() {
                            *m = ga * h_w[i * n + j] * hz_prev[i];
                        }
                        let reset = if unit.detach_reset {
                            0.0
                        } else {
                            s_prev[j] * hz_prev[j]
                        };
                        m_row[j] += ga * decay[j] * ((1.0 - y_prev[j]) - reset);
                    }
                    gemm(
                        1.0,
                        Mat::new(&tr.m, n, n),
                        false,
                        Mat::new(e_old, n, cols),
                        false,
                        0.0,
                        e_new,
                    );
                    for j in 0..n {
                        let ga = tr.ga[j];
                        let e = &mut e_new[j * cols..(j + 1) * cols];
                        // H[i, j]: y_{t-1}[i];  b_m: through y_{t-1} (H and the reset);  l_j: s (1 - y)
                        for i in 0..n {
                            e[col_h + i * n + j] += ga * y_prev[i];
                            e[col_b + i] += tr.m[j * n + i]
                                - if i == j {
                                    ga * decay[j] * (1.0 - y_prev[j])
                                } else {
                                    0.0
                                };
                        }
                        if trainable_decay {
                            e[col_l + j] += ga * s_prev[j] * (1.0 - y_prev[j]);
                        }
                    }
                }
                // W[k, j]: x_t[k]
                for j in 0..n {
                    let ga = tr.ga[j];
                    let e = &mut e_new[j * cols..(j + 1) * cols];
                    for k in 0..in_size {
                        e[k * n + j] += ga * xv[r * in_size + k];
                    }
                }
                // Σ uᵀ ε with u = L ⊙ h'(z_t); b's own term in y_t adds u.
                for j in 0..n {
                    tr.u[j] = dy[r * n + j] * tr.hz[j];
                    db_direct[j] += tr.u[j];
                    tr.spatial[r * n + j] = tr.u[j] * tr.ga[j];
                }
                gemm(
                    1.0,
                    Mat::new(&tr.u, 1, n),
                    false,
                    Mat::new(e_new, n, cols),
                    false,
                    1.0,
                    &mut tr.grad,
                );
                tr.hz_last[sample].copy_from_slice(&tr.hz[..n]);
            }
            tr.current = write;
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
