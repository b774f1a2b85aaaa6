//! The model as plain data (JSON): what TypeScript sends and what checkpoints store.
//!
//! Parsing names the path of any bad field (`layers[1].units: ...`); `validate` then
//! checks the ranges serde cannot express.

use crate::bail;
use crate::error::js_num;
use crate::error::{Error, Result};
use crate::kernels::conv::ConvGeometry;
use crate::kernels::pooling::PoolGeometry;
use crate::layers::activation::{DenseActivation, OutputActivation, StateActivation, Surrogate};
use serde::{Deserialize, Serialize};

mod recurrent;
pub use recurrent::{GruSpec, LstmSpec, RnnSpec};

/// A whole model as plain data: what `Sequential.spec` returns, what the engine parses and
/// what a checkpoint stores.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelSpec {
    /// Features per time step of the input.
    pub input_size: usize,
    /// `[C, H, W]`: each step's input as channels-first images (`C*H*W = inputSize`), for
    /// convolution and pooling layers. None: a flat vector.
    #[cfg_attr(feature = "ts", ts(optional))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_shape: Option<[usize; 3]>,
    pub layers: Vec<LayerSpec>,
    #[serde(default)]
    pub readout: Readout,
    pub loss: LossSpec,
    /// How the gradient reduces the per-row losses of a batch: their mean (default, `None`) or
    /// their sum. Reported losses stay the mean either way.
    #[cfg_attr(feature = "ts", ts(optional))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_reduction: Option<LossReduction>,
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
    Conv2d(Conv2dSpec),
    SnuConv2d(SnuConv2dSpec),
    Pool2d(Pool2dSpec),
    Flatten(FlattenSpec),
    Rnn(RnnSpec),
    Lstm(LstmSpec),
    Gru(GruSpec),
}

/// What a layer receives or gives at each step: a flat vector, or channels-first images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Flat(usize),
    Image { c: usize, h: usize, w: usize },
}

impl Shape {
    /// Values per step: `n`, or `C*H*W` (cannot wrap: where a shape is made, its channels are
    /// checked to be at most `MAX_WIDTH` and its sides at most `3 MAX_WIDTH`).
    pub fn len(&self) -> usize {
        match *self {
            Shape::Flat(n) => n,
            Shape::Image { c, h, w } => c * h * w,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Shape::Flat(n) => write!(f, "{n} values"),
            Shape::Image { c, h, w } => write!(f, "[{c}, {h}, {w}] images"),
        }
    }
}

