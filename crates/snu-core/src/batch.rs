//! One batch as the engine takes it, and the checks a batch must pass before any layer runs.
//!
//! Layout: time-major. `x` is `[T, B, inputSize]` (row `t * B + b` is sample `b` at step `t`),
//! `y` is `[B, width]` or `[T, B, width]` with the `sequence` readout (`width` 1 for class ids),
//! `mask` is `[T, B]`: 1 for a real step, 0 for padding after a sample's real steps.

use crate::bail;
use crate::error::{check_finite, Result};
use crate::layers::SeqShape;
use crate::limits::{MAX_DIM, MAX_VALUES};
use crate::spec::LossSpec;

/// A batch: inputs, optional targets (needed by the loss, gradients and training), optional
/// mask, and its shape.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    pub x: &'a [f32],
    pub y: Option<&'a [f32]>,
    pub mask: Option<&'a [f32]>,
    pub steps: usize,
    pub batch: usize,
}

impl<'a> Batch<'a> {
    /// Inputs and targets of `steps x batch` samples.
    pub fn new(x: &'a [f32], y: &'a [f32], steps: usize, batch: usize) -> Batch<'a> {
        Batch {
            x,
            y: Some(y),
            mask: None,
            steps,
            batch,
        }
    }

    /// Inputs only (prediction).
    pub fn inputs(x: &'a [f32], steps: usize, batch: usize) -> Batch<'a> {
        Batch {
            x,
            y: None,
            mask: None,
            steps,
            batch,
        }
    }

    /// The same batch with a `[T, B]` mask (`None`: every step is real).
    pub fn with_mask(self, mask: Option<&'a [f32]>) -> Batch<'a> {
        Batch { mask, ..self }
    }

    /// The targets, or an error for an operation that needs them.
    pub fn target(&self) -> Result<&'a [f32]> {
        match self.y {
            Some(y) => Ok(y),
            None => bail!("y: this operation needs the batch's targets, got none"),
        }
    }

    /// Checks `steps` and `batch`, and that a whole layer's sequence of `width` values per row
    /// fits one array.
    pub fn shape(&self, width: usize) -> Result<SeqShape> {
        let (steps, batch) = (self.steps, self.batch);
        if steps == 0 || batch == 0 || steps > MAX_DIM || batch > MAX_DIM {
            bail!("steps and batch: expected integers from 1 to {MAX_DIM}, got steps = {steps}, batch = {batch}");
        }
        match steps.checked_mul(batch).and_then(|r| r.checked_mul(width)) {
            Some(v) if v <= MAX_VALUES => {}
            _ => bail!(
                "steps x batch x width = {steps} x {batch} x {width} exceeds {MAX_VALUES} values"
            ),
        }
        Ok(SeqShape { steps, batch })
    }

    /// Checks the mask and returns each sample's real steps (`None` without a mask).
    pub fn lengths(&self) -> Result<Option<Vec<usize>>> {
        let Some(mask) = self.mask else {
            return Ok(None);
        };
        let (steps, batch) = (self.steps, self.batch);
        check_finite(
            "mask",
            mask,
            steps * batch,
            &format!("[steps={steps}, batch={batch}]"),
        )?;
        let mut lengths = Vec::with_capacity(batch);
        for b in 0..batch {
            let at = |t: usize| mask[t * batch + b];
            if let Some(t) = (0..steps).find(|&t| at(t) != 0.0 && at(t) != 1.0) {
                bail!("mask: value at step {t}, sample {b} is {}; expected 1 (a real step) or 0 (padding)", at(t));
            }
            let len = (0..steps).take_while(|&t| at(t) == 1.0).count();
            if let Some(t) = (len..steps).find(|&t| at(t) == 1.0) {
                bail!("mask: sample {b} has padding at step {len} but a real step at step {t}; padding must come after a sample's real steps");
            }
            if len == 0 {
                bail!("mask: sample {b} has no real step; every sample needs at least one");
            }
            lengths.push(len);
        }
        Ok(Some(lengths))
    }
}

/// Checks token ids for a model whose first layer is an embedding of `vocab` ids.
pub fn check_token_ids(x: &[f32], vocab: usize) -> Result<()> {
    if let Some(i) = x
        .iter()
        .position(|&v| !(v >= 0.0 && v < vocab as f32 && v.fract() == 0.0))
    {
        bail!(
            "x: value at index {i} is {}, but the embedding reads token ids, integers from 0 to {}",
            x[i],
            vocab - 1
        );
    }
    Ok(())
}

/// Checks targets of `rows` readout rows against the loss: their count, finiteness, and
/// class ids (sparse loss) or values in [0, 1] (cross-entropies).
pub fn check_target(
    target: &[f32],
    loss: LossSpec,
    outputs: usize,
    width: usize,
    rows: usize,
    what: &str,
) -> Result<()> {
    check_finite("y", target, rows * width, what)?;
    match loss {
        LossSpec::Mse => {}
        LossSpec::SparseSoftmaxCrossEntropy => {
            if let Some(i) = target
                .iter()
                .position(|&v| !(v >= 0.0 && v < outputs as f32 && v.fract() == 0.0))
            {
                bail!("y: value at index {i} is {}, but sparseSoftmaxCrossEntropy targets are class ids, integers from 0 to {}", target[i], outputs - 1);
            }
        }
        _ => {
            if let Some(i) = target.iter().position(|v| !(0.0..=1.0).contains(v)) {
                bail!(
                    "y: value at index {i} is {}, but cross-entropy targets must lie in [0, 1]",
                    target[i]
                );
            }
        }
    }
    Ok(())
}
