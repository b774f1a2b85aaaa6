//! The Node binding of snu-core: a `Network` class owning weights and state in Rust.
//! Thin by design: it checks arguments, converts arrays and hands work to the engine.

mod analog;
mod args;
mod encoders;
mod guard;
mod tasks;
mod threads;

use guard::{engine, guard, try_lock};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::pool::on_pool;
use snu_core::Network as CoreNetwork;
use std::sync::{Arc, Mutex};
use tasks::{Batch, EvaluateTask, PredictTask, TrainTask};

/// Largest time-step count or batch size one call accepts.
const MAX_DIM: u64 = 1 << 24;

/// Output of `predict`: the readout and, on request, each layer's output sequence.
#[napi(object)]
pub struct Prediction {
    /// The readout, `[B, outputs]` (or `[T, B, outputs]` with the `sequence` readout).
    pub output: Float32Array,
    /// Each layer's output `[T, B, units]` (spikes for SNU layers), when asked for.
    pub layers: Option<Vec<Float32Array>>,
}

/// Output of `evaluate`: the loss and the readout.
#[napi(object)]
pub struct Evaluation {
    pub loss: f64,
    pub output: Float32Array,
}

/// Rows whose readout argmax matches the target class, and rows counted.
#[napi(object)]
pub struct CorrectCounts {
    pub correct: u32,
    pub rows: u32,
}

/// Output of `gradients`: the loss and one gradient per parameter, in `paramNames()` order.
#[napi(object)]
pub struct Gradients {
    pub loss: f64,
    pub names: Vec<String>,
    pub gradients: Vec<Float32Array>,
}

/// A sequential SNU network held by the native engine. Data are time-major `[T, B, features]`.
#[napi]
pub struct Network {
    inner: Arc<Mutex<CoreNetwork>>,
}

fn shape_args(steps: Unknown, batch: Unknown) -> Result<(usize, usize)> {
    Ok((
        args::integer(steps, "steps", 1, MAX_DIM)?,
        args::integer(batch, "batch", 1, MAX_DIM)?,
    ))
}

#[napi]
impl Network {
    /// Builds a network from its JSON model spec (see the TypeScript `ModelSpec`).
    #[napi(constructor)]
    pub fn new(#[napi(ts_arg_type = "string")] spec_json: Unknown) -> Result<Network> {
        guard("new Network", || {
            let json = args::string(spec_json, "spec")?;
            let net = CoreNetwork::from_json(&json).map_err(engine)?;
            Ok(Network {
                inner: Arc::new(Mutex::new(net)),
            })
        })
    }

    /// Restores a network from the bytes of `save()`.
    #[napi(factory)]
    pub fn load(#[napi(ts_arg_type = "Uint8Array")] bytes: Unknown) -> Result<Network> {
        guard("Network.load", || {
            let data = args::bytes(bytes, "bytes")?;
            let net = snu_core::checkpoint::load(&data).map_err(engine)?;
            Ok(Network {
                inner: Arc::new(Mutex::new(net)),
            })
        })
    }

    /// The checkpoint bytes: spec, weights and optimizer state, versioned and checksummed.
    #[napi]
    pub fn save(&self) -> Result<Buffer> {
        guard("save", || {
            Ok(snu_core::checkpoint::save(&*try_lock(&self.inner)?).into())
        })
    }

    /// The model spec as JSON, with every default filled in.
    #[napi]
    pub fn spec(&self) -> Result<String> {
        guard("spec", || Ok(try_lock(&self.inner)?.spec.to_json()))
    }

    #[napi]
    pub fn param_names(&self) -> Result<Vec<String>> {
        guard("paramNames", || Ok(try_lock(&self.inner)?.param_names()))
    }

    #[napi]
    pub fn param_shape(&self, #[napi(ts_arg_type = "string")] name: Unknown) -> Result<Vec<u32>> {
        guard("paramShape", || {
            let name = args::string(name, "name")?;
            let net = try_lock(&self.inner)?;
            Ok(net
                .param(&name)
                .map_err(engine)?
                .shape
                .iter()
                .map(|&d| d as u32)
                .collect())
        })
    }

