//! Readouts: the last layer's sequence `[T, B, n]` to what the loss sees.
//!
//! With sequences of different length (`lengths[b] = L_b <= T`, padding after the real steps)
//! every readout looks at real steps only:
//! ```text
//! sum       o_b = Σ_{t < L_b} y_{t,b}          mean   o_b = (1/L_b) Σ_{t < L_b} y_{t,b}
//! last      o_b = y_{L_b - 1, b}               sequence  o_{t,b} = y_{t,b}  (padded rows get no gradient)
//! ```

use crate::layers::SeqShape;
use crate::spec::Readout;

/// Rows of the readout's output: `B`, or `T*B` for `sequence`.
pub fn rows(readout: Readout, shape: SeqShape) -> usize {
    match readout {
        Readout::Sequence => shape.rows(),
        _ => shape.batch,
    }
}

/// Real steps of sample `b`: `lengths[b]`, or all `T` without lengths.
#[inline]
fn len_of(lengths: Option<&[usize]>, shape: SeqShape, b: usize) -> usize {
    lengths.map_or(shape.steps, |l| l[b])
}

/// `out` (`rows x n`) from `y` (`[T*B, n]`).
pub fn forward(
    readout: Readout,
    y: &[f32],
    shape: SeqShape,
    lengths: Option<&[usize]>,
    n: usize,
    out: &mut Vec<f32>,
) {
    let step_len = shape.batch * n;
    out.clear();
    match readout {
        Readout::Sequence => out.extend_from_slice(y),
        Readout::Last if lengths.is_none() => {
            out.extend_from_slice(&y[(shape.steps - 1) * step_len..shape.steps * step_len])
        }
        _ if lengths.is_none() => {
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
        _ => {
            out.resize(step_len, 0.0);
            for (b, o) in out.chunks_exact_mut(n).enumerate() {
                let len = len_of(lengths, shape, b);
                let row = |t: usize| &y[(t * shape.batch + b) * n..(t * shape.batch + b + 1) * n];
                if readout == Readout::Last {
                    o.copy_from_slice(row(len - 1));
                    continue;
                }
                for t in 0..len {
                    o.iter_mut().zip(row(t)).for_each(|(o, v)| *o += v);
                }
                if readout == Readout::Mean {
                    let inv = 1.0 / len as f32;
                    o.iter_mut().for_each(|o| *o *= inv);
                }
            }
        }
    }
}

/// `dL/dy` (`[T*B, n]`) from `dL/do`; zero on padded steps.
pub fn backward(
    readout: Readout,
    d_out: &[f32],
    shape: SeqShape,
    lengths: Option<&[usize]>,
    n: usize,
    dy: &mut Vec<f32>,
) {
    dy.clear();
    crate::error::resize_or_oom(dy, shape.rows() * n, 0.0);
    match readout {
        Readout::Sequence => {
            dy.copy_from_slice(d_out);
            // The loss already gives padded rows no gradient; zero them anyway so that no
            // readout can leak one.
            if let Some(lengths) = lengths {
                for (r, row) in dy.chunks_exact_mut(n).enumerate() {
                    if r / shape.batch >= lengths[r % shape.batch] {
                        row.fill(0.0);
                    }
                }
            }
        }
        _ => {
            for (b, g) in d_out.chunks_exact(n).enumerate() {
                let len = len_of(lengths, shape, b);
                let (first, scale) = match readout {
                    Readout::Last => (len - 1, 1.0),
                    Readout::Mean => (0, 1.0 / len as f32),
                    _ => (0, 1.0),
                };
                for t in first..len {
                    let r = t * shape.batch + b;
                    dy[r * n..(r + 1) * n]
                        .iter_mut()
                        .zip(g)
                        .for_each(|(d, g)| *d = g * scale);
                }
            }
        }
    }
}
