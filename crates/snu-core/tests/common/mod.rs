//! Shared helpers of the integration tests: model descriptions that produce both the JSON
//! spec for the engine and an independent f64 reference (`reference.rs`), seeded test data,
//! and comparison helpers.
//!
//! Nothing here calls into the engine's numerics: the engine is only reached through its
//! public API (`Network::from_json`, `param`, `loss`, `compute_gradients`, ...).
#![allow(dead_code)]
// The reference is written with plain index loops on purpose: it mirrors the equations.
#![allow(clippy::needless_range_loop)]

pub mod conv_as_dense;
pub mod finite_differences;
pub mod nir_reference;
pub mod reference;
pub mod reference_gated;

use serde_json::{json, Value};
use snu_core::Network;

// ---------------------------------------------------------------------------------------
// Model description
// ---------------------------------------------------------------------------------------

/// `g`, the state activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum G {
    Relu,
    Identity,
    LeakyRelu(f64),
}

/// `h`, the output activation: `step` (SNU) or `sigmoid` (sSNU).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Out {
    Step,
    Sigmoid,
}

/// Pseudo-derivative of `step`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Surr {
    Tanh,
    FastSigmoid(f64),
    Rectangular(f64),
    Sigmoid(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Act {
    None,
    Relu,
    Sigmoid,
    Tanh,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Readout {
    Sum,
    Mean,
    Last,
    Sequence,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    SoftmaxCe,
    BceLogits,
    BceProb,
    Mse,
}

#[derive(Clone, Debug)]
pub struct SnuCfg {
    pub units: usize,
    pub out: Out,
    pub g: G,
    pub recurrent: bool,
    pub decay: f64,
    pub trainable_decay: bool,
    pub surrogate: Surr,
    pub detach_reset: bool,
    pub lateral: bool,
    pub initial_bias: f64,
}

impl SnuCfg {
    /// Soft SNU with the engine's defaults otherwise (relu, decay 0.8, bias -1).
    pub fn ssnu(units: usize) -> Self {
        SnuCfg {
            units,
            out: Out::Sigmoid,
            g: G::Relu,
            recurrent: false,
            decay: 0.8,
            trainable_decay: false,
            surrogate: Surr::Tanh,
            detach_reset: false,
            lateral: false,
            initial_bias: -1.0,
        }
    }

    /// Spiking SNU with the engine's defaults otherwise.
    pub fn snu(units: usize) -> Self {
        SnuCfg {
            out: Out::Step,
            ..SnuCfg::ssnu(units)
        }
    }
}

#[derive(Clone, Debug)]
pub struct DenseCfg {
    pub units: usize,
    pub act: Act,
    pub bias: bool,
}

/// The conventional recurrent cells (`rnn`, `lstm`, `gru` layers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gate {
    Rnn,
    Lstm,
    Gru,
}

impl Gate {
    /// The layer's `type`.
    pub fn tag(self) -> &'static str {
        match self {
            Gate::Rnn => "rnn",
            Gate::Lstm => "lstm",
            Gate::Gru => "gru",
        }
    }

    /// Gate blocks of `n` in `W`, `H` and `b`.
    pub fn gates(self) -> usize {
        match self {
            Gate::Rnn => 1,
            Gate::Lstm => 4,
            Gate::Gru => 3,
        }
    }
}

#[derive(Clone, Debug)]
pub struct GatedCfg {
    pub kind: Gate,
    pub units: usize,
    /// LSTM only.
    pub forget_bias: f64,
}

#[derive(Clone, Debug)]
pub enum LayerCfg {
    Snu(SnuCfg),
    Dense(DenseCfg),
    Gated(GatedCfg),
}

pub fn gated(kind: Gate, units: usize) -> LayerCfg {
    LayerCfg::Gated(GatedCfg {
        kind,
        units,
        forget_bias: 1.0,
    })
}

pub fn dense(units: usize, act: Act) -> LayerCfg {
    LayerCfg::Dense(DenseCfg {
        units,
        act,
        bias: true,
    })
}

#[derive(Clone, Debug)]
pub struct ModelCfg {
    pub input_size: usize,
    pub layers: Vec<LayerCfg>,
    pub readout: Readout,
    pub loss: Loss,
    pub tbptt: Option<usize>,
    pub seed: u64,
    /// Adam's learning rate.
    pub lr: f64,
}

impl LayerCfg {
    pub fn units(&self) -> usize {
        match self {
            LayerCfg::Snu(s) => s.units,
            LayerCfg::Dense(d) => d.units,
            LayerCfg::Gated(g) => g.units,
        }
    }
}

impl ModelCfg {
    pub fn new(input_size: usize, layers: Vec<LayerCfg>, readout: Readout, loss: Loss) -> Self {
        ModelCfg {
            input_size,
            layers,
            readout,
            loss,
            tbptt: None,
            seed: 1,
            lr: 1e-3,
        }
    }

    pub fn outputs(&self) -> usize {
        self.layers.last().unwrap().units()
    }

