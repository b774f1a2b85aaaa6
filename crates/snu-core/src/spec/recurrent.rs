//! The specs of the conventional recurrent layers (`rnn`, `lstm`, `gru`): the baselines the
//! paper compares SNUs with, in the same engine (equations in `layers/recurrent/`).

use super::{check_range, flat_layer_def, flat_out, is_zero, LayerDef, Shape};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// An Elman RNN layer, `h_t = tanh(x_t W + h_{t-1} H + b)`: what `rnn()` returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "RnnLayerSpec"))]
pub struct RnnSpec {
    pub units: usize,
    /// Layer name, without '.' (parameters are `<name>.W`, `<name>.H`, `<name>.b`); none: `rnn_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// Dropout on the layer's input while training, in [0, 1) (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

/// An LSTM layer (gates in PyTorch's order i, f, g, o; one bias per gate):
/// `[i f g o] = x_t W + h_{t-1} H + b`, `c_t = σ(f) c_{t-1} + σ(i) tanh(g)`,
/// `h_t = σ(o) tanh(c_t)`: what `lstm()` returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "LstmLayerSpec"))]
pub struct LstmSpec {
    pub units: usize,
    /// Layer name, without '.' (parameters are `<name>.W`, `<name>.H`, `<name>.b`); none: `lstm_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// Initial bias of the forget gate (Jozefowicz et al. 2015: 1 lets gradients flow from the
    /// start); the other gates' biases start at 0.
    #[serde(default = "one")]
    pub forget_bias: f32,
    /// Dropout on the layer's input while training, in [0, 1) (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

/// A GRU layer (PyTorch's and cuDNN's form, the reset gate applied after `H`; gates in the
/// order r, z, n): `r, z = σ(x_t W + h_{t-1} H + b)`, `n = tanh(x_t W_n + b_n + r ⊙ (h_{t-1} H_n + bh))`,
/// `h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}`: what `gru()` returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "GruLayerSpec"))]
pub struct GruSpec {
    pub units: usize,
    /// Layer name, without '.' (parameters are `<name>.W`, `<name>.H`, `<name>.b`, `<name>.bh`);
    /// none: `gru_<index>`.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    #[serde(default)]
    pub name: Option<String>,
    /// Dropout on the layer's input while training, in [0, 1) (train/dropout.rs); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f32,
}

fn one() -> f32 {
    1.0
}

/// `W` `[in, G n]`, `H` `[n, G n]`, `b` `[G n]` for `gates` blocks of `n`, plus `extra`.
fn gated_count(input: Shape, units: usize, gates: u128, extra: u128) -> u128 {
    let (i, n) = (input.len() as u128, units as u128);
    gates * n * (i + n + 1) + extra
}

impl LayerDef for RnnSpec {
    flat_layer_def!("rnn");
    fn param_count(&self, input: Shape) -> u128 {
        gated_count(input, self.units, 1, 0)
    }
}

impl LayerDef for LstmSpec {
    flat_layer_def!("lstm");
    fn param_count(&self, input: Shape) -> u128 {
        gated_count(input, self.units, 4, 0)
    }
    fn validate(&self, p: &str) -> Result<()> {
        check_range(
            &format!("{p}.forgetBias"),
            self.forget_bias,
            -1e6,
            1e6,
            true,
        )
    }
}

impl LayerDef for GruSpec {
    flat_layer_def!("gru");
    /// Plus `bh` `[n]`, the candidate's recurrent bias (inside the reset gate).
    fn param_count(&self, input: Shape) -> u128 {
        gated_count(input, self.units, 3, self.units as u128)
    }
}