    /// A copy of the named parameter.
    #[napi]
    pub fn get_param(&self, #[napi(ts_arg_type = "string")] name: Unknown) -> Result<Float32Array> {
        guard("getParam", || {
            let name = args::string(name, "name")?;
            let net = try_lock(&self.inner)?;
            Ok(Float32Array::new(
                net.param(&name).map_err(engine)?.value.clone(),
            ))
        })
    }

    /// Overwrites the named parameter (same length, finite values).
    #[napi]
    pub fn set_param(
        &self,
        #[napi(ts_arg_type = "string")] name: Unknown,
        #[napi(ts_arg_type = "Float32Array")] value: Unknown,
    ) -> Result<()> {
        guard("setParam", || {
            let name = args::string(name, "name")?;
            let value = args::float32(value, "value")?;
            try_lock(&self.inner)?
                .set_param(&name, &value)
                .map_err(engine)
        })
    }

    #[napi(getter)]
    pub fn input_size(&self) -> Result<u32> {
        guard("inputSize", || {
            Ok(try_lock(&self.inner)?.spec.input_size as u32)
        })
    }

    #[napi(getter)]
    pub fn output_size(&self) -> Result<u32> {
        guard("outputSize", || {
            Ok(try_lock(&self.inner)?.output_size() as u32)
        })
    }

    #[napi(getter)]
    pub fn learning_rate(&self) -> Result<f64> {
        guard("learningRate", || {
            Ok(try_lock(&self.inner)?.spec.optimizer.lr() as f64)
        })
    }

    #[napi]
    pub fn set_learning_rate(&self, #[napi(ts_arg_type = "number")] lr: Unknown) -> Result<()> {
        guard("setLearningRate", || {
            let lr = args::number(lr, "learningRate")?;
            try_lock(&self.inner)?
                .set_learning_rate(lr as f32)
                .map_err(engine)
        })
    }

    /// With `on`, every call continues the sequences of the previous call from each SNU layer's
    /// last state (truncated BPTT over consecutive windows); switching forgets any state.
    #[napi]
    pub fn set_carry_state(&self, #[napi(ts_arg_type = "boolean")] on: Unknown) -> Result<()> {
        guard("setCarryState", || {
            let on = args::optional_bool(Some(on), "on")?;
            try_lock(&self.inner)?.set_carry_state(on);
            Ok(())
        })
    }

    /// Forgets the carried state: the next call starts its sequences from zero.
    #[napi]
    pub fn reset_state(&self) -> Result<()> {
        guard("resetState", || {
            try_lock(&self.inner)?.reset_state();
            Ok(())
        })
    }

