//! The LSTM cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000),
//! gate blocks in PyTorch's order `i, f, g, o`; one bias per gate (PyTorch's `b_ih + b_hh`).
//!
//! ```text
//! forward   i = σ(P_i + R_i)   f = σ(P_f + R_f)   g = tanh(P_g + R_g)   o = σ(P_o + R_o)
//!           c_t = f ⊙ c_{t-1} + i ⊙ g              h_t = o ⊙ tanh(c_t)
//! backward  dc = dh ⊙ o ⊙ (1 - tanh²(c_t)) + carry          carry ← dc ⊙ f  (to step t-1)
//!           D_i = dc ⊙ g ⊙ i(1-i)   D_f = dc ⊙ c_{t-1} ⊙ f(1-f)
//!           D_g = dc ⊙ i ⊙ (1-g²)   D_o = dh ⊙ tanh(c_t) ⊙ o(1-o)      (E = D)
//! ```

use super::{Backward, Cell, Forward};
use crate::kernels::fastmath::{sigmoid, tanh};
use crate::kernels::simd::simd_kernel;

pub struct Lstm;

impl Cell for Lstm {
    const GATES: usize = 4;
    const AUX_IS_STATE: bool = true;
    const GATED_RECURRENCE: bool = false;

    fn forward(row: Forward) {
        forward_row(row.gates, row.rec, row.aux_prev, row.h, row.aux)
    }

    fn backward(row: Backward) {
        backward_row(row.gates, row.dh, row.carry, row.aux, row.aux_prev)
    }
}

simd_kernel! {
    /// `aux` is `c`.
    fn forward_row(gates: &mut [f32], rec: &[f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32]) {
        let n = h.len();
        gates.iter_mut().zip(rec).for_each(|(g, r)| *g += r);
        let (i, rest) = gates.split_at_mut(n);
        let (f, rest) = rest.split_at_mut(n);
        let (g, o) = rest.split_at_mut(n);
        for k in 0..n {
            let (ik, fk, gk, ok) = (sigmoid(i[k]), sigmoid(f[k]), tanh(g[k]), sigmoid(o[k]));
            (i[k], f[k], g[k], o[k]) = (ik, fk, gk, ok);
            c[k] = fk * c_prev[k] + ik * gk;
            h[k] = ok * tanh(c[k]);
        }
    }
}

simd_kernel! {
    fn backward_row(gates: &mut [f32], dh: &[f32], carry: &mut [f32], c: &[f32], c_prev: &[f32]) {
        let n = dh.len();
        let (i, rest) = gates.split_at_mut(n);
        let (f, rest) = rest.split_at_mut(n);
        let (g, o) = rest.split_at_mut(n);
        for k in 0..n {
            let (ik, fk, gk, ok) = (i[k], f[k], g[k], o[k]);
            let tc = tanh(c[k]);
            let dc = dh[k] * ok * (1.0 - tc * tc) + carry[k];
            carry[k] = dc * fk;
            i[k] = dc * gk * ik * (1.0 - ik);
            f[k] = dc * c_prev[k] * fk * (1.0 - fk);
            g[k] = dc * ik * (1.0 - gk * gk);
            o[k] = dh[k] * tc * ok * (1.0 - ok);
        }
    }
}

/// The initial `b`: `forget_bias` on the forget gate, zeros elsewhere.
pub fn initial_bias(units: usize, forget_bias: f32) -> Vec<f32> {
    let mut b = vec![0.0; 4 * units];
    b[units..2 * units].fill(forget_bias);
    b
}
