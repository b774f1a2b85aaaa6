//! The GRU cell (Cho et al. 2014) in the form PyTorch and cuDNN use, the reset gate applied
//! after the recurrent product (so `R_t = h_{t-1} H` is one product for all three blocks);
//! gate blocks in the order `r, z, n`. `b` is the input bias (PyTorch's `b_ih`, with its
//! `b_hr, b_hz` folded in); `bh` is PyTorch's `b_hn`, which the reset gate scales.
//!
//! ```text
//! forward   r = σ(P_r + R_r)   z = σ(P_z + R_z)   q = R_n + bh   n = tanh(P_n + r ⊙ q)
//!           h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}                     (aux keeps q)
//! backward  dh = dh + carry                                     carry ← dh ⊙ z  (to step t-1)
//!           D_z = dh ⊙ (h_{t-1} - n) ⊙ z(1-z)   D_n = dh ⊙ (1-z) ⊙ (1-n²)   D_r = D_n ⊙ q ⊙ r(1-r)
//!           E = [D_r, D_z, D_n ⊙ r]                              dbh = Σ E_n
//! ```

use super::{Backward, Cell, Forward};
use crate::kernels::fastmath::{sigmoid, tanh};
use crate::kernels::simd::simd_kernel;

pub struct Gru;

impl Cell for Gru {
    const GATES: usize = 3;
    const AUX_IS_STATE: bool = false;
    const GATED_RECURRENCE: bool = true;

    fn forward(row: Forward) {
        forward_row(row.gates, row.rec, row.bh, row.h_prev, row.h, row.aux)
    }

    fn backward(row: Backward) {
        backward_row(row.gates, row.d_rec, row.dh, row.carry, row.h_prev, row.aux)
    }
}

simd_kernel! {
    /// `aux` is `q = R_n + bh`.
    fn forward_row(gates: &mut [f32], rec: &[f32], bh: &[f32], h_prev: &[f32], h: &mut [f32], q: &mut [f32]) {
        let n = h.len();
        let (r, rest) = gates.split_at_mut(n);
        let (z, c) = rest.split_at_mut(n);
        let (rec_r, rest) = rec.split_at(n);
        let (rec_z, rec_n) = rest.split_at(n);
        for k in 0..n {
            let rk = sigmoid(r[k] + rec_r[k]);
            let zk = sigmoid(z[k] + rec_z[k]);
            let qk = rec_n[k] + bh[k];
            let nk = tanh(c[k] + rk * qk);
            (r[k], z[k], c[k], q[k]) = (rk, zk, nk, qk);
            h[k] = (1.0 - zk) * nk + zk * h_prev[k];
        }
    }
}

simd_kernel! {
    fn backward_row(gates: &mut [f32], d_rec: &mut [f32], dh: &[f32], carry: &mut [f32], h_prev: &[f32], q: &[f32]) {
        let n = dh.len();
        let (r, rest) = gates.split_at_mut(n);
        let (z, c) = rest.split_at_mut(n);
        let (e_r, rest) = d_rec.split_at_mut(n);
        let (e_z, e_n) = rest.split_at_mut(n);
        for k in 0..n {
            let (rk, zk, nk) = (r[k], z[k], c[k]);
            let d = dh[k] + carry[k];
            carry[k] = d * zk;
            let dz = d * (h_prev[k] - nk) * zk * (1.0 - zk);
            let dn = d * (1.0 - zk) * (1.0 - nk * nk);
            let dr = dn * q[k] * rk * (1.0 - rk);
            (r[k], z[k], c[k]) = (dr, dz, dn);
            (e_r[k], e_z[k], e_n[k]) = (dr, dz, dn * rk);
        }
    }
}

/// The initial `b`: zeros.
pub fn initial_bias(units: usize) -> Vec<f32> {
    vec![0.0; 3 * units]
}
