//! The model as plain data (JSON): what TypeScript sends and what checkpoints store.
//!
//! Parsing names the path of any bad field (`layers[1].units: ...`); `validate` then
//! checks the ranges serde cannot express.

use crate::bail;
use crate::error::js_num;
use crate::error::{Error, Result};
use crate::layers::activation::{DenseActivation, OutputActivation, StateActivation, Surrogate};
use serde::{Deserialize, Serialize};

/// A whole model as plain data: what `Sequential.spec` returns, what the engine parses and
/// what a checkpoint stores.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelSpec {
    /// Features per time step of the input.
    pub input_size: usize,
    pub layers: Vec<LayerSpec>,
    #[serde(default)]
    pub readout: Readout,
    pub loss: LossSpec,
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// Clip gradients to this global L2 norm before the update.
    #[serde(default)]
    pub clip_norm: Option<f32>,
    /// Truncated BPTT: no gradient crosses from a window of this many steps into the one before.
    #[serde(default)]
    pub tbptt: Option<usize>,
    /// Seed of the weight initialisation.
    #[serde(default)]
    pub seed: u64,
}

/// Any layer, told apart by `type`: the list a model is built from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LayerSpec {
    Snu(SnuSpec),
    Dense(DenseSpec),
    Embedding(EmbeddingSpec),
}

/// Token ids to vectors: `y_t = E[id_t]`. Only as the first layer, with `inputSize` 1 (the
/// input holds one token id per step and sample).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "EmbeddingLayerSpec"))]
pub struct EmbeddingSpec {
    /// Width of the vectors.
    pub units: usize,
    /// Number of token ids: `0..vocabSize`.
    pub vocab_size: usize,
    /// Layer name, without '.' (the matrix is `<name>.E`); none: `embedding_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// Initial weights are uniform in `[-initRange, initRange]` (default 0.1). Spiking layers
    /// after the embedding fire only if `E x W` reaches their threshold, so they may want more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_range: Option<f32>,
}

/// An SNU layer (docs/design.md §1) with every option filled in: what `snu()` returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnuLayerSpec"))]
pub struct SnuSpec {
    pub units: usize,
    /// Layer name, without '.' (parameters are `<name>.W`, ...); none: `<type>_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// `step` (SNU) or `sigmoid` (sSNU).
    #[serde(default = "default_output")]
    pub output: OutputActivation,
    #[serde(default = "default_g")]
    pub g: StateActivation,
    /// Adds `y_{t-1} H` to the state input.
    #[serde(default)]
    pub recurrent: bool,
    /// `l` in [0, 1): the membrane decay (initial value when trainable).
    #[serde(default = "default_decay")]
    pub decay: f32,
    /// One trainable decay per unit, kept in [0, 1) after every update.
    #[serde(default)]
    pub trainable_decay: bool,
    #[serde(default)]
    pub surrogate: Surrogate,
    /// Stop the gradient at the reset gate `(1 - y_{t-1})`.
    #[serde(default)]
    pub detach_reset: bool,
    /// Any spike in the layer resets the whole layer: reset factor `1 - max_j y_{t-1,j}`.
    #[serde(default)]
    pub lateral_inhibition: bool,
    /// Initial bias `b` (a threshold of `-b`).
    #[serde(default = "default_bias")]
    pub initial_bias: f32,
    /// Dropout on the layer's input while training, in [0, 1): inputs zeroed with this probability,
    /// the rest scaled by `1/(1 - dropout)` (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

fn default_output() -> OutputActivation {
    OutputActivation::Step
}
fn default_g() -> StateActivation {
    StateActivation::Relu
}
fn default_decay() -> f32 {
    0.8
}
fn default_bias() -> f32 {
    -1.0
}

/// A dense layer, `y_t = act(x_t W + b)` at every step: what `dense()` returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "DenseLayerSpec"))]
pub struct DenseSpec {
    pub units: usize,
    /// Layer name, without '.' (parameters are `<name>.W`, ...); none: `<type>_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub activation: DenseActivation,
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// Weight tying: use the transposed matrix of this embedding layer as `W` (the layer's
    /// input width must be the embedding's width, its units the vocabulary size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tied_to: Option<String>,
    /// Dropout on the layer's input while training, in [0, 1): inputs zeroed with this probability,
    /// the rest scaled by `1/(1 - dropout)` (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

fn yes() -> bool {
    true
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

/// How the last layer's sequence `[T, B, n]` becomes what the loss sees.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Readout {
    /// `o = sum_t y_t`, shape `[B, n]` (spike count).
    #[default]
    Sum,
    /// `o = (1/T) sum_t y_t`, shape `[B, n]` (rate).
    Mean,
    /// `o = y_T`, shape `[B, n]`.
    Last,
    /// `o_t = y_t`, shape `[T, B, n]`: a target at every step.
    Sequence,
}

/// A loss with its options, told apart by `kind`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LossSpec {
    /// Softmax over the readout taken as logits, then cross-entropy with the target distribution.
    SoftmaxCrossEntropy,
    /// As `softmaxCrossEntropy`, with one class id per row as the target instead of a
    /// distribution (language models: one word id per step, no one-hot rows of the vocabulary).
    SparseSoftmaxCrossEntropy,
    /// Per-unit binary cross-entropy summed over units (the music NLL of docs/design.md §2).
    /// With `fromLogits` the readout is passed through a sigmoid first; otherwise it must be a probability.
    #[serde(rename_all = "camelCase")]
    BinaryCrossEntropy {
        #[serde(default)]
        from_logits: bool,
    },
    /// Mean squared error over units.
    Mse,
}

/// An optimizer with its options (PyTorch's update rules), as `sgd`, `adam`, `adamW` and
/// `rmsprop` make them; an option left out takes its default.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OptimizerSpec {
    #[serde(rename_all = "camelCase")]
    Sgd {
        lr: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default)]
        momentum: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default)]
        nesterov: bool,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default)]
        weight_decay: f32,
    },
    #[serde(rename_all = "camelCase")]
    Adam {
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "lr_1e3")]
        lr: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "beta1")]
        beta1: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "beta2")]
        beta2: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "eps")]
        eps: f32,
        /// L2 penalty added to the gradient (coupled, as in Adam's original form).
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default)]
        weight_decay: f32,
    },
    #[serde(rename = "adamW", rename_all = "camelCase")]
    AdamW {
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "lr_1e3")]
        lr: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "beta1")]
        beta1: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "beta2")]
        beta2: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "eps")]
        eps: f32,
        /// Decoupled weight decay: `w -= lr * weightDecay * w`.
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "wd_adamw")]
        weight_decay: f32,
    },
    #[serde(rename_all = "camelCase")]
    Rmsprop {
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "lr_1e3")]
        lr: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "rho")]
        rho: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default = "eps")]
        eps: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default)]
        momentum: f32,
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        #[serde(default)]
        weight_decay: f32,
    },
}

