//! The conventional recurrent layers (Elman RNN, LSTM, GRU), the baselines the paper's tables
//! compare SNUs with, in the same engine: they mix freely with SNU layers, with masks, carried
//! state and truncated BPTT as those have. `RecurrentLayer<C>` holds what the three share; each
//! cell's equations are in its own file (`rnn.rs`, `lstm.rs`, `gru.rs`).
//!
//! With `G` gate blocks of `n` units, `W` is `[in, G n]`, `H` `[n, G n]`, `b` `[G n]`:
//! ```text
//! P_t = x_t W + b                    all T steps in one product (event-driven for spike inputs)
//! R_t = h_{t-1} H                    one product per step over the whole batch
//! h_t, (c_t) = cell(P_t, R_t, h_{t-1}, (c_{t-1}))        row by row, in parallel
//! ```
//! BPTT, from the last step (`D_t` is `dL/dP_t`; `E_t = dL/dR_t`, which is `D_t` except for the
//! GRU, whose reset gate multiplies part of `R_t`):
//! ```text
//! dh_t = dy_t + E_{t+1} Hᵀ  (+ the cell's own path from t+1: LSTM's dc, GRU's z ⊙ dh)
//! D_t, E_t = cell'(dh_t, ...)
//! dW = Xᵀ D,  db = Σ D,  dH = Σ_t h_{t-1}ᵀ E_t,  dx = D Wᵀ
//! ```
//! With a window `k`, nothing flows from step `t + 1` into step `t` when `t + 1` starts a window.
//! With carried state, `h_0 (c_0)` are the last state of the previous call, and no gradient flows
//! back into them.
//!
//! Per pass the layer keeps `[T*B, ·]` buffers (time-major): `gates` (`P`, then the activated
//! gates, then `D`), `h`, `aux` (LSTM's `c_t`, the GRU's `h_{t-1} H_n + bh`) and, for the GRU,
//! `d_rec` (`E`).

pub mod gru;
pub mod lstm;
pub mod rnn;

use super::product::{InputProducts, ProductPath, SeqInput};
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
use crate::kernels::column_sums::add_column_sums;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::rng::glorot_uniform;
use crate::kernels::shared_rows::SharedRows;
use crate::params::ParamStore;
use crate::pcm::AnalogTile;
use rayon::prelude::*;

/// Rows of one parallel task hold at least this many values: below it a task costs more to
/// hand out than its arithmetic.
const VALUES_PER_TASK: usize = 8192;

/// One sample at one step, forward. Rows are `[G n]` (`gates`, `rec`) or `[n]`.
pub struct Forward<'a> {
    /// `P_t` on entry, the activated gates on return.
    pub gates: &'a mut [f32],
    /// `R_t = h_{t-1} H` (zeros at the first step of a fresh sequence).
    pub rec: &'a [f32],
    /// The GRU's candidate bias inside its reset gate (`[n]`); empty for the others.
    pub bh: &'a [f32],
    pub h_prev: &'a [f32],
    pub aux_prev: &'a [f32],
    pub h: &'a mut [f32],
    pub aux: &'a mut [f32],
}

/// One sample at one step, backward.
pub struct Backward<'a> {
    /// The activated gates on entry, `D_t = dL/dP_t` on return.
    pub gates: &'a mut [f32],
    /// `E_t = dL/dR_t` on return, for a cell whose `E` differs from `D` (else empty).
    pub d_rec: &'a mut [f32],
    /// `dL/dh_t` from the layers above and through `H` from step `t + 1`.
    pub dh: &'a [f32],
    /// The cell's own path between steps: what step `t + 1` passed down (zeros at a window's
    /// end) on entry, what goes to step `t - 1` on return.
    pub carry: &'a mut [f32],
    pub h_prev: &'a [f32],
    pub aux: &'a [f32],
    pub aux_prev: &'a [f32],
}

