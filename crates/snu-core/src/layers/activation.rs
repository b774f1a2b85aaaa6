//! The pointwise functions of the SNU and dense layers, with their derivatives.
//!
//! Notation (docs/design.md §1): `a` is the state input, `s = g(a)` the state, `z = s + b`
//! the output pre-activation and `y = h(z)` the output.

use serde::{Deserialize, Serialize};

/// `g`, the input/state activation of an SNU layer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StateActivation {
    /// `g(a) = max(a, 0)`
    Relu,
    /// `g(a) = a`
    Identity,
    /// `g(a) = a` for `a > 0`, else `alpha * a`
    LeakyRelu {
        #[serde(default = "default_leaky_alpha")]
        alpha: f32,
    },
}

fn default_leaky_alpha() -> f32 {
    0.01
}

impl StateActivation {
    #[inline(always)]
    pub fn value(self, a: f32) -> f32 {
        match self {
            StateActivation::Relu => a.max(0.0),
            StateActivation::Identity => a,
            StateActivation::LeakyRelu { alpha } => {
                if a > 0.0 {
                    a
                } else {
                    alpha * a
                }
            }
        }
    }

    /// `g'(a)`; at the kink `a = 0` the left derivative.
    #[inline(always)]
    pub fn derivative(self, a: f32) -> f32 {
        match self {
            StateActivation::Relu => (a > 0.0) as u8 as f32,
            StateActivation::Identity => 1.0,
            StateActivation::LeakyRelu { alpha } => {
                if a > 0.0 {
                    1.0
                } else {
                    alpha
                }
            }
        }
    }
}

impl StateActivation {
    /// `g'(a)` from the state `s = g(a)` alone: `a > 0` exactly when `s > 0` for all three,
    /// so BPTT need not keep `a`.
    #[inline(always)]
    pub fn derivative_from_state(self, s: f32) -> f32 {
        match self {
            StateActivation::Relu => (s > 0.0) as u8 as f32,
            StateActivation::Identity => 1.0,
            StateActivation::LeakyRelu { alpha } => {
                if s > 0.0 {
                    1.0
                } else {
                    alpha
                }
            }
        }
    }
}

/// `h`, the output activation: `step` (spiking SNU) or `sigmoid` (soft SNU, sSNU).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OutputActivation {
    /// `y = 1` if `z > 0`, else 0; backward through a surrogate.
    Step,
    /// `y = 1 / (1 + e^-z)`
    Sigmoid,
}

/// The pseudo-derivative used for `dy/dz` of the step function.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Surrogate {
    /// `1 - tanh(z)^2`, as in the authors' code (default).
    #[default]
    Tanh,
    /// `1 / (1 + slope*|z|)^2` (SuperSpike's fast sigmoid).
    FastSigmoid {
        #[serde(default = "default_slope")]
        slope: f32,
    },
    /// `1 / width` where `|z| < width / 2`, else 0 (unit area).
    Rectangular {
        #[serde(default = "default_width")]
        width: f32,
    },
    /// `slope * sigma(slope*z) * (1 - sigma(slope*z))`
    Sigmoid {
        #[serde(default = "default_slope")]
        slope: f32,
    },
}

fn default_slope() -> f32 {
    25.0
}
fn default_width() -> f32 {
    1.0
}

pub use crate::kernels::fastmath::sigmoid;

impl Surrogate {
    #[inline(always)]
    pub fn derivative(self, z: f32) -> f32 {
        match self {
            Surrogate::Tanh => crate::kernels::fastmath::sech2(z),
            Surrogate::FastSigmoid { slope } => {
                let d = 1.0 + slope * z.abs();
                1.0 / (d * d)
            }
            Surrogate::Rectangular { width } => {
                if z.abs() < 0.5 * width {
                    1.0 / width
                } else {
                    0.0
                }
            }
            Surrogate::Sigmoid { slope } => {
                let p = sigmoid(slope * z);
                slope * p * (1.0 - p)
            }
        }
    }
}

impl OutputActivation {
    #[inline(always)]
    pub fn value(self, z: f32) -> f32 {
        match self {
            OutputActivation::Step => (z > 0.0) as u8 as f32,
            OutputActivation::Sigmoid => sigmoid(z),
        }
    }

    /// `dy/dz` given `z` and `y = h(z)`: the surrogate for `step`, `y (1 - y)` for sigmoid.
    #[inline(always)]
    pub fn derivative(self, z: f32, y: f32, surrogate: Surrogate) -> f32 {
        match self {
            OutputActivation::Step => surrogate.derivative(z),
            OutputActivation::Sigmoid => y * (1.0 - y),
        }
    }
}

/// Activation of a dense layer, applied to `x W + b`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DenseActivation {
    #[default]
    None,
    Relu,
    Sigmoid,
    Tanh,
}

impl DenseActivation {
    #[inline(always)]
    pub fn value(self, p: f32) -> f32 {
        match self {
            DenseActivation::None => p,
            DenseActivation::Relu => p.max(0.0),
            DenseActivation::Sigmoid => sigmoid(p),
            DenseActivation::Tanh => crate::kernels::fastmath::tanh(p),
        }
    }

    /// Derivative expressed through the output `y` (all four allow it).
    #[inline(always)]
    pub fn derivative_from_output(self, y: f32) -> f32 {
        match self {
            DenseActivation::None => 1.0,
            DenseActivation::Relu => (y > 0.0) as u8 as f32,
            DenseActivation::Sigmoid => y * (1.0 - y),
            DenseActivation::Tanh => 1.0 - y * y,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(f: impl Fn(f32) -> f32, x: f32) -> f32 {
        let h = 1e-3;
        ((f(x + h) as f64 - f(x - h) as f64) / (2.0 * h as f64)) as f32
    }

    #[test]
    fn surrogates_are_the_derivatives_they_name() {
        for &z in &[-1.3f32, -0.2, 0.05, 0.7, 2.0] {
            assert!((Surrogate::Tanh.derivative(z) - numeric(|v| v.tanh(), z)).abs() < 1e-3);
            let k = 4.0;
            let fs = |v: f32| v / (1.0 + k * v.abs()); // antiderivative of 1/(1+k|v|)^2
            assert!(
                (Surrogate::FastSigmoid { slope: k }.derivative(z) - numeric(fs, z)).abs() < 1e-3
            );
            let sg = |v: f32| sigmoid(k * v);
            assert!((Surrogate::Sigmoid { slope: k }.derivative(z) - numeric(sg, z)).abs() < 1e-3);
        }
        let r = Surrogate::Rectangular { width: 0.5 };
        assert_eq!(r.derivative(0.2), 2.0);
        assert_eq!(r.derivative(0.3), 0.0);
    }

    #[test]
    fn dense_derivatives_match_numeric() {
        for act in [
            DenseActivation::Sigmoid,
            DenseActivation::Tanh,
            DenseActivation::Relu,
        ] {
            for &p in &[-0.9f32, 0.3, 1.7] {
                let y = act.value(p);
                let want = numeric(|v| act.value(v), p);
                assert!(
                    (act.derivative_from_output(y) - want).abs() < 1e-3,
                    "{act:?} {p}"
                );
            }
        }
    }
}