/// A 2-D convolution applied at every step, `y_t = act(conv(x_t, W) + b)` on channels-first
/// images (docs/equations.md): what `conv2d()` returns. `W` is `[filters, C, KH, KW]`, `b` one
/// value per filter.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Conv2dLayerSpec"))]
pub struct Conv2dSpec {
    /// Output channels.
    pub filters: usize,
    /// `[KH, KW]`.
    pub kernel_size: [usize; 2],
    /// Layer name, without '.' (parameters are `<name>.W`, `<name>.b`); none: `conv2d_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// `[SH, SW]`, default `[1, 1]`.
    #[serde(default = "ones")]
    pub stride: [usize; 2],
    /// Zeros added on each side, `[PH, PW]`, default `[0, 0]`.
    #[serde(default)]
    pub padding: [usize; 2],
    /// Spacing of the kernel's taps, `[DH, DW]`, default `[1, 1]`.
    #[serde(default = "ones")]
    pub dilation: [usize; 2],
    #[serde(default)]
    pub activation: DenseActivation,
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// Dropout on the layer's input while training, in [0, 1) (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

fn ones() -> [usize; 2] {
    [1, 1]
}

/// An SNU layer whose input term is a 2-D convolution: `a_t = conv(x_t, W) + l ⊙ s_{t-1} ⊙ r_{t-1}`
/// over units `[filters, OH, OW]`, then the SNU's `s_t = g(a_t)`, `y_t = h(s_t + b)` (docs/design.md
/// §1, docs/equations.md): what `snuConv2d()` returns. `W` is `[filters, C, KH, KW]`; the bias
/// (and a trainable decay) holds one value per filter, shared by its positions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "SnuConv2dLayerSpec"))]
pub struct SnuConv2dSpec {
    /// Output channels.
    pub filters: usize,
    /// `[KH, KW]`.
    pub kernel_size: [usize; 2],
    /// Layer name, without '.' (parameters are `<name>.W`, `<name>.b`, ...); none: `snuConv2d_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// `[SH, SW]`, default `[1, 1]`.
    #[serde(default = "ones")]
    pub stride: [usize; 2],
    /// Zeros added on each side, `[PH, PW]`, default `[0, 0]`.
    #[serde(default)]
    pub padding: [usize; 2],
    /// Spacing of the kernel's taps, `[DH, DW]`, default `[1, 1]`.
    #[serde(default = "ones")]
    pub dilation: [usize; 2],
    /// `step` (SNU) or `sigmoid` (sSNU).
    #[serde(default = "default_output")]
    pub output: OutputActivation,
    #[serde(default = "default_g")]
    pub g: StateActivation,
    /// `l` in [0, 1]: the membrane decay (1: no leak, integrate-and-fire); below 1 when trainable,
    /// where it is the initial value.
    #[serde(default = "default_decay")]
    pub decay: f32,
    /// One trainable decay per filter, kept in [0, 1) after every update.
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
    /// A trainable constant input current `c`, added at every step: `a_t += c` (with a synapse,
    /// `c` is part of its input). One per unit (per filter for snuConv2d), starting at 0.
    #[serde(default, skip_serializing_if = "is_false")]
    pub input_bias: bool,
    /// `α` in [0, 1): a synaptic current between the input and the membrane (NIR's CubaLIF):
    /// `i_t = α i_{t-1} + u_t`, `a_t = i_t + l ⊙ s_{t-1} ⊙ r_{t-1}`, where `u_t` is the input
    /// term (`x_t W`, `y_{t-1} H`, `c`). 0: none (`a_t = u_t + ...`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub synapse: f32,
    /// Dropout on the layer's input while training, in [0, 1) (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

/// What a pooling window is reduced to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PoolKind {
    /// The mean of the window.
    Avg,
    /// The largest value of the window.
    Max,
    /// The sum of the window (a spike count over the window for spike inputs).
    Sum,
}

/// 2-D pooling of channels-first images at every step, each channel on its own: what
/// `avgPool2d()`, `maxPool2d()` and `sumPool2d()` return. The windows must tile the input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Pool2dLayerSpec"))]
pub struct Pool2dSpec {
    pub kind: PoolKind,
    /// `[KH, KW]`.
    pub pool_size: [usize; 2],
    /// `[SH, SW]`; none: the pool size (windows side by side).
    #[cfg_attr(feature = "ts", ts(optional))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stride: Option<[usize; 2]>,
    /// Layer name, without '.'; none: `pool2d_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
}

/// Channels-first images `[C, H, W]` as flat vectors of `C*H*W` values (no computation): what
/// `flatten()` returns, between the convolution and pooling layers and the flat ones.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "FlattenLayerSpec"))]
pub struct FlattenSpec {
    /// Layer name, without '.'; none: `flatten_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
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
    /// `l` in [0, 1]: the membrane decay (1: no leak, integrate-and-fire); below 1 when trainable,
    /// where it is the initial value.
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
    /// A trainable constant input current `c`, added at every step: `a_t += c` (with a synapse,
    /// `c` is part of its input). One per unit (per filter for snuConv2d), starting at 0.
    #[serde(default, skip_serializing_if = "is_false")]
    pub input_bias: bool,
    /// `α` in [0, 1): a synaptic current between the input and the membrane (NIR's CubaLIF):
    /// `i_t = α i_{t-1} + u_t`, `a_t = i_t + l ⊙ s_{t-1} ⊙ r_{t-1}`, where `u_t` is the input
    /// term (`x_t W`, `y_{t-1} H`, `c`). 0: none (`a_t = u_t + ...`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub synapse: f32,
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

fn is_false(v: &bool) -> bool {
    !*v
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

/// How a batch's gradient reduces its per-row losses `L_r` (a row: one sample's readout, or
/// one step of one sample with readout `sequence`; padded rows count for nothing):
/// `mean`, `∇ (1/R) Σ_r L_r`, or `sum`, `∇ Σ_r L_r` (PyTorch's `reduction='sum'`, `tf.reduce_sum`:
/// longer sequences then take larger steps). The loss the engine reports is the mean either
/// way, so that runs with either compare.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LossReduction {
    #[default]
    Mean,
    Sum,
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
    /// What the layer gives at each step for `input`, or why it cannot take `input` (`p` is the
    /// path, `model spec: layers[i]`).
    fn out_shape(&self, p: &str, input: Shape) -> Result<Shape>;
    fn name(&self) -> Option<&str>;
    /// The dropout probability on the layer's input.
    fn dropout(&self) -> f32 {
        0.0
    }
    /// Trainable values of the layer for `input` (as u128: a product of two widths of up to
    /// 2^20 cannot overflow it).
    fn param_count(&self, input: Shape) -> u128;
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
            LayerSpec::Conv2d(c) => c,
            LayerSpec::SnuConv2d(c) => c,
            LayerSpec::Pool2d(p) => p,
            LayerSpec::Flatten(f) => f,
            LayerSpec::Rnn(r) => r,
            LayerSpec::Lstm(l) => l,
            LayerSpec::Gru(g) => g,
        }
    }