/// A recurrent cell's equations (`n` units, `GATES` blocks of `n`).
pub trait Cell: Send + Sync + 'static {
    const GATES: usize;
    /// `aux` is state carried to the next step (LSTM's `c`), not only kept for BPTT.
    const AUX_IS_STATE: bool;
    /// `E_t` differs from `D_t`, and the cell has the recurrent bias `bh` (GRU).
    const GATED_RECURRENCE: bool;
    fn forward(row: Forward);
    fn backward(row: Backward);
}

/// A `[B, n]` state carried between calls: `h` and, for the LSTM, `c`.
#[derive(Default)]
struct State {
    h: Vec<f32>,
    aux: Vec<f32>,
    batch: usize,
}

pub struct RecurrentLayer<C: Cell> {
    units: usize,
    in_size: usize,
    w: usize,
    rec: usize,
    b: usize,
    bh: Option<usize>,
    input: InputProducts,
    gates: Vec<f32>,
    h: Vec<f32>,
    aux: Vec<f32>,
    d_rec: Vec<f32>,
    /// Per step: `R_t` (`[B, G n]`), `dh_t` and the carry (`[B, n]`), zeros (`[B, n]`).
    rec_now: Vec<f32>,
    dh: Vec<f32>,
    carry: Vec<f32>,
    zeros: Vec<f32>,
    carry_state: bool,
    initial: State,
    has_initial: bool,
    last: State,
    has_last: bool,
    _cell: std::marker::PhantomData<C>,
}

impl<C: Cell> RecurrentLayer<C> {
    /// `W` and `H` Glorot-uniform per gate block (as if each gate were its own `[in, n]` and
    /// `[n, n]` layer), `b` from `bias` (`[G n]`), `bh` zero.
    pub fn new(units: usize, bias: Vec<f32>, cx: BuildContext) -> Result<Self> {
        let BuildContext {
            name,
            in_size,
            store: p,
            rng,
            ..
        } = cx;
        let (n, gn) = (units, C::GATES * units);
        debug_assert_eq!(bias.len(), gn);
        let w = p.add(format!("{name}.W"), vec![in_size, gn], 0.0)?;
        glorot_uniform(rng, in_size, n, &mut p.params[w].value);
        let rec = p.add(format!("{name}.H"), vec![n, gn], 0.0)?;
        glorot_uniform(rng, n, n, &mut p.params[rec].value);
        let b = p.add(format!("{name}.b"), vec![gn], 0.0)?;
        p.params[b].value.copy_from_slice(&bias);
        let bh = C::GATED_RECURRENCE
            .then(|| p.add(format!("{name}.bh"), vec![n], 0.0))
            .transpose()?;
        Ok(RecurrentLayer {
            units,
            in_size,
            w,
            rec,
            b,
            bh,
            input: InputProducts::default(),
            gates: vec![],
            h: vec![],
            aux: vec![],
            d_rec: vec![],
            rec_now: vec![],
            dh: vec![],
            carry: vec![],
            zeros: vec![],
            carry_state: false,
            initial: State::default(),
            has_initial: false,
            last: State::default(),
            has_last: false,
            _cell: std::marker::PhantomData,
        })
    }

    /// Rows of one parallel task for rows of `len` values.
    fn rows_per_task(len: usize) -> usize {
        VALUES_PER_TASK.div_ceil(len).max(1)
    }

    /// Copies `h_T` (and `c_T`) for the next call.
    fn keep_last_state(&mut self, shape: SeqShape) {
        let n = self.units;
        let last = (shape.steps - 1) * shape.batch * n..shape.rows() * n;
        self.last.h.clear();
        self.last.h.extend_from_slice(&self.h[last.clone()]);
        self.last.aux.clear();
        if C::AUX_IS_STATE {
            self.last.aux.extend_from_slice(&self.aux[last]);
        }
        self.last.batch = shape.batch;
        self.has_last = true;
    }
}

impl<C: Cell> SeqLayer for RecurrentLayer<C> {
    fn units(&self) -> usize {
        self.units
    }

