//! The operations on a batch, each written once: the synchronous method calls it on the JS
//! arrays, its async task on a copy, off the main thread (see `tasks.rs`).

use crate::analog::DeviceUpdate;
use crate::arrays::F32s;
use crate::guard::engine;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::kernels::pool::on_pool;
use snu_core::{Batch, Network};

/// Rows whose readout argmax matches the target class, and rows counted.
#[napi(object)]
pub struct CorrectCounts {
    pub correct: u32,
    pub rows: u32,
}

/// What one training step did: the loss before the update, the accuracy counts of the
/// output before the update (softmax cross-entropy losses only) and what went to the crossbars.
#[napi(object)]
pub struct StepReport {
    pub loss: f64,
    pub correct: Option<CorrectCounts>,
    pub devices: DeviceUpdate,
}

/// Loss and accuracy counts of a batch (softmax cross-entropy losses only for the counts).
#[napi(object)]
pub struct Evaluation {
    pub loss: f64,
    pub correct: Option<CorrectCounts>,
}

/// Output of `predict`: the readout and, on request, each layer's output sequence.
#[napi(object, object_from_js = false)]
pub struct Prediction {
    /// The readout, `[B, outputs]` (or `[T, B, outputs]` with the `sequence` readout).
    #[napi(ts_type = "Float32Array")]
    pub output: F32s,
    /// Each layer's output `[T, B, units]` (spikes for SNU layers), when asked for.
    #[napi(ts_type = "Array<Float32Array>")]
    pub layers: Option<Vec<F32s>>,
    /// With the layers: each SNU layer's state `s` `[T, B, units]` (null for other layers).
    #[napi(ts_type = "Array<Float32Array | null>")]
    pub states: Option<Vec<Option<F32s>>>,
}

/// Output of `gradients`: the loss and one gradient per parameter, in `paramNames()` order.
#[napi(object, object_from_js = false)]
pub struct Gradients {
    pub loss: f64,
    pub names: Vec<String>,
    #[napi(ts_type = "Array<Float32Array>")]
    pub gradients: Vec<F32s>,
}

/// An operation: a function of the network and a batch.
pub type Op<T> = fn(&mut Network, &Batch) -> Result<T>;

fn counts(c: Option<snu_core::network::Correct>) -> Option<CorrectCounts> {
    c.map(|c| CorrectCounts {
        correct: c.correct as u32,
        rows: c.rows as u32,
    })
}

pub fn train(net: &mut Network, b: &Batch) -> Result<StepReport> {
    let r = on_pool(|| net.train_step(b)).map_err(engine)?;
    Ok(StepReport {
        loss: r.loss,
        correct: counts(r.correct),
        devices: DeviceUpdate::from(&r.devices),
    })
}

pub fn evaluate(net: &mut Network, b: &Batch) -> Result<Evaluation> {
    let r = on_pool(|| net.evaluate(b)).map_err(engine)?;
    Ok(Evaluation {
        loss: r.loss,
        correct: counts(r.correct),
    })
}

pub fn loss(net: &mut Network, b: &Batch) -> Result<f64> {
    on_pool(|| net.loss(b)).map_err(engine)
}

pub fn predict(net: &mut Network, b: &Batch) -> Result<Prediction> {
    let output = on_pool(|| net.forward(b).map(<[f32]>::to_vec)).map_err(engine)?;
    Ok(Prediction {
        output: F32s(output),
        layers: None,
        states: None,
    })
}

/// `predict`, with the readout turned into the probabilities the loss reads it as
/// (`snu_core::train::loss::to_probabilities`).
pub fn predict_probabilities(net: &mut Network, b: &Batch) -> Result<Prediction> {
    let mut p = predict(net, b)?;
    let (loss, n) = (net.spec.loss, net.output_size());
    snu_core::train::loss::to_probabilities(loss, &mut p.output.0, n).map_err(engine)?;
    Ok(p)
}

pub fn predict_with_layers(net: &mut Network, b: &Batch) -> Result<Prediction> {
    let mut p = predict(net, b)?;
    p.layers = Some(net.layer_outputs().into_iter().map(F32s).collect());
    p.states = Some(
        net.layer_states()
            .into_iter()
            .map(|s| s.map(F32s))
            .collect(),
    );
    Ok(p)
}

pub fn gradients(net: &mut Network, b: &Batch) -> Result<Gradients> {
    let loss = on_pool(|| net.compute_gradients(b)).map_err(engine)?;
    Ok(Gradients {
        loss,
        names: net.param_names(),
        gradients: net.store.grads.iter().map(|g| F32s(g.clone())).collect(),
    })
}
