//! The batch argument of every `Network` operation: one JS object, checked once here, seen
//! by the engine as a `snu_core::Batch`.

use crate::args;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::limits::MAX_DIM;
use snu_core::Batch;

/// One batch: time-major inputs `x` `[steps, batch, inputSize]`, targets `y` where the
/// operation needs them, and an optional `mask` `[steps, batch]` (1 real step, 0 padding).
#[napi(object)]
pub struct BatchArg {
    pub x: Float32Array,
    pub y: Option<Float32Array>,
    pub mask: Option<Float32Array>,
    pub steps: f64,
    pub batch: f64,
}

/// A whole number in `1..=MAX_DIM`.
fn dim(v: f64, name: &str) -> Result<usize> {
    if v.fract() != 0.0 || !(1.0..=MAX_DIM as f64).contains(&v) {
        return Err(args::invalid(format!(
            "{name}: expected an integer from 1 to {MAX_DIM}, got {}",
            snu_core::error::js_num(v)
        )));
    }
    Ok(v as usize)
}

impl BatchArg {
    /// The engine's view of the JS arrays, without copying them (synchronous calls).
    pub fn view(&self) -> Result<Batch<'_>> {
        Ok(Batch {
            x: &self.x,
            y: self.y.as_deref(),
            mask: self.mask.as_deref(),
            steps: dim(self.steps, "steps")?,
            batch: dim(self.batch, "batch")?,
        })
    }

    /// A copy the engine owns, for work off the main thread (JS may reuse its arrays at once).
    pub fn to_owned(&self) -> Result<OwnedBatch> {
        let b = self.view()?;
        Ok(OwnedBatch {
            x: b.x.to_vec(),
            y: b.y.map(<[f32]>::to_vec),
            mask: b.mask.map(<[f32]>::to_vec),
            steps: b.steps,
            batch: b.batch,
        })
    }
}

/// A batch copied out of JS.
pub struct OwnedBatch {
    x: Vec<f32>,
    y: Option<Vec<f32>>,
    mask: Option<Vec<f32>>,
    steps: usize,
    batch: usize,
}

impl OwnedBatch {
    pub fn view(&self) -> Batch<'_> {
        Batch {
            x: &self.x,
            y: self.y.as_deref(),
            mask: self.mask.as_deref(),
            steps: self.steps,
            batch: self.batch,
        }
    }
}