    /// The engine's default layer name (`snu_<i>` / `dense_<i>`).
    pub fn layer_name(&self, i: usize) -> String {
        match &self.layers[i] {
            LayerCfg::Snu(_) => format!("snu_{i}"),
            LayerCfg::Dense(_) => format!("dense_{i}"),
            LayerCfg::Gated(g) => format!("{}_{i}", g.kind.tag()),
        }
    }

    pub fn to_json(&self) -> String {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| match l {
                LayerCfg::Snu(s) => json!({
                    "type": "snu",
                    "units": s.units,
                    "output": match s.out { Out::Step => "step", Out::Sigmoid => "sigmoid" },
                    "g": match s.g {
                        G::Relu => json!({"kind": "relu"}),
                        G::Identity => json!({"kind": "identity"}),
                        G::LeakyRelu(alpha) => json!({"kind": "leakyRelu", "alpha": alpha}),
                    },
                    "recurrent": s.recurrent,
                    "decay": s.decay,
                    "trainableDecay": s.trainable_decay,
                    "surrogate": match s.surrogate {
                        Surr::Tanh => json!({"kind": "tanh"}),
                        Surr::FastSigmoid(slope) => json!({"kind": "fastSigmoid", "slope": slope}),
                        Surr::Rectangular(width) => json!({"kind": "rectangular", "width": width}),
                        Surr::Sigmoid(slope) => json!({"kind": "sigmoid", "slope": slope}),
                    },
                    "detachReset": s.detach_reset,
                    "lateralInhibition": s.lateral,
                    "initialBias": s.initial_bias,
                }),
                LayerCfg::Dense(d) => json!({
                    "type": "dense",
                    "units": d.units,
                    "activation": match d.act { Act::None => "none", Act::Relu => "relu", Act::Sigmoid => "sigmoid", Act::Tanh => "tanh" },
                    "useBias": d.bias,
                }),
                LayerCfg::Gated(g) if g.kind == Gate::Lstm => json!({
                    "type": "lstm",
                    "units": g.units,
                    "forgetBias": g.forget_bias,
                }),
                LayerCfg::Gated(g) => json!({"type": g.kind.tag(), "units": g.units}),
            })
            .collect();
        json!({
            "inputSize": self.input_size,
            "layers": layers,
            "readout": match self.readout { Readout::Sum => "sum", Readout::Mean => "mean", Readout::Last => "last", Readout::Sequence => "sequence" },
            "loss": match self.loss {
                Loss::SoftmaxCe => json!({"kind": "softmaxCrossEntropy"}),
                Loss::BceLogits => json!({"kind": "binaryCrossEntropy", "fromLogits": true}),
                Loss::BceProb => json!({"kind": "binaryCrossEntropy", "fromLogits": false}),
                Loss::Mse => json!({"kind": "mse"}),
            },
            "optimizer": {"kind": "adam", "lr": self.lr},
            "tbptt": self.tbptt,
            "seed": self.seed,
        })
        .to_string()
    }

    pub fn build(&self) -> Network {
        Network::from_json(&self.to_json())
            .unwrap_or_else(|e| panic!("spec rejected: {e}\n{}", self.to_json()))
    }

    /// Rows of the target: `B`, or `T*B` for the sequence readout.
    pub fn target_rows(&self, steps: usize, batch: usize) -> usize {
        if self.readout == Readout::Sequence {
            steps * batch
        } else {
            batch
        }
    }

    /// A target valid for the loss: one-hot rows for softmax CE, 0/1 for BCE, N(0,1)-ish for MSE.
    pub fn random_target(&self, rng: &mut Rng, steps: usize, batch: usize) -> Vec<f32> {
        let (rows, n) = (self.target_rows(steps, batch), self.outputs());
        let mut t = vec![0f32; rows * n];
        for r in 0..rows {
            let row = &mut t[r * n..(r + 1) * n];
            match self.loss {
                Loss::SoftmaxCe => row[rng.below(n)] = 1.0,
                Loss::BceLogits | Loss::BceProb => row
                    .iter_mut()
                    .for_each(|v| *v = (rng.uniform() < 0.5) as u8 as f32),
                Loss::Mse => row
                    .iter_mut()
                    .for_each(|v| *v = rng.range(-1.0, 2.0) as f32),
            }
        }
        t
    }
}

// ---------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------

/// SplitMix64: a tiny seeded generator for test data, separate from the engine's own.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn vec(&mut self, len: usize, lo: f64, hi: f64) -> Vec<f32> {
        (0..len).map(|_| self.range(lo, hi) as f32).collect()
    }
}

// ---------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------

/// Every parameter gradient of the engine after `compute_gradients`, by name.
pub fn engine_grads(net: &Network) -> Vec<(String, Vec<f64>)> {
    net.param_names()
        .into_iter()
        .map(|n| {
            let g = net.grad(&n).unwrap().iter().map(|&v| v as f64).collect();
            (n, g)
        })
        .collect()
}

pub fn lookup<'a>(grads: &'a [(String, Vec<f64>)], name: &str) -> &'a [f64] {
    &grads
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no gradient named {name}"))
        .1
}

