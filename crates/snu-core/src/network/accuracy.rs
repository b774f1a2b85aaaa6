//! Classification accuracy of the last forward pass: a row is correct when the argmax of its
//! readout equals the target class (the target's argmax, or the class id for the sparse loss).
//! Padded steps of a masked `sequence` readout are left out, as the loss leaves them out.

use super::Network;
use crate::bail;
use crate::error::Result;
use crate::kernels::argmax::argmax;
use crate::spec::{LossSpec, Readout};

/// Correct rows and counted rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Correct {
    pub correct: usize,
    pub rows: usize,
}

impl Network {
    /// Accuracy counts of the output of the last `forward`, `loss`, `compute_gradients` or
    /// `train_step` (for a training step: the output before the update) against `target`,
    /// the target of that same call. `None` unless the loss is a softmax cross-entropy.
    pub fn last_correct(&self, target: &[f32]) -> Result<Option<Correct>> {
        let sparse = match self.spec.loss {
            LossSpec::SoftmaxCrossEntropy => false,
            LossSpec::SparseSoftmaxCrossEntropy => true,
            _ => return Ok(None),
        };
        if self.out.is_empty() {
            bail!("accuracy: no forward pass yet; train, evaluate or predict first");
        }
        let n = self.output_size();
        let rows = self.out.len() / n;
        let width = if sparse { 1 } else { n };
        if target.len() != rows * width {
            bail!(
                "y: expected {} values (the target of the last call, {rows} rows), got {}",
                rows * width,
                target.len()
            );
        }
        let bad = |v: f32| {
            if sparse {
                !(v >= 0.0 && v < n as f32 && v.fract() == 0.0)
            } else {
                !v.is_finite()
            }
        };
        if let Some(i) = target.iter().position(|&v| bad(v)) {
            bail!(
                "y: value at index {i} is {}; expected {}",
                target[i],
                if sparse {
                    format!("a class id from 0 to {}", n - 1)
                } else {
                    "a finite number".into()
                }
            );
        }
        // Masked rows: row r = t * B + b is real while t < length of sample b.
        let masked = self.masked && self.spec.readout == Readout::Sequence;
        let batch = self.lengths.len().max(1);
        let mut c = Correct {
            correct: 0,
            rows: 0,
        };
        for r in 0..rows {
            if masked && r / batch >= self.lengths[r % batch] {
                continue;
            }
            let want = if sparse {
                target[r] as usize
            } else {
                argmax(&target[r * n..(r + 1) * n])
            };
            c.correct += usize::from(argmax(&self.out[r * n..(r + 1) * n]) == want);
            c.rows += 1;
        }
        Ok(Some(c))
    }
}