fn lr_1e3() -> f32 {
    1e-3
}
fn beta1() -> f32 {
    0.9
}
fn beta2() -> f32 {
    0.999
}
fn eps() -> f32 {
    1e-8
}
fn wd_adamw() -> f32 {
    0.01
}
fn rho() -> f32 {
    0.9
}

impl Default for OptimizerSpec {
    fn default() -> Self {
        OptimizerSpec::Adam {
            lr: lr_1e3(),
            beta1: beta1(),
            beta2: beta2(),
            eps: eps(),
            weight_decay: 0.0,
        }
    }
}

impl OptimizerSpec {
    pub fn lr(&self) -> f32 {
        match *self {
            OptimizerSpec::Sgd { lr, .. }
            | OptimizerSpec::Adam { lr, .. }
            | OptimizerSpec::AdamW { lr, .. }
            | OptimizerSpec::Rmsprop { lr, .. } => lr,
        }
    }

    pub fn set_lr(&mut self, value: f32) {
        match self {
            OptimizerSpec::Sgd { lr, .. }
            | OptimizerSpec::Adam { lr, .. }
            | OptimizerSpec::AdamW { lr, .. }
            | OptimizerSpec::Rmsprop { lr, .. } => *lr = value,
        }
    }
}

/// What the model-level code asks of every layer type's spec. A new layer type implements it
/// beside its struct and adds one arm to `LayerSpec::def`.
pub trait LayerDef {
    /// The `type` tag, also the prefix of default names (`snu_0`).
    fn kind(&self) -> &'static str;
    fn units(&self) -> usize;
    fn name(&self) -> Option<&str>;
    /// The dropout probability on the layer's input.
    fn dropout(&self) -> f32 {
        0.0
    }
    /// Trainable values of the layer with `in_size` inputs (as u128: a product of two widths
    /// of up to 2^20 cannot overflow it).
    fn param_count(&self, in_size: usize) -> u128;
    /// The ranges of the type's own options (`p` is the path, `model spec: layers[i]`).
    fn validate(&self, _p: &str) -> Result<()> {
        Ok(())
    }
    /// `Some(vocab)` when the layer reads token ids below `vocab` instead of features.
    fn token_vocab(&self) -> Option<usize> {
        None
    }
}