    pub fn dropout(&self) -> f32 {
        self.def().dropout()
    }

    pub fn param_count(&self, input: Shape) -> u128 {
        self.def().param_count(input)
    }

    /// The layer's name: the one given, else `<type>_<index>` (`snu_0`, `dense_1`).
    pub fn resolved_name(&self, index: usize) -> String {
        let d = self.def();
        d.name()
            .map_or_else(|| format!("{}_{index}", d.kind()), str::to_string)
    }
}

/// The `LayerDef` methods of a flat layer with `units`, `name` and `dropout` fields: its
/// `type` tag, a flat output of `units`, its name and its input dropout.
macro_rules! flat_layer_def {
    ($kind:literal) => {
        fn kind(&self) -> &'static str {
            $kind
        }
        fn out_shape(&self, p: &str, input: Shape) -> Result<Shape> {
            flat_out(p, self.kind(), input, self.units)
        }
        fn name(&self) -> Option<&str> {
            self.name.as_deref()
        }
        fn dropout(&self) -> f32 {
            self.dropout
        }
    };
}
pub(crate) use flat_layer_def;

/// The flat output of a layer of `units` that takes flat inputs only.
fn flat_out(p: &str, kind: &str, input: Shape, units: usize) -> Result<Shape> {
    if let Shape::Image { c, h, w } = input {
        bail!("{p}: a {kind} layer takes flat inputs, but receives [{c}, {h}, {w}] images: put a flatten layer before it");
    }
    check_width(&format!("{p}.units"), units)?;
    Ok(Shape::Flat(units))
}

impl LayerDef for SnuSpec {
    flat_layer_def!("snu");
    /// `W` `[in, n]`, `b` `[n]`, `H` `[n, n]` when recurrent, a decay `[n]` when trainable, `c`
    /// `[n]` with an input bias.
    fn param_count(&self, input: Shape) -> u128 {
        let (i, n) = (input.len() as u128, self.units as u128);
        i * n
            + n
            + if self.recurrent { n * n } else { 0 }
            + if self.trainable_decay { n } else { 0 }
            + if self.input_bias { n } else { 0 }
    }
    fn validate(&self, p: &str) -> Result<()> {
        validate_unit(
            p,
            self.decay,
            self.trainable_decay,
            self.initial_bias,
            self.synapse,
            self.g,
            self.surrogate,
        )
    }
}