/// Largest |g| over all tensors.
pub fn max_abs(grads: &[(String, Vec<f64>)]) -> f64 {
    grads
        .iter()
        .flat_map(|(_, g)| g.iter())
        .fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Asserts `|engine - reference| <= rtol * scale` element by element, where `scale` is the
/// reference gradient's largest magnitude (over all tensors, so that a tensor whose gradient
/// is tiny is judged on the scale of the whole gradient, not on float noise).
/// Also asserts both hold exactly the same set of parameter names.
pub fn assert_grads_close(
    engine: &[(String, Vec<f64>)],
    reference: &[(String, Vec<f64>)],
    rtol: f64,
    what: &str,
) {
    let mut en: Vec<&str> = engine.iter().map(|(n, _)| n.as_str()).collect();
    let mut rn: Vec<&str> = reference.iter().map(|(n, _)| n.as_str()).collect();
    en.sort();
    rn.sort();
    assert_eq!(en, rn, "{what}: parameter sets differ");
    let scale = max_abs(reference);
    assert!(
        scale > 0.0,
        "{what}: the reference gradient is identically zero; the case tests nothing"
    );
    for (name, r) in reference {
        let e = lookup(engine, name);
        assert_eq!(e.len(), r.len(), "{what}: {name} length");
        for k in 0..r.len() {
            let err = (e[k] - r[k]).abs();
            assert!(
                err <= rtol * scale,
                "{what}: {name}[{k}]: engine {} vs reference {} (|diff| {err:.3e} > {rtol:e} x scale {scale:.3e})",
                e[k],
                r[k]
            );
        }
    }
}

/// `||a - b|| / ||b||` over all tensors.
pub fn relative_error(a: &[(String, Vec<f64>)], b: &[(String, Vec<f64>)]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (name, bv) in b {
        let av = lookup(a, name);
        for k in 0..bv.len() {
            num += (av[k] - bv[k]).powi(2);
            den += bv[k].powi(2);
        }
    }
    (num / den).sqrt()
}

/// Gives every bias and trainable decay a distinct random value. The engine starts all biases
/// of a layer equal (and decays at one value), which makes units interchangeable: an indexing
/// bug could hide, and with lateral inhibition equal outputs of silent units tie at the max.
pub fn randomize_biases_and_decays(net: &mut Network, rng: &mut Rng) {
    for name in net.param_names() {
        let len = net.param(&name).unwrap().value.len();
        let v = if name.ends_with(".decay") {
            rng.vec(len, 0.5, 0.95)
        } else if name.ends_with(".b") && name.starts_with("snu_") {
            rng.vec(len, -1.3, -0.3)
        } else if ["rnn_", "lstm_", "gru_"]
            .iter()
            .any(|p| name.starts_with(p))
            && (name.ends_with(".b") || name.ends_with(".bh"))
        {
            rng.vec(len, -0.5, 0.5)
        } else if name.ends_with(".b") {
            rng.vec(len, -0.3, 0.3)
        } else {
            continue;
        };
        net.set_param(&name, &v).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Spiking runs whose f32 and f64 forward passes cannot branch apart
// ---------------------------------------------------------------------------------------

/// No forward quantity may lie closer than this to a branch point (see `branch_margin`).
pub const MARGIN: f64 = 1e-3;

/// An engine network and the reference holding the same parameters, with data and the
/// reference's forward trace.
pub struct Run {
    pub net: Network,
    pub reference: reference::RefNet,
    pub trace: reference::Trace,
    pub x: Vec<f32>,
    pub target: Vec<f32>,
    pub steps: usize,
    pub batch: usize,
}

/// Builds the engine network and the reference from one seed (random biases and decays,
/// input currents uniform in [0, 1.5)) and runs the reference forward. `None` when the seed is
/// unusable: some quantity within `MARGIN` of a branch point, or a spiking layer that never
/// spikes or always spikes (such a seed tests little).
pub fn prepare(cfg: &ModelCfg, seed: u64, steps: usize, batch: usize) -> Option<Run> {
    let mut cfg = cfg.clone();
    cfg.seed = seed;
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37) ^ 0x5EED);
    let mut net = cfg.build();
    randomize_biases_and_decays(&mut net, &mut rng);
    let x = rng.vec(steps * batch * cfg.input_size, 0.0, 1.5);
    let target = cfg.random_target(&mut rng, steps, batch);
    let reference = reference::RefNet::from_engine(&cfg, &net);
    let trace = reference.forward(&x, steps, batch);
    if reference.branch_margin(&trace) < MARGIN {
        return None;
    }
    for (layer, lt) in cfg.layers.iter().zip(&trace.layers) {
        if let LayerCfg::Snu(SnuCfg { out: Out::Step, .. }) = layer {
            let spikes = lt.y.iter().filter(|&&v| v == 1.0).count();
            if spikes == 0 || spikes == lt.y.len() {
                return None;
            }
        }
    }
    Some(Run {
        net,
        reference,
        trace,
        x,
        target,
        steps,
        batch,
    })
}