    fn output(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.h)
    }

    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (steps, batch, n) = (shape.steps, shape.batch, self.units);
        let (rows, gn) = (shape.rows(), C::GATES * n);
        self.has_initial = self.carry_state && self.has_last && self.last.batch == batch;
        if self.has_initial {
            std::mem::swap(&mut self.initial, &mut self.last);
        }
        self.has_last = false;
        ensure_len(&mut self.gates, rows * gn);
        ensure_len(&mut self.h, rows * n);
        ensure_len(&mut self.aux, rows * n);
        ensure_len(&mut self.rec_now, batch * gn);
        self.zeros.clear();
        self.zeros.resize(batch * n, 0.0);
        // P = X W + b for all steps at once.
        self.input
            .forward(x, rows, p.value(self.w), self.in_size, gn, &mut self.gates);
        let b = p.value(self.b);
        self.gates
            .par_chunks_mut(gn)
            .with_min_len(Self::rows_per_task(gn))
            .for_each(|row| row.iter_mut().zip(b).for_each(|(v, b)| *v += b));
        let (h_w, bh) = (p.value(self.rec), self.bh.map_or(&[][..], |i| p.value(i)));
        let step_len = batch * n;
        for t in 0..steps {
            let (h_before, h_rest) = self.h.split_at_mut(t * step_len);
            let (aux_before, aux_rest) = self.aux.split_at_mut(t * step_len);
            let (h_prev, aux_prev): (&[f32], &[f32]) = match (t, self.has_initial) {
                (0, false) => (&self.zeros, &self.zeros),
                (0, true) if C::AUX_IS_STATE => (&self.initial.h, &self.initial.aux),
                (0, true) => (&self.initial.h, &self.zeros),
                _ => (
                    &h_before[(t - 1) * step_len..],
                    &aux_before[(t - 1) * step_len..],
                ),
            };
            // R_t = h_{t-1} H (zero for a fresh sequence's first step).
            if t == 0 && !self.has_initial {
                self.rec_now.fill(0.0);
            } else {
                gemm(
                    1.0,
                    Mat::new(h_prev, batch, n),
                    false,
                    Mat::new(h_w, n, gn),
                    false,
                    0.0,
                    &mut self.rec_now,
                );
            }
            let gates = &mut self.gates[t * batch * gn..(t + 1) * batch * gn];
            let rec = &self.rec_now;
            gates
                .par_chunks_mut(gn)
                .zip(h_rest[..step_len].par_chunks_mut(n))
                .zip(aux_rest[..step_len].par_chunks_mut(n))
                .enumerate()
                .with_min_len(Self::rows_per_task(gn))
                .for_each(|(i, ((gates, h), aux))| {
                    let row = i * n..(i + 1) * n;
                    C::forward(Forward {
                        gates,
                        rec: &rec[i * gn..(i + 1) * gn],
                        bh,
                        h_prev: &h_prev[row.clone()],
                        aux_prev: &aux_prev[row],
                        h,
                        aux,
                    })
                });
        }
        if self.carry_state {
            self.keep_last_state(shape);
        }
    }

    fn backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        window: usize,
    ) {
        let (steps, batch, n) = (shape.steps, shape.batch, self.units);
        let (rows, gn) = (shape.rows(), C::GATES * n);
        let step_len = batch * n;
        ensure_len(&mut self.dh, step_len);
        ensure_len(&mut self.carry, step_len);
        if C::GATED_RECURRENCE {
            ensure_len(&mut self.d_rec, rows * gn);
        }
        let h_w = p.value(self.rec);
        for t in (0..steps).rev() {
            let carry_next = t + 1 < steps && (t + 1) % window != 0;
            self.dh
                .copy_from_slice(&dy[t * step_len..(t + 1) * step_len]);
            let (gates_upto, gates_after) = self.gates.split_at_mut((t + 1) * batch * gn);
            let gates_t = &mut gates_upto[t * batch * gn..];
            let (d_rec_t, d_rec_next): (&mut [f32], &[f32]) = if C::GATED_RECURRENCE {
                let (upto, after) = self.d_rec.split_at_mut((t + 1) * batch * gn);
                (&mut upto[t * batch * gn..], after)
            } else {
                (&mut [], gates_after)
            };
            if carry_next {
                // dh_t += E_{t+1} Hᵀ
                gemm(
                    1.0,
                    Mat::new(d_rec_next, batch, gn),
                    false,
                    Mat::new(h_w, n, gn),
                    true,
                    1.0,
                    &mut self.dh,
                );
            } else {
                self.carry.fill(0.0);
            }
            let (h_prev, aux_prev): (&[f32], &[f32]) = match (t, self.has_initial) {
                (0, false) => (&self.zeros, &self.zeros),
                (0, true) if C::AUX_IS_STATE => (&self.initial.h, &self.initial.aux),
                (0, true) => (&self.initial.h, &self.zeros),
                _ => (
                    &self.h[(t - 1) * step_len..t * step_len],
                    &self.aux[(t - 1) * step_len..t * step_len],
                ),
            };
            let aux_t = &self.aux[t * step_len..(t + 1) * step_len];
            let dh = &self.dh;
            let d_rec = SharedRows::new(d_rec_t, gn);
            gates_t
                .par_chunks_mut(gn)
                .zip(self.carry.par_chunks_mut(n))
                .enumerate()
                .with_min_len(Self::rows_per_task(gn))
                .for_each(|(i, (gates, carry))| {
                    let row = i * n..(i + 1) * n;
                    // SAFETY: row i of E_t belongs to this task alone.
                    let d_rec = if C::GATED_RECURRENCE {
                        unsafe { d_rec.rows_mut(i, 1) }
                    } else {
                        &mut []
                    };
                    C::backward(Backward {
                        gates,
                        d_rec,
                        dh: &dh[row.clone()],
                        carry,
                        h_prev: &h_prev[row.clone()],
                        aux: &aux_t[row.clone()],
                        aux_prev: &aux_prev[row],
                    })
                });
        }
        let d_in = &self.gates[..rows * gn];
        let d_rec = if C::GATED_RECURRENCE {
            &self.d_rec[..rows * gn]
        } else {
            d_in
        };
        add_column_sums(d_in, gn, 0, &mut p.grads[self.b]);
        if let Some(bh) = self.bh {
            // dbh = Σ E's candidate block: bh enters R_t's last block.
            add_column_sums(d_rec, gn, (C::GATES - 1) * n, &mut p.grads[bh]);
        }
        self.input
            .weight_grad(x, 0..rows, d_in, self.in_size, gn, &mut p.grads[self.w]);
        if steps > 1 {
            // dH += Σ_{t≥1} h_{t-1}ᵀ E_t: rows 0..T-1 of h against rows 1..T of E.
            gemm(
                1.0,
                Mat::new(&self.h, (steps - 1) * batch, n),
                true,
                Mat::new(&d_rec[batch * gn..], (steps - 1) * batch, gn),
                false,
                1.0,
                &mut p.grads[self.rec],
            );
        }
        if self.has_initial {
            // dH += h_0ᵀ E_1: the carried output feeds the first step.
            gemm(
                1.0,
                Mat::new(&self.initial.h, batch, n),
                true,
                Mat::new(&d_rec[..batch * gn], batch, gn),
                false,
                1.0,
                &mut p.grads[self.rec],
            );
        }
        if let Some(dx) = dx {
            gemm(
                1.0,
                Mat::new(d_in, rows, gn),
                false,
                Mat::new(p.value(self.w), self.in_size, gn),
                true,
                0.0,
                dx,
            );
        }
    }

    fn set_product_path(&mut self, path: ProductPath) {
        self.input.path = path;
    }

    /// `W` for a crossbar (`H` stays digital, as for SNU layers).
    fn weight_slot(&mut self) -> Option<(&mut InputProducts, usize)> {
        Some((&mut self.input, self.w))
    }

    fn tile(&self) -> Option<&AnalogTile> {
        self.input.analog.as_deref()
    }

    fn set_carry_state(&mut self, on: bool) {
        self.carry_state = on;
        self.reset_state();
    }

    fn reset_state(&mut self) {
        self.has_last = false;
        self.has_initial = false;
    }

    fn carried_batch(&self) -> Option<usize> {
        (self.carry_state && self.has_last).then_some(self.last.batch)
    }
}