impl LayerSpec {
    /// The spec of the layer, whatever its type.
    pub fn def(&self) -> &dyn LayerDef {
        match self {
            LayerSpec::Snu(s) => s,
            LayerSpec::Dense(d) => d,
            LayerSpec::Embedding(e) => e,
        }
    }

    pub fn units(&self) -> usize {
        self.def().units()
    }

    pub fn dropout(&self) -> f32 {
        self.def().dropout()
    }

    pub fn param_count(&self, in_size: usize) -> u128 {
        self.def().param_count(in_size)
    }

    /// The layer's name: the one given, else `<type>_<index>` (`snu_0`, `dense_1`).
    pub fn resolved_name(&self, index: usize) -> String {
        let d = self.def();
        d.name()
            .map_or_else(|| format!("{}_{index}", d.kind()), str::to_string)
    }
}

impl LayerDef for SnuSpec {
    fn kind(&self) -> &'static str {
        "snu"
    }
    fn units(&self) -> usize {
        self.units
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn dropout(&self) -> f32 {
        self.dropout
    }
    /// `W` `[in, n]`, `b` `[n]`, `H` `[n, n]` when recurrent, a decay `[n]` when trainable.
    fn param_count(&self, in_size: usize) -> u128 {
        let (i, n) = (in_size as u128, self.units as u128);
        i * n
            + n
            + if self.recurrent { n * n } else { 0 }
            + if self.trainable_decay { n } else { 0 }
    }
    fn validate(&self, p: &str) -> Result<()> {
        check_range(&format!("{p}.decay"), self.decay, 0.0, 1.0, false)?;
        check_range(
            &format!("{p}.initialBias"),
            self.initial_bias,
            -1e6,
            1e6,
            true,
        )?;
        if let StateActivation::LeakyRelu { alpha } = self.g {
            check_range(&format!("{p}.g.alpha"), alpha, 0.0, 1.0, true)?;
        }
        match self.surrogate {
            Surrogate::Tanh => Ok(()),
            Surrogate::FastSigmoid { slope } | Surrogate::Sigmoid { slope } => {
                check_range(&format!("{p}.surrogate.slope"), slope, 1e-6, 1e6, true)
            }
            Surrogate::Rectangular { width } => {
                check_range(&format!("{p}.surrogate.width"), width, 1e-6, 1e6, true)
            }
        }
    }
}

impl LayerDef for DenseSpec {
    fn kind(&self) -> &'static str {
        "dense"
    }
    fn units(&self) -> usize {
        self.units
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn dropout(&self) -> f32 {
        self.dropout
    }
    /// `W` `[in, n]` unless tied (the embedding holds it), `b` `[n]` with a bias.
    fn param_count(&self, in_size: usize) -> u128 {
        let (i, n) = (in_size as u128, self.units as u128);
        (if self.tied_to.is_some() { 0 } else { i * n }) + if self.use_bias { n } else { 0 }
    }
}

impl LayerDef for EmbeddingSpec {
    fn kind(&self) -> &'static str {
        "embedding"
    }
    fn units(&self) -> usize {
        self.units
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// `E` `[vocab, n]`.
    fn param_count(&self, _in_size: usize) -> u128 {
        self.vocab_size as u128 * self.units as u128
    }
    fn validate(&self, p: &str) -> Result<()> {
        check_width(&format!("{p}.vocabSize"), self.vocab_size)?;
        if let Some(r) = self.init_range {
            if !(r.is_finite() && r > 0.0 && r <= 100.0) {
                bail!("{p}.initRange: expected a number in (0, 100], got {r}");
            }
        }
        Ok(())
    }
    fn token_vocab(&self) -> Option<usize> {
        Some(self.vocab_size)
    }
}

pub use crate::limits::MAX_WIDTH;
use crate::limits::{MAX_LR, MAX_PARAMS, NAME_SEPARATOR};

fn check_range(path: &str, v: f32, lo: f32, hi: f32, hi_inclusive: bool) -> Result<()> {
    let ok = v.is_finite() && v >= lo && if hi_inclusive { v <= hi } else { v < hi };
    if !ok {
        let close = if hi_inclusive { "]" } else { ")" };
        bail!(
            "{path}: expected a number in [{lo}, {hi}{close}, got {}",
            js_num(v)
        );
    }
    Ok(())
}

/// The optimizers' `eps` in (0, 1]: with 0 an update can divide 0 by 0.
fn check_eps(p: &str, eps: f32) -> Result<()> {
    if !(eps.is_finite() && eps > 0.0 && eps <= 1.0) {
        bail!("{p}.eps: expected a number in (0, 1], got {eps}");
    }
    Ok(())
}