/// The ranges of the SNU unit's options, shared by `snu` and `snuConv2d`. A fixed decay may be
/// 1 (no leak: an integrate-and-fire unit, as NIR's IF); a trainable one stays below 1.
fn validate_unit(
    p: &str,
    decay: f32,
    trainable_decay: bool,
    initial_bias: f32,
    synapse: f32,
    g: StateActivation,
    surrogate: Surrogate,
) -> Result<()> {
    check_range(&format!("{p}.decay"), decay, 0.0, 1.0, !trainable_decay)?;
    check_range(&format!("{p}.synapse"), synapse, 0.0, 1.0, false)?;
    check_range(&format!("{p}.initialBias"), initial_bias, -1e6, 1e6, true)?;
    if let StateActivation::LeakyRelu { alpha } = g {
        check_range(&format!("{p}.g.alpha"), alpha, 0.0, 1.0, true)?;
    }
    match surrogate {
        Surrogate::Tanh => Ok(()),
        Surrogate::FastSigmoid { slope } | Surrogate::Sigmoid { slope } => {
            check_range(&format!("{p}.surrogate.slope"), slope, 1e-6, 1e6, true)
        }
        Surrogate::Rectangular { width } => {
            check_range(&format!("{p}.surrogate.width"), width, 1e-6, 1e6, true)
        }
    }
}

impl LayerDef for DenseSpec {
    flat_layer_def!("dense");
    /// `W` `[in, n]` unless tied (the embedding holds it), `b` `[n]` with a bias.
    fn param_count(&self, input: Shape) -> u128 {
        let (i, n) = (input.len() as u128, self.units as u128);
        (if self.tied_to.is_some() { 0 } else { i * n }) + if self.use_bias { n } else { 0 }
    }
}

