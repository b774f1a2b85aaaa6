//! The Node binding of snu-core: a `Network` class owning weights and state in Rust.
//! Thin by design: it checks arguments, converts arrays and hands work to the engine.

mod analog;
mod args;
mod arrays;
mod augment;
mod batch;
mod encoders;
mod guard;
mod nir;
mod ops;
mod tasks;
mod threads;

use arrays::{Bytes, F32s};
use batch::BatchArg;
use guard::{engine, guard, try_lock, try_lock_raw, Shared};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use ops::{Evaluation, Gradients, Op, Prediction, StepReport};
use snu_core::spec::Shape;
use snu_core::Network as CoreNetwork;
use snu_core::TrainingMethod;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tasks::NetTask;

/// A sequential SNU network held by the native engine. Data are time-major `[T, B, features]`.
///
/// V8 sees only a small wrapper object; the weights live in Rust. So that the garbage collector
/// feels their weight (a loop of throwaway models would otherwise grow by gigabytes before it
/// collects), each network reports its `state_bytes` to V8 as external memory, and takes the
/// report back when it is disposed or finalized.
#[napi(custom_finalize)]
pub struct Network {
    inner: Shared,
    /// Bytes reported to V8 and not yet taken back.
    external: AtomicI64,
}

impl Network {
    fn wrap(env: &Env, net: CoreNetwork) -> Network {
        let bytes = i64::try_from(net.state_bytes()).unwrap_or(i64::MAX);
        // A failed report only leaves the collector less informed: not worth failing the call.
        let reported = if env.adjust_external_memory(bytes).is_ok() {
            bytes
        } else {
            0
        };
        Network {
            inner: Arc::new(Mutex::new(Some(net))),
            external: AtomicI64::new(reported),
        }
    }

    /// Takes back what was reported to V8 (once: later calls find 0).
    fn release_external(&self, env: &Env) {
        let bytes = self.external.swap(0, Ordering::Relaxed);
        if bytes != 0 {
            let _ = env.adjust_external_memory(-bytes);
        }
    }
}

impl ObjectFinalize for Network {
    fn finalize(self, env: Env) -> Result<()> {
        self.release_external(&env);
        Ok(())
    }
}

/// One layer of `summary()`.
#[napi(object)]
pub struct LayerSummary {
    pub name: String,
    /// The layer's `type`.
    pub kind: String,
    /// What the layer gives per step: `[n]` or `[C, H, W]`.
    pub shape: Vec<u32>,
    pub params: f64,
    /// Spiking layers after a forward pass: the fraction of outputs that are spikes.
    pub firing_rate: Option<f64>,
}

#[napi]
impl Network {
    /// Builds a network from its JSON model spec (see the TypeScript `ModelSpec`).
    #[napi(constructor)]
    pub fn new(env: &Env, #[napi(ts_arg_type = "string")] spec_json: Unknown) -> Result<Network> {
        guard("new Network", || {
            let json = args::string(spec_json, "spec")?;
            let net = CoreNetwork::from_json(&json).map_err(engine)?;
            Ok(Network::wrap(env, net))
        })
    }

    /// Restores a network from the bytes of `save()`.
    #[napi(factory)]
    pub fn load(env: &Env, #[napi(ts_arg_type = "Uint8Array")] bytes: Unknown) -> Result<Network> {
        guard("Network.load", || {
            let data = args::bytes(bytes, "bytes")?;
            let net = snu_core::checkpoint::load(&data).map_err(engine)?;
            Ok(Network::wrap(env, net))
        })
    }

    /// The checkpoint bytes: spec, weights and optimizer state, versioned and checksummed.
    #[napi(ts_return_type = "Buffer")]
    pub fn save(&self) -> Result<Bytes> {
        guard("save", || {
            Ok(Bytes(snu_core::checkpoint::save(&*try_lock(&self.inner)?)))
        })
    }

    /// Frees the network's weights, state and workspaces now instead of when the garbage
    /// collector gets to this object; every later call is refused. Refused while an async call
    /// on it runs (await it first); disposing twice is harmless.
    #[napi]
    pub fn dispose(&self, env: &Env) -> Result<()> {
        guard("dispose", || {
            let mut net = try_lock_raw(&self.inner)?;
            *net = None;
            self.release_external(env);
            Ok(())
        })
    }

    /// Whether `dispose()` has freed the network.
    #[napi(getter)]
    pub fn disposed(&self) -> Result<bool> {
        guard("disposed", || Ok(try_lock_raw(&self.inner)?.is_none()))
    }

    /// The model spec as JSON, with every default filled in.
    #[napi]
    pub fn spec(&self) -> Result<String> {
        guard("spec", || Ok(try_lock(&self.inner)?.spec.to_json()))
    }

    /// Each layer's output per step: `[n]` for a flat vector, `[C, H, W]` for images.
    #[napi]
    pub fn layer_shapes(&self) -> Result<Vec<Vec<u32>>> {
        guard("layerShapes", || {
            let shapes = try_lock(&self.inner)?.spec.shapes().map_err(engine)?;
            Ok(shapes[1..]
                .iter()
                .map(|s| match *s {
                    Shape::Flat(n) => vec![n as u32],
                    Shape::Image { c, h, w } => vec![c as u32, h as u32, w as u32],
                })
                .collect())
        })
    }

    /// The network as a NIR graph (see `snu_core::nir::export`), with the warnings of an
    /// approximate export.
    #[napi]
    pub fn to_nir(&self, options: Option<nir::NirExportOptions>) -> Result<nir::NirExport> {
        guard("toNir", || nir::export(&*try_lock(&self.inner)?, options))
    }

