//! The conventional recurrent layers (Elman RNN, LSTM, GRU) in f64, written from their textbook
//! equations with plain loops, and the gradients of any model holding them by central finite
//! differences of this f64 reference. It shares no code with the engine.
//!
//! ```text
//! RNN    h_t = tanh(x_t W + h_{t-1} H + b)
//! LSTM   [i f g o] = x_t W + h_{t-1} H + b          (gate blocks of n, in this order)
//!        c_t = σ(f) c_{t-1} + σ(i) tanh(g),  h_t = σ(o) tanh(c_t)
//! GRU    [r z .] = σ(x_t W + h_{t-1} H + b) on the first two blocks
//!        n_t = tanh(x_t W_n + b_n + r ⊙ (h_{t-1} H_n + bh)),  h_t = (1 - z) n_t + z h_{t-1}
//! ```
//! The difference quotient uses h = 1e-6 in f64: its truncation error (~h²) and rounding
//! (~1e-16 / h) are both near 1e-10, far below the f32 engine's own error.
//!
//! Truncated BPTT is a derivative with the states entering each window held constant, so the
//! quotient is taken with those states frozen at the unperturbed pass's values (`Frozen`);
//! carried state (a call continuing the previous one) is likewise a constant initial state.

use super::reference::{LayerTrace, RefLayer, RefNet, Trace};
use super::*;

const FD_STEP: f64 = 1e-6;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// A layer's `(h, c)` state, `[B, n]` each (`c` is zero but for the LSTM).
pub type GatedState = (Vec<f64>, Vec<f64>);

/// States a gated layer's recurrence reads instead of its own.
#[derive(Clone, Copy, Default)]
pub struct Frozen<'a> {
    /// Per layer, `(h_0, c_0)` (`[B, n]` each) when the pass continues a carried state.
    pub initial: Option<&'a [Option<GatedState>]>,
    /// `(trace, k)`: the state entering step `t` with `t % k == 0` comes from `trace`.
    pub windows: Option<(&'a Trace, usize)>,
}

impl<'a> Frozen<'a> {
    pub const NONE: Frozen<'static> = Frozen {
        initial: None,
        windows: None,
    };

    pub fn is_none(&self) -> bool {
        self.initial.is_none() && self.windows.is_none()
    }

    /// What layer `i` reads.
    pub fn layer(&self, i: usize) -> LayerFrozen<'a> {
        LayerFrozen {
            initial: self
                .initial
                .and_then(|s| s[i].as_ref())
                .map(|(h, c)| (h.as_slice(), c.as_slice())),
            windows: self.windows.map(|(tr, k)| (&tr.layers[i], k)),
        }
    }
}

pub struct LayerFrozen<'a> {
    initial: Option<(&'a [f64], &'a [f64])>,
    windows: Option<(&'a LayerTrace, usize)>,
}