    /// Runs the network on `x` (`[T, B, inputSize]`) and returns the readout;
    /// with `withLayers`, also every layer's output sequence.
    #[napi]
    pub fn predict(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "boolean | undefined")] with_layers: Option<Unknown>,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<Prediction> {
        guard("predict", || {
            let x = args::float32(x, "x")?;
            let (steps, batch) = shape_args(steps, batch)?;
            let with_layers = args::optional_bool(with_layers, "withLayers")?;
            let mask = args::optional_float32(mask, "mask")?;
            let mut locked = try_lock(&self.inner)?;
            let net = &mut *locked;
            let output = Float32Array::new(
                on_pool(|| {
                    net.forward_masked(&x, mask.as_deref(), steps, batch)
                        .map(|o| o.to_vec())
                })
                .map_err(engine)?,
            );
            let layers = with_layers.then(|| {
                net.layer_outputs()
                    .into_iter()
                    .map(|l| Float32Array::new(l.to_vec()))
                    .collect()
            });
            Ok(Prediction { output, layers })
        })
    }

    /// `predict` off the main thread; resolves with the readout.
    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn predict_async(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<AsyncTask<PredictTask>> {
        guard("predictAsync", || {
            let x = args::float32(x, "x")?.to_vec();
            let (steps, batch) = shape_args(steps, batch)?;
            let mask = args::optional_float32(mask, "mask")?.map(|m| m.to_vec());
            Ok(AsyncTask::new(PredictTask {
                net: self.inner.clone(),
                data: Batch {
                    x,
                    y: vec![],
                    steps,
                    batch,
                    mask,
                },
            }))
        })
    }

    /// The loss on a batch, without gradients or updates.
    #[napi]
    pub fn loss(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "Float32Array")] y: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<f64> {
        guard("loss", || {
            let (x, y) = (args::float32(x, "x")?, args::float32(y, "y")?);
            let (steps, batch) = shape_args(steps, batch)?;
            let mask = args::optional_float32(mask, "mask")?;
            let net = &mut *try_lock(&self.inner)?;
            on_pool(|| net.loss_masked(&x, &y, mask.as_deref(), steps, batch)).map_err(engine)
        })
    }

    /// Accuracy counts of the last forward pass (of a training step: before the update) against
    /// `y`, that call's target; null unless the loss is a softmax cross-entropy.
    #[napi]
    pub fn last_correct(
        &self,
        #[napi(ts_arg_type = "Float32Array")] y: Unknown,
    ) -> Result<Option<CorrectCounts>> {
        guard("lastCorrect", || {
            let y = args::float32(y, "y")?;
            let counts = try_lock(&self.inner)?.last_correct(&y).map_err(engine)?;
            Ok(counts.map(|c| CorrectCounts {
                correct: c.correct as u32,
                rows: c.rows as u32,
            }))
        })
    }

    /// Loss and readout on a batch in one forward pass, off the main thread.
    #[napi(ts_return_type = "Promise<Evaluation>")]
    pub fn evaluate_async(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "Float32Array")] y: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<AsyncTask<EvaluateTask>> {
        guard("evaluateAsync", || {
            let (x, y) = (
                args::float32(x, "x")?.to_vec(),
                args::float32(y, "y")?.to_vec(),
            );
            let (steps, batch) = shape_args(steps, batch)?;
            let mask = args::optional_float32(mask, "mask")?.map(|m| m.to_vec());
            Ok(AsyncTask::new(EvaluateTask {
                net: self.inner.clone(),
                data: Batch {
                    x,
                    y,
                    steps,
                    batch,
                    mask,
                },
            }))
        })
    }

    /// Loss and gradients of every parameter, without updating.
    #[napi]
    pub fn gradients(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "Float32Array")] y: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<Gradients> {
        guard("gradients", || {
            let (x, y) = (args::float32(x, "x")?, args::float32(y, "y")?);
            let (steps, batch) = shape_args(steps, batch)?;
            let mask = args::optional_float32(mask, "mask")?;
            let mut locked = try_lock(&self.inner)?;
            let net = &mut *locked;
            let loss =
                on_pool(|| net.compute_gradients_masked(&x, &y, mask.as_deref(), steps, batch))
                    .map_err(engine)?;
            let names = net.param_names();
            let gradients = net
                .store
                .grads
                .iter()
                .map(|g| Float32Array::new(g.clone()))
                .collect();
            Ok(Gradients {
                loss,
                names,
                gradients,
            })
        })
    }

    /// One training step (forward, BPTT, optimizer update) on a batch; returns the loss.
    #[napi]
    pub fn train_step(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "Float32Array")] y: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<f64> {
        guard("trainStep", || {
            let (x, y) = (args::float32(x, "x")?, args::float32(y, "y")?);
            let (steps, batch) = shape_args(steps, batch)?;
            let mask = args::optional_float32(mask, "mask")?;
            let net = &mut *try_lock(&self.inner)?;
            on_pool(|| net.train_step_masked(&x, &y, mask.as_deref(), steps, batch)).map_err(engine)
        })
    }

    /// `trainStep` off the main thread; resolves with the loss.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn train_step_async(
        &self,
        #[napi(ts_arg_type = "Float32Array")] x: Unknown,
        #[napi(ts_arg_type = "Float32Array")] y: Unknown,
        #[napi(ts_arg_type = "number")] steps: Unknown,
        #[napi(ts_arg_type = "number")] batch: Unknown,
        #[napi(ts_arg_type = "Float32Array | undefined")] mask: Option<Unknown>,
    ) -> Result<AsyncTask<TrainTask>> {
        guard("trainStepAsync", || {
            let (x, y) = (
                args::float32(x, "x")?.to_vec(),
                args::float32(y, "y")?.to_vec(),
            );
            let (steps, batch) = shape_args(steps, batch)?;
            let mask = args::optional_float32(mask, "mask")?.map(|m| m.to_vec());
            Ok(AsyncTask::new(TrainTask {
                net: self.inner.clone(),
                data: Batch {
                    x,
                    y,
                    steps,
                    batch,
                    mask,
                },
            }))
        })
    }
}