    /// Each layer's name, type, output shape, parameter count and (spiking layers, after a
    /// forward pass) firing rate.
    #[napi]
    pub fn summary(&self) -> Result<Vec<LayerSummary>> {
        guard("summary", || {
            Ok(try_lock(&self.inner)?
                .summary()
                .into_iter()
                .map(|l| LayerSummary {
                    name: l.name,
                    kind: l.kind.to_string(),
                    shape: l.shape.iter().map(|&d| d as u32).collect(),
                    params: l.params as f64,
                    firing_rate: l.firing_rate,
                })
                .collect())
        })
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
    #[napi(ts_return_type = "Float32Array")]
    pub fn get_param(&self, #[napi(ts_arg_type = "string")] name: Unknown) -> Result<F32s> {
        guard("getParam", || {
            let name = args::string(name, "name")?;
            let net = try_lock(&self.inner)?;
            Ok(F32s(net.param(&name).map_err(engine)?.value.clone()))
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

    /// How `trainStep` computes its gradients: `'bptt'` (the default), or `'ostl'` (online
    /// learning from eligibility traces), updating the weights every `updateEvery` steps of the
    /// sequences or, without it, once per batch. OSTL is refused, naming the layer and the
    /// reason, for a network it cannot train.
    #[napi]
    pub fn set_training_method(
        &self,
        #[napi(ts_arg_type = "'bptt' | 'ostl'")] method: Unknown,
        #[napi(ts_arg_type = "number | undefined | null")] update_every: Option<Unknown>,
    ) -> Result<()> {
        guard("setTrainingMethod", || {
            let method = args::string(method, "method")?;
            let every = match update_every {
                Some(v) if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) => {
                    Some(args::integer(
                        v,
                        "updateEvery",
                        1,
                        snu_core::limits::MAX_DIM as u64,
                    )?)
                }
                _ => None,
            };
            let m = match (method.as_str(), every) {
                ("bptt", None) => TrainingMethod::Bptt,
                ("bptt", Some(_)) => return Err(args::invalid(
                    "updateEvery: only OSTL updates within a sequence; BPTT updates once per batch",
                )),
                ("ostl", update_every) => TrainingMethod::Ostl { update_every },
                (other, _) => {
                    return Err(args::invalid(format!(
                        "method: expected 'bptt' or 'ostl', got '{other}'"
                    )))
                }
            };
            try_lock(&self.inner)?
                .set_training_method(m)
                .map_err(engine)
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

    /// Runs the network on the batch's `x` and returns the readout; with `withLayers`, also
    /// every layer's output sequence.
    #[napi]
    pub fn predict(
        &self,
        batch: BatchArg,
        #[napi(ts_arg_type = "boolean | undefined")] with_layers: Option<Unknown>,
    ) -> Result<Prediction> {
        let op = if args::optional_bool(with_layers, "withLayers")? {
            ops::predict_with_layers
        } else {
            ops::predict
        };
        self.run("predict", &batch, op)
    }

    /// `predict`, the readout as the probabilities the loss reads it as: softmax rows for the
    /// softmax cross-entropies, sigmoids for binary cross-entropy from logits.
    #[napi]
    pub fn predict_probabilities(&self, batch: BatchArg) -> Result<Prediction> {
        self.run("predictProbabilities", &batch, ops::predict_probabilities)
    }

    /// `predict` off the main thread.
    #[napi(ts_return_type = "Promise<Prediction>")]
    pub fn predict_async(&self, batch: BatchArg) -> Result<AsyncTask<NetTask<Prediction>>> {
        self.spawn("predictAsync", &batch, ops::predict)
    }

    /// The loss on a batch, without gradients or updates.
    #[napi]
    pub fn loss(&self, batch: BatchArg) -> Result<f64> {
        self.run("loss", &batch, ops::loss)
    }

    /// Loss and accuracy counts on a batch in one forward pass, without gradients.
    #[napi]
    pub fn evaluate(&self, batch: BatchArg) -> Result<Evaluation> {
        self.run("evaluate", &batch, ops::evaluate)
    }

    /// `evaluate` off the main thread.
    #[napi(ts_return_type = "Promise<Evaluation>")]
    pub fn evaluate_async(&self, batch: BatchArg) -> Result<AsyncTask<NetTask<Evaluation>>> {
        self.spawn("evaluateAsync", &batch, ops::evaluate)
    }

    /// Loss and gradients of every parameter, without updating.
    #[napi]
    pub fn gradients(&self, batch: BatchArg) -> Result<Gradients> {
        self.run("gradients", &batch, ops::gradients)
    }

    /// One training step (forward, BPTT, optimizer update) on a batch.
    #[napi]
    pub fn train_step(&self, batch: BatchArg) -> Result<StepReport> {
        self.run("trainStep", &batch, ops::train)
    }

    /// `trainStep` off the main thread.
    #[napi(ts_return_type = "Promise<StepReport>")]
    pub fn train_step_async(&self, batch: BatchArg) -> Result<AsyncTask<NetTask<StepReport>>> {
        self.spawn("trainStepAsync", &batch, ops::train)
    }
}

impl Network {
    /// Runs `op` now on the JS arrays (no copy); refuses while an async call holds the network.
    fn run<T>(&self, what: &str, batch: &BatchArg, op: Op<T>) -> Result<T> {
        guard(what, || op(&mut *try_lock(&self.inner)?, &batch.view()?))
    }

    /// Queues `op` on a copy of the batch, off the main thread.
    fn spawn<T>(
        &self,
        what: &'static str,
        batch: &BatchArg,
        op: Op<T>,
    ) -> Result<AsyncTask<NetTask<T>>>
    where
        NetTask<T>: Task,
    {
        guard(what, || {
            Ok(NetTask::new(what, &self.inner, batch.to_owned()?, op))
        })
    }
}
