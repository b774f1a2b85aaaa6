//! Readouts: the last layer's sequence `[T, B, n]` to what the loss sees.

use crate::layers::SeqShape;
use crate::spec::Readout;

/// Rows of the readout's output: `B`, or `T*B` for `sequence`.
pub fn rows(readout: Readout, shape: SeqShape) -> usize {
    match readout {
        Readout::Sequence => shape.rows(),
        _ => shape.batch,
    }
}

/// `out` (`rows x n`) from `y` (`[T*B, n]`).
pub fn forward(readout: Readout, y: &[f32], shape: SeqShape, n: usize, out: &mut Vec<f32>) {
    let step_len = shape.batch * n;
    out.clear();
    match readout {
        Readout::Sequence => out.extend_from_slice(y),
        Readout::Last => out.extend_from_slice(&y[(shape.steps - 1) * step_len..shape.steps * step_len]),
        Readout::Sum | Readout::Mean => {
            // o = sum_t y_t  (mean: times 1/T)
            out.resize(step_len, 0.0);
            for y_t in y.chunks_exact(step_len) {
                out.iter_mut().zip(y_t).for_each(|(o, v)| *o += v);
            }
            if readout == Readout::Mean {
                let inv = 1.0 / shape.steps as f32;
                out.iter_mut().for_each(|o| *o *= inv);
            }
        }
    }
}

/// `dL/dy` (`[T*B, n]`) from `dL/do`.
pub fn backward(readout: Readout, d_out: &[f32], shape: SeqShape, n: usize, dy: &mut Vec<f32>) {
    let step_len = shape.batch * n;
    dy.clear();
    dy.resize(shape.rows() * n, 0.0);
    match readout {
        Readout::Sequence => dy.copy_from_slice(d_out),
        Readout::Last => dy[(shape.steps - 1) * step_len..].copy_from_slice(d_out),
        Readout::Sum | Readout::Mean => {
            let scale = if readout == Readout::Mean { 1.0 / shape.steps as f32 } else { 1.0 };
            for dy_t in dy.chunks_exact_mut(step_len) {
                dy_t.iter_mut().zip(d_out).for_each(|(d, g)| *d = g * scale);
            }
        }
    }
}