/// A gated layer over `[T*B, n_in]` inputs: the trace holds `h` in `y` and LSTM's `c` in `s`.
pub fn gated_forward(
    l: &RefLayer,
    kind: Gate,
    x: &[f64],
    steps: usize,
    batch: usize,
    frozen: &LayerFrozen,
) -> LayerTrace {
    let (m, n, gn) = (l.n_in, l.n, kind.gates() * l.n);
    let len = steps * batch * n;
    let (mut h, mut c) = (vec![0.0; len], vec![0.0; len]);
    for t in 0..steps {
        for b in 0..batch {
            let row = t * batch + b;
            // The state entering step t.
            let (hp, cp): (Vec<f64>, Vec<f64>) = match (t, frozen.windows) {
                (0, _) => match frozen.initial {
                    Some((h0, c0)) => (
                        h0[b * n..(b + 1) * n].to_vec(),
                        c0[b * n..(b + 1) * n].to_vec(),
                    ),
                    None => (vec![0.0; n], vec![0.0; n]),
                },
                (t, Some((base, k))) if t % k == 0 => {
                    let r = (row - batch) * n..(row - batch + 1) * n;
                    (base.y[r.clone()].to_vec(), base.s[r].to_vec())
                }
                _ => {
                    let r = (row - batch) * n..(row - batch + 1) * n;
                    (h[r.clone()].to_vec(), c[r].to_vec())
                }
            };
            // xw = x_t W + b and hh = h_{t-1} H, each [G n].
            let mut xw = l.b.clone();
            let mut hh = vec![0.0; gn];
            for j in 0..gn {
                for i in 0..m {
                    xw[j] += x[row * m + i] * l.w[i * gn + j];
                }
                for i in 0..n {
                    hh[j] += hp[i] * l.h[i * gn + j];
                }
            }
            for k in 0..n {
                let (hk, ck) = match kind {
                    Gate::Rnn => ((xw[k] + hh[k]).tanh(), 0.0),
                    Gate::Lstm => {
                        let i = sigmoid(xw[k] + hh[k]);
                        let f = sigmoid(xw[n + k] + hh[n + k]);
                        let g = (xw[2 * n + k] + hh[2 * n + k]).tanh();
                        let o = sigmoid(xw[3 * n + k] + hh[3 * n + k]);
                        let ck = f * cp[k] + i * g;
                        (o * ck.tanh(), ck)
                    }
                    Gate::Gru => {
                        let r = sigmoid(xw[k] + hh[k]);
                        let z = sigmoid(xw[n + k] + hh[n + k]);
                        let cand = (xw[2 * n + k] + r * (hh[2 * n + k] + l.bh[k])).tanh();
                        ((1.0 - z) * cand + z * hp[k], 0.0)
                    }
                };
                h[row * n + k] = hk;
                c[row * n + k] = ck;
            }
        }
    }
    LayerTrace {
        a: vec![],
        s: c,
        y: h,
    }
}

impl RefNet {
    /// The trainable tensors in the engine's naming.
    pub fn param_names(&self) -> Vec<String> {
        let mut names = vec![];
        for l in &self.layers {
            names.push(format!("{}.W", l.name));
            if !l.h.is_empty() {
                names.push(format!("{}.H", l.name));
            }
            let has_b = !matches!(&l.cfg, LayerCfg::Dense(d) if !d.bias);
            if has_b {
                names.push(format!("{}.b", l.name));
            }
            if matches!(&l.cfg, LayerCfg::Snu(s) if s.trainable_decay) {
                names.push(format!("{}.decay", l.name));
            }
            if !l.bh.is_empty() {
                names.push(format!("{}.bh", l.name));
            }
        }
        names
    }

    /// The loss and every parameter gradient by central differences of the f64 reference,
    /// with truncation windows of `window` steps and the fixed states of `frozen`.
    pub fn fd_gradients(
        &self,
        tr: &Trace,
        target: &[f32],
        window: Option<usize>,
        frozen: &Frozen,
    ) -> (f64, Vec<(String, Vec<f64>)>) {
        let (steps, batch, x) = (tr.steps, tr.batch, &tr.inputs[0]);
        let frozen = Frozen {
            windows: window.filter(|&k| k < steps).map(|k| (tr, k)),
            ..*frozen
        };
        let loss_of = |net: &RefNet| {
            let out = net.forward_with(x, steps, batch, &frozen).out;
            net.loss(&out, target).0
        };
        let loss = loss_of(self);
        let mut probe = self.clone();
        let grads = self
            .param_names()
            .into_iter()
            .map(|name| {
                let len = probe.param_mut(&name).len();
                let g = (0..len)
                    .map(|i| {
                        let v = probe.param_mut(&name)[i];
                        probe.param_mut(&name)[i] = v + FD_STEP;
                        let up = loss_of(&probe);
                        probe.param_mut(&name)[i] = v - FD_STEP;
                        let down = loss_of(&probe);
                        probe.param_mut(&name)[i] = v;
                        (up - down) / (2.0 * FD_STEP)
                    })
                    .collect();
                (name, g)
            })
            .collect();
        (loss, grads)
    }
}
