//! The Elman RNN cell: one gate block, `h_t = tanh(x_t W + b + h_{t-1} H)`.
//!
//! ```text
//! forward   h_t = tanh(P_t + R_t)              (the gate row keeps h_t)
//! backward  D_t = dh_t ⊙ (1 - h_t²)            (= E_t; no path between steps but H)
//! ```

use super::{Backward, Cell, Forward};
use crate::kernels::fastmath::tanh;
use crate::kernels::simd::simd_kernel;

pub struct Rnn;

impl Cell for Rnn {
    const GATES: usize = 1;
    const AUX_IS_STATE: bool = false;
    const GATED_RECURRENCE: bool = false;

    fn forward(row: Forward) {
        forward_row(row.gates, row.rec, row.h)
    }

    fn backward(row: Backward) {
        backward_row(row.gates, row.dh)
    }
}

simd_kernel! {
    fn forward_row(gates: &mut [f32], rec: &[f32], h: &mut [f32]) {
        for ((g, r), h) in gates.iter_mut().zip(rec).zip(h.iter_mut()) {
            *g = tanh(*g + r);
            *h = *g;
        }
    }
}

simd_kernel! {
    fn backward_row(gates: &mut [f32], dh: &[f32]) {
        for (g, d) in gates.iter_mut().zip(dh) {
            *g = d * (1.0 - *g * *g);
        }
    }
}

/// The initial `b`: zeros.
pub fn initial_bias(units: usize) -> Vec<f32> {
    vec![0.0; units]
}