impl LayerDef for EmbeddingSpec {
    fn kind(&self) -> &'static str {
        "embedding"
    }
    fn out_shape(&self, p: &str, input: Shape) -> Result<Shape> {
        flat_out(p, self.kind(), input, self.units)
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// `E` `[vocab, n]`.
    fn param_count(&self, _input: Shape) -> u128 {
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

/// The image a convolution or pooling layer receives, or why it cannot.
fn image_input(p: &str, kind: &str, input: Shape) -> Result<(usize, usize, usize)> {
    match input {
        Shape::Image { c, h, w } => Ok((c, h, w)),
        Shape::Flat(n) => bail!("{p}: a {kind} layer takes [C, H, W] images, but receives a flat vector of {n} values: give the model an inputShape, and put no flat layer (or flatten) before it"),
    }
}

/// A convolution's geometry for `input` (checked: sizes, kernel within the padded input).
#[allow(clippy::too_many_arguments)]
fn conv_geometry(
    p: &str,
    kind: &str,
    input: Shape,
    filters: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
) -> Result<ConvGeometry> {
    let (in_c, in_h, in_w) = image_input(p, kind, input)?;
    let g = ConvGeometry {
        in_c,
        in_h,
        in_w,
        out_c: filters,
        kernel,
        stride,
        padding,
        dilation,
    };
    check_width(&format!("{p}.filters"), filters)?;
    g.check(p)?;
    Ok(g)
}

/// `W` `[filters, C, KH, KW]` for `input`.
fn kernel_count(input: Shape, filters: usize, kernel: [usize; 2]) -> u128 {
    let c = match input {
        Shape::Image { c, .. } => c,
        Shape::Flat(n) => n,
    };
    filters as u128 * c as u128 * kernel[0] as u128 * kernel[1] as u128
}

impl Conv2dSpec {
    /// The convolution's geometry for `input` (checked: sizes, kernel within the padded input).
    pub fn geometry(&self, p: &str, input: Shape) -> Result<ConvGeometry> {
        conv_geometry(
            p,
            "conv2d",
            input,
            self.filters,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
        )
    }
}

impl SnuConv2dSpec {
    /// The convolution's geometry for `input` (checked: sizes, kernel within the padded input).
    pub fn geometry(&self, p: &str, input: Shape) -> Result<ConvGeometry> {
        conv_geometry(
            p,
            "snuConv2d",
            input,
            self.filters,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
        )
    }
}

impl LayerDef for SnuConv2dSpec {
    fn kind(&self) -> &'static str {
        "snuConv2d"
    }
    fn out_shape(&self, p: &str, input: Shape) -> Result<Shape> {
        let g = self.geometry(p, input)?;
        let [h, w] = g.out_hw();
        Ok(Shape::Image {
            c: self.filters,
            h,
            w,
        })
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn dropout(&self) -> f32 {
        self.dropout
    }
    /// `W` `[filters, C, KH, KW]`, `b` `[filters]`, a decay `[filters]` when trainable, `c`
    /// `[filters]` with an input bias.
    fn param_count(&self, input: Shape) -> u128 {
        let o = self.filters as u128;
        kernel_count(input, self.filters, self.kernel_size)
            + o
            + if self.trainable_decay { o } else { 0 }
            + if self.input_bias { o } else { 0 }
    }
    fn validate(&self, p: &str) -> Result<()> {
        validate_unit(
            p,
            self.decay,
            self.trainable_decay,
            self.initial_bias,
            self.synapse,
            self.g,
            self.surrogate,
        )
    }
}

impl LayerDef for Conv2dSpec {
    fn kind(&self) -> &'static str {
        "conv2d"
    }
    fn out_shape(&self, p: &str, input: Shape) -> Result<Shape> {
        let g = self.geometry(p, input)?;
        let [h, w] = g.out_hw();
        Ok(Shape::Image {
            c: self.filters,
            h,
            w,
        })
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn dropout(&self) -> f32 {
        self.dropout
    }
    /// `W` `[filters, C, KH, KW]`, `b` `[filters]` with a bias.
    fn param_count(&self, input: Shape) -> u128 {
        let bias = if self.use_bias {
            self.filters as u128
        } else {
            0
        };
        kernel_count(input, self.filters, self.kernel_size) + bias
    }
}

impl Pool2dSpec {
    /// The pooling's geometry for `input` (checked: sizes, windows that tile the input).
    pub fn geometry(&self, p: &str, input: Shape) -> Result<PoolGeometry> {
        let (channels, in_h, in_w) = image_input(p, "pool2d", input)?;
        let g = PoolGeometry {
            channels,
            in_h,
            in_w,
            kernel: self.pool_size,
            stride: self.stride.unwrap_or(self.pool_size),
        };
        g.check(p)?;
        Ok(g)
    }
}

impl LayerDef for Pool2dSpec {
    fn kind(&self) -> &'static str {
        "pool2d"
    }
    fn out_shape(&self, p: &str, input: Shape) -> Result<Shape> {
        let g = self.geometry(p, input)?;
        let [h, w] = g.out_hw();
        Ok(Shape::Image {
            c: g.channels,
            h,
            w,
        })
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn param_count(&self, _input: Shape) -> u128 {
        0
    }
}

impl LayerDef for FlattenSpec {
    fn kind(&self) -> &'static str {
        "flatten"
    }
    fn out_shape(&self, p: &str, input: Shape) -> Result<Shape> {
        match input {
            Shape::Image { .. } => Ok(Shape::Flat(input.len())),
            Shape::Flat(n) => bail!("{p}: flatten takes [C, H, W] images, but its input is already a flat vector of {n} values (remove it, or give the model an inputShape)"),
        }
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn param_count(&self, _input: Shape) -> u128 {
        0
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

    /// What each step's input is: `[C, H, W]` images with `inputShape`, else a flat vector.
    fn input(&self) -> Result<Shape> {
        let Some([c, h, w]) = self.input_shape else {
            return Ok(Shape::Flat(self.input_size));
        };
        // Sizes from JSON may be any u64: the product is checked, not wrapped (a wrapped one
        // could equal inputSize).
        let values = [c, h, w]
            .iter()
            .try_fold(1u128, |a, &d| a.checked_mul(d as u128));
        if c == 0 || h == 0 || w == 0 || values != Some(self.input_size as u128) {
            let held = values.map_or("more than 2^128".to_string(), |v| v.to_string());
            bail!(
                "model spec: inputShape: [{c}, {h}, {w}] holds {held} values per step, but inputSize is {}; expected sizes of at least 1 whose product is inputSize",
                self.input_size
            );
        }
        Ok(Shape::Image { c, h, w })
    }

    /// Each layer's input, then the last layer's output (`layers.len() + 1` shapes); an error
    /// names the first layer that cannot take what it receives.
    pub fn shapes(&self) -> Result<Vec<Shape>> {
        let mut shape = self.input()?;
        let mut out = Vec::with_capacity(self.layers.len() + 1);
        out.push(shape);
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("model spec: layers[{i}]");
            shape = layer.def().out_shape(&p, shape)?;
            if shape.len() > MAX_WIDTH {
                bail!("{p}: gives {shape} per step, {} values, more than the {MAX_WIDTH} a layer may give", shape.len());
            }
            out.push(shape);
        }
        Ok(out)
    }

    /// Trainable values of the whole model (the spec must be valid).
    pub fn param_count(&self) -> Result<u128> {
        let shapes = self.shapes()?;
        Ok(self
            .layers
            .iter()
            .zip(&shapes)
            .map(|(l, &s)| l.param_count(s))
            .sum())
    }

    /// An embedding only first, reading one id per step; a tied dense layer names an
    /// embedding whose transposed matrix fits it (`in_size`: the values it receives).
    fn validate_embedding_and_tying(
        &self,
        i: usize,
        layer: &LayerSpec,
        p: &str,
        in_size: usize,
    ) -> Result<()> {
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
        let shapes = self.shapes()?;
        let mut names = std::collections::HashSet::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("model spec: layers[{i}]");
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
            self.validate_embedding_and_tying(i, layer, &p, shapes[i].len())?;
            check_range(&format!("{p}.dropout"), layer.dropout(), 0.0, 1.0, false)?;
        }
        self.validate_size(&shapes)?;
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
    fn validate_size(&self, shapes: &[Shape]) -> Result<()> {
        let mut total = 0u128;
        let gib = |n: u128| (n * 4) as f64 / (1u64 << 30) as f64;
        for (i, layer) in self.layers.iter().enumerate() {
            let n = layer.param_count(shapes[i]);
            if n > MAX_PARAMS as u128 {
                let sizes = match (shapes[i], shapes[i + 1]) {
                    (Shape::Flat(a), Shape::Flat(b)) => format!("{a} inputs x {b} units"),
                    (a, b) => format!("{a} in, {b} out"),
                };
                bail!(
                    "model spec: layers[{i}]: {n} parameters ({sizes}) need {} bytes ({:.1} GiB) for the weights alone; a model holds at most {MAX_PARAMS} parameters",
                    n * 4, gib(n)
                );
            }
            total += n;
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
        // A fixed decay may be 1 (integrate-and-fire); a trainable one stays below 1.
        ModelSpec::from_json(
            r#"{"inputSize":3,"layers":[{"type":"snu","units":2,"decay":1.0}],"loss":{"kind":"mse"}}"#,
        )
        .unwrap();
        for bad in [
            r#""decay":1.5"#,
            r#""decay":1.0,"trainableDecay":true"#,
            r#""decay":-0.1"#,
        ] {
            let e = ModelSpec::from_json(&format!(
                r#"{{"inputSize":3,"layers":[{{"type":"snu","units":2,{bad}}}],"loss":{{"kind":"mse"}}}}"#
            ))
            .unwrap_err();
            assert!(e.0.contains("layers[0].decay"), "{bad}: {e}");
        }
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