fn check_width(path: &str, n: usize) -> Result<()> {
    if n == 0 || n > MAX_WIDTH {
        bail!("{path}: expected an integer from 1 to {MAX_WIDTH}, got {n}");
    }
    Ok(())
}

impl ModelSpec {
    /// Parses JSON, naming the path of the first bad field.
    pub fn from_json(json: &str) -> Result<ModelSpec> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let spec: ModelSpec = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                Error(format!("model spec: {inner}"))
            } else {
                Error(format!("model spec: {path}: {inner}"))
            }
        })?;
        spec.validate()?;
        Ok(spec)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a spec always serialises")
    }

    /// An embedding only first, reading one id per step; a tied dense layer names an
    /// embedding whose transposed matrix fits it.
    fn validate_embedding_and_tying(&self, i: usize, layer: &LayerSpec, p: &str) -> Result<()> {
        match layer {
            LayerSpec::Embedding(_) => {
                if i != 0 {
                    bail!("{p}: an embedding layer can only be the first layer");
                }
                if self.input_size != 1 {
                    bail!("model spec: inputSize: a model starting with an embedding reads one token id per step, so inputSize must be 1, got {}", self.input_size);
                }
            }
            LayerSpec::Dense(DenseSpec {
                tied_to: Some(target),
                units,
                ..
            }) => {
                let found = self.layers[..i]
                    .iter()
                    .enumerate()
                    .find(|(j, l)| &l.resolved_name(*j) == target);
                let Some((j, LayerSpec::Embedding(e))) = found else {
                    bail!("{p}.tiedTo: no embedding layer named {target:?} before this layer");
                };
                let in_size = self.layers[i - 1].units();
                if *units != e.vocab_size || in_size != e.units {
                    bail!(
                        "{p}.tiedTo: the tied weights are the transpose of layers[{j}]'s {}x{} matrix, so this layer needs {} inputs and {} units; it has {in_size} inputs and {units} units",
                        e.vocab_size, e.units, e.units, e.vocab_size
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<()> {
        check_width("model spec: inputSize", self.input_size)?;
        if self.layers.is_empty() {
            bail!("model spec: layers: expected at least one layer");
        }
        let mut names = std::collections::HashSet::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("model spec: layers[{i}]");
            check_width(&format!("{p}.units"), layer.units())?;
            let name = layer.resolved_name(i);
            if name.is_empty() || name.contains(NAME_SEPARATOR) {
                bail!(
                    "{p}.name: expected a non-empty name without '{NAME_SEPARATOR}', got {name:?}"
                );
            }
            if !names.insert(name.clone()) {
                bail!("{p}.name: the name {name:?} is used by two layers");
            }
            layer.def().validate(&p)?;
            self.validate_embedding_and_tying(i, layer, &p)?;
            check_range(&format!("{p}.dropout"), layer.dropout(), 0.0, 1.0, false)?;
        }
        self.validate_size()?;
        if let Some(c) = self.clip_norm {
            check_range("model spec: clipNorm", c, 1e-12, f32::MAX, true)?;
        }
        if self.tbptt == Some(0) {
            bail!("model spec: tbptt: expected a window of at least 1 step, got 0");
        }
        self.validate_optimizer()
    }

    /// Every layer's parameters, and the model's in all, within `MAX_PARAMS`: the error names
    /// the layer and the bytes its weights would take, before anything is allocated.
    fn validate_size(&self) -> Result<()> {
        let (mut in_size, mut total) = (self.input_size, 0u128);
        let gib = |n: u128| (n * 4) as f64 / (1u64 << 30) as f64;
        for (i, layer) in self.layers.iter().enumerate() {
            let n = layer.param_count(in_size);
            if n > MAX_PARAMS as u128 {
                bail!(
                    "model spec: layers[{i}]: {n} parameters ({in_size} inputs x {} units) need {} bytes ({:.1} GiB) for the weights alone; a model holds at most {MAX_PARAMS} parameters",
                    layer.units(), n * 4, gib(n)
                );
            }
            total += n;
            in_size = layer.units();
        }
        if total > MAX_PARAMS as u128 {
            bail!(
                "model spec: layers: {total} parameters in all need {} bytes ({:.1} GiB) for the weights alone; a model holds at most {MAX_PARAMS} parameters",
                total * 4, gib(total)
            );
        }
        Ok(())
    }

    fn validate_optimizer(&self) -> Result<()> {
        let p = "model spec: optimizer";
        check_range(&format!("{p}.lr"), self.optimizer.lr(), 0.0, MAX_LR, true)?;
        match self.optimizer {
            OptimizerSpec::Sgd {
                momentum,
                nesterov,
                weight_decay,
                ..
            } => {
                check_range(&format!("{p}.momentum"), momentum, 0.0, 1.0, false)?;
                check_range(&format!("{p}.weightDecay"), weight_decay, 0.0, 1e6, true)?;
                if nesterov && momentum == 0.0 {
                    bail!("{p}.nesterov: Nesterov momentum needs momentum > 0");
                }
            }
            OptimizerSpec::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            }
            | OptimizerSpec::AdamW {
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => {
                check_range(&format!("{p}.beta1"), beta1, 0.0, 1.0, false)?;
                check_range(&format!("{p}.beta2"), beta2, 0.0, 1.0, false)?;
                check_eps(p, eps)?;
                check_range(&format!("{p}.weightDecay"), weight_decay, 0.0, 1e6, true)?;
            }
            OptimizerSpec::Rmsprop {
                rho,
                eps,
                momentum,
                weight_decay,
                ..
            } => {
                check_range(&format!("{p}.rho"), rho, 0.0, 1.0, false)?;
                check_eps(p, eps)?;
                check_range(&format!("{p}.momentum"), momentum, 0.0, 1.0, false)?;
                check_range(&format!("{p}.weightDecay"), weight_decay, 0.0, 1e6, true)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_and_errors_name_the_field() {
        let s = ModelSpec::from_json(
            r#"{"inputSize":3,"layers":[{"type":"snu","units":2}],"loss":{"kind":"mse"}}"#,
        )
        .unwrap();
        let LayerSpec::Snu(l) = &s.layers[0] else {
            panic!()
        };
        assert_eq!(
            (l.decay, l.initial_bias, l.output),
            (0.8, -1.0, OutputActivation::Step)
        );
        assert_eq!(s.readout, Readout::Sum);

        let e = ModelSpec::from_json(
            r#"{"inputSize":3,"layers":[{"type":"snu","units":2,"unitz":3}],"loss":{"kind":"mse"}}"#,
        )
        .unwrap_err();
        assert!(e.0.contains("layers[0]") && e.0.contains("unitz"), "{e}");
        let e = ModelSpec::from_json(
            r#"{"inputSize":3,"layers":[{"type":"conv","units":2}],"loss":{"kind":"mse"}}"#,
        )
        .unwrap_err();
        assert!(e.0.contains("conv"), "{e}");
        let e = ModelSpec::from_json(
            r#"{"inputSize":3,"layers":[{"type":"snu","units":2,"decay":1.0}],"loss":{"kind":"mse"}}"#,
        )
        .unwrap_err();
        assert!(e.0.contains("layers[0].decay"), "{e}");
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    fn spec(layers: &str, input: usize) -> Result<ModelSpec> {
        ModelSpec::from_json(&format!(
            r#"{{"inputSize":{input},"layers":[{layers}],"loss":{{"kind":"mse"}}}}"#
        ))
    }

    #[test]
    fn layers_too_large_to_allocate_are_refused_with_their_bytes() {
        let e = spec(r#"{"type":"dense","units":1048576}"#, 1 << 20).unwrap_err();
        assert!(
            e.0.contains("layers[0]")
                && e.0
                    .contains("(1048576 inputs x 1048576 units) need 4398050705408 bytes"),
            "{e}"
        );
        let e = spec(
            r#"{"type":"snu","units":8},{"type":"snu","units":1048576,"recurrent":true}"#,
            4,
        )
        .unwrap_err();
        assert!(e.0.contains("layers[1]"), "{e}");
        let e = spec(
            r#"{"type":"embedding","units":1048576,"vocabSize":1048576}"#,
            1,
        )
        .unwrap_err();
        assert!(e.0.contains("layers[0]") && e.0.contains("bytes"), "{e}");
        // Three layers each under the limit, together over it.
        let e = spec(
            r#"{"type":"dense","units":40000},{"type":"dense","units":40000},{"type":"dense","units":40000}"#,
            40000,
        )
        .unwrap_err();
        assert!(e.0.contains("in all"), "{e}");
        assert!(spec(
            r#"{"type":"snu","units":256},{"type":"snu","units":10}"#,
            784
        )
        .is_ok());
    }

    #[test]
    fn an_allocation_the_machine_cannot_hold_is_an_error() {
        let e = crate::params::filled(usize::MAX / 8, 0.0, "big.W").unwrap_err();
        assert!(e.0.starts_with("big.W: ") && e.0.contains("bytes"), "{e}");
    }
}
