//! An independent reference of the network in f64, written from docs/design.md §1 with plain loops.
//! It shares no code with the engine: only the parameter *values* are copied from it.
//!
//! Forward, per SNU layer, sample `b`, step `t` (s_0 = y_0 = 0):
//! ```text
//! a_t = x_t W + y_{t-1} H + l ⊙ s_{t-1} ⊙ r_{t-1}     r = 1 - y   (lateral: r_j = 1 - max_k y_k)
//! s_t = g(a_t),   y_t = h(s_t + b)
//! ```
//! Backward (hand-derived BPTT). Writing `da_{t+1}` for dL/da at the next step, which is
//! zero at the last step and at window starts (truncated BPTT cuts it there):
//! ```text
//! dy_t  = (dL/dy_t from above) + da_{t+1} H^T - da_{t+1} ⊙ l ⊙ s_t      (last term: reset path,
//!          absent with detachReset; with lateral inhibition its row sum goes to argmax_k y_t,k)
//! dz_t  = dy_t ⊙ h'(z_t)          h' = surrogate for step, y (1 - y) for sigmoid
//! ds_t  = dz_t + da_{t+1} ⊙ l ⊙ r_t
//! da_t  = ds_t ⊙ g'(a_t)          (g' at the kink: left derivative, 0 for relu / alpha for leaky)
//! dW += x_t^T da_t,  dH += y_{t-1}^T da_t,  db += dz_t,  dl += da_t ⊙ s_{t-1} ⊙ r_{t-1},  dx_t = da_t W^T
//! ```
//! The parameter terms (dH, dl) of a step are kept at window starts: only the carried state
//! gradient is cut (the state entering the window is treated as a constant).

use super::reference_gated::{gated_forward, Frozen};
use super::*;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The value the engine holds after parsing a JSON number into an f32.
fn as_f32(v: f64) -> f64 {
    v as f32 as f64
}

impl G {
    fn value(self, a: f64) -> f64 {
        match self {
            G::Relu => a.max(0.0),
            G::Identity => a,
            G::LeakyRelu(alpha) => {
                if a > 0.0 {
                    a
                } else {
                    as_f32(alpha) * a
                }
            }
        }
    }
    fn derivative(self, a: f64) -> f64 {
        match self {
            G::Relu => {
                if a > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            G::Identity => 1.0,
            G::LeakyRelu(alpha) => {
                if a > 0.0 {
                    1.0
                } else {
                    as_f32(alpha)
                }
            }
        }
    }
}

impl Surr {
    /// dy/dz of `step` as the chosen pseudo-derivative.
    fn derivative(self, z: f64) -> f64 {
        match self {
            Surr::Tanh => 1.0 - z.tanh().powi(2),
            Surr::FastSigmoid(slope) => 1.0 / (1.0 + as_f32(slope) * z.abs()).powi(2),
            Surr::Rectangular(width) => {
                if z.abs() < as_f32(width) / 2.0 {
                    1.0 / as_f32(width)
                } else {
                    0.0
                }
            }
            Surr::Sigmoid(slope) => {
                let k = as_f32(slope);
                let p = sigmoid(k * z);
                k * p * (1.0 - p)
            }
        }
    }
}

impl Act {
    fn value(self, p: f64) -> f64 {
        match self {
            Act::None => p,
            Act::Relu => p.max(0.0),
            Act::Sigmoid => sigmoid(p),
            Act::Tanh => p.tanh(),
        }
    }
    fn derivative(self, p: f64) -> f64 {
        match self {
            Act::None => 1.0,
            Act::Relu => {
                if p > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Act::Sigmoid => sigmoid(p) * (1.0 - sigmoid(p)),
            Act::Tanh => 1.0 - p.tanh().powi(2),
        }
    }
}

/// One layer's parameters in f64, row-major like the engine's: W[i][j] at `i * n + j`.
#[derive(Clone, Debug)]
pub struct RefLayer {
    pub cfg: LayerCfg,
    pub name: String,
    pub n_in: usize,
    pub n: usize,
    pub w: Vec<f64>,
    pub h: Vec<f64>,
    pub b: Vec<f64>,
    /// Per-unit decay (the fixed value repeated when not trainable).
    pub l: Vec<f64>,
    /// The GRU's recurrent candidate bias.
    pub bh: Vec<f64>,
}

/// What one layer computed: SNU: `a`, `s`, `y`; dense: `a` = pre-activation, `s` unused.
#[derive(Clone, Debug, Default)]
pub struct LayerTrace {
    pub a: Vec<f64>,
    pub s: Vec<f64>,
    pub y: Vec<f64>,
}

#[derive(Clone, Debug)]
pub struct Trace {
    pub steps: usize,
    pub batch: usize,
    /// `inputs[i]` is the input of layer `i`, `[T*B, n_in]`.
    pub inputs: Vec<Vec<f64>>,
    pub layers: Vec<LayerTrace>,
    /// The readout, `rows x outputs`.
    pub out: Vec<f64>,
}

#[derive(Clone, Debug)]
pub struct RefNet {
    pub cfg: ModelCfg,
    pub layers: Vec<RefLayer>,
}

impl RefNet {
    /// Copies the engine's parameter values (as f64) into the reference.
    pub fn from_engine(cfg: &ModelCfg, net: &Network) -> RefNet {
        let get = |name: String| -> Vec<f64> {
            net.param(&name)
                .unwrap()
                .value
                .iter()
                .map(|&v| v as f64)
                .collect()
        };
        let mut n_in = cfg.input_size;
        let mut layers = vec![];
        for (i, lc) in cfg.layers.iter().enumerate() {
            let name = cfg.layer_name(i);
            let n = lc.units();
            let w = get(format!("{name}.W"));
            let (h, b, l) = match lc {
                LayerCfg::Snu(s) => {
                    let h = if s.recurrent {
                        get(format!("{name}.H"))
                    } else {
                        vec![]
                    };
                    let l = if s.trainable_decay {
                        get(format!("{name}.decay"))
                    } else {
                        vec![as_f32(s.decay); n]
                    };
                    (h, get(format!("{name}.b")), l)
                }
                LayerCfg::Dense(d) => (
                    vec![],
                    if d.bias {
                        get(format!("{name}.b"))
                    } else {
                        vec![0.0; n]
                    },
                    vec![],
                ),
                LayerCfg::Gated(_) => (get(format!("{name}.H")), get(format!("{name}.b")), vec![]),
            };
            let bh = match lc {
                LayerCfg::Gated(g) if g.kind == Gate::Gru => get(format!("{name}.bh")),
                _ => vec![],
            };
            let gates = match lc {
                LayerCfg::Gated(g) => g.kind.gates(),
                _ => 1,
            };
            assert_eq!(w.len(), n_in * n * gates);
            layers.push(RefLayer {
                cfg: lc.clone(),
                name,
                n_in,
                n,
                w,
                h,
                b,
                l,
                bh,
            });
            n_in = n;
        }
        RefNet {
            cfg: cfg.clone(),
            layers,
        }
    }

    /// The parameter tensors in the engine's naming, for perturbation.
    pub fn param_mut(&mut self, name: &str) -> &mut Vec<f64> {
        let (layer, tensor) = name.split_once('.').unwrap();
        let l = self.layers.iter_mut().find(|l| l.name == layer).unwrap();
        match tensor {
            "W" => &mut l.w,
            "H" => &mut l.h,
            "b" => &mut l.b,
            "decay" => &mut l.l,
            "bh" => &mut l.bh,
            _ => panic!("unknown tensor {name}"),
        }
    }

    pub fn forward(&self, x: &[f32], steps: usize, batch: usize) -> Trace {
        let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        self.forward_with(&x, steps, batch, &Frozen::NONE)
    }

    /// The forward pass; gated layers start from `frozen`'s states where it says so (carried
    /// state, and the constant states entering truncation windows, see `reference_gated.rs`).
    pub fn forward_with(&self, x: &[f64], steps: usize, batch: usize, frozen: &Frozen) -> Trace {
        let mut input = x.to_vec();
        let mut inputs = vec![];
        let mut traces = vec![];
        for (i, layer) in self.layers.iter().enumerate() {
            let tr = match &layer.cfg {
                LayerCfg::Snu(c) => {
                    assert!(frozen.is_none(), "the reference freezes gated layers only");
                    snu_forward(layer, c, &input, steps, batch)
                }
                LayerCfg::Dense(d) => dense_forward(layer, d, &input, steps * batch),
                LayerCfg::Gated(g) => {
                    gated_forward(layer, g.kind, &input, steps, batch, &frozen.layer(i))
                }
            };
            inputs.push(std::mem::replace(&mut input, tr.y.clone()));
            traces.push(tr);
        }
        let n = self.cfg.outputs();
        let y = &traces.last().unwrap().y;
        let out = match self.cfg.readout {
            Readout::Sequence => y.clone(),
            Readout::Last => y[(steps - 1) * batch * n..].to_vec(),
            Readout::Sum | Readout::Mean => {
                let mut o = vec![0.0; batch * n];
                for t in 0..steps {
                    for k in 0..batch * n {
                        o[k] += y[t * batch * n + k];
                    }
                }
                if self.cfg.readout == Readout::Mean {
                    o.iter_mut().for_each(|v| *v /= steps as f64);
                }
                o
            }
        };
        Trace {
            steps,
            batch,
            inputs,
            layers: traces,
            out,
        }
    }

    /// The loss (mean over readout rows) and dL/d(readout).
    pub fn loss(&self, out: &[f64], target: &[f32]) -> (f64, Vec<f64>) {
        let n = self.cfg.outputs();
        let rows = out.len() / n;
        let mut grad = vec![0.0; out.len()];
        let mut total = 0.0;
        for r in 0..rows {
            let o = &out[r * n..(r + 1) * n];
            let t: Vec<f64> = target[r * n..(r + 1) * n]
                .iter()
                .map(|&v| v as f64)
                .collect();
            let g = &mut grad[r * n..(r + 1) * n];
            match self.cfg.loss {
                Loss::SoftmaxCe => {
                    // L = -sum_k t_k log softmax(o)_k;  dL/do_k = p_k sum_j t_j - t_k
                    let m = o.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let lse = m + o.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                    let tsum: f64 = t.iter().sum();
                    for k in 0..n {
                        total += t[k] * (lse - o[k]);
                        g[k] = (o[k] - lse).exp() * tsum - t[k];
                    }
                }
                Loss::BceLogits => {
                    // p = sigmoid(o): L = -t ln p - (1 - t) ln(1 - p);  dL/do = p - t
                    for k in 0..n {
                        let p = sigmoid(o[k]);
                        total += -t[k] * p.ln() - (1.0 - t[k]) * (1.0 - p).ln();
                        g[k] = p - t[k];
                    }
                }
                Loss::BceProb => {
                    // L = -t ln o - (1 - t) ln(1 - o);  dL/do = (o - t) / (o (1 - o))
                    for k in 0..n {
                        assert!(
                            o[k] > 1e-6 && o[k] < 1.0 - 1e-6,
                            "reference: probability {} too close to 0 or 1",
                            o[k]
                        );
                        total += -t[k] * o[k].ln() - (1.0 - t[k]) * (1.0 - o[k]).ln();
                        g[k] = (o[k] - t[k]) / (o[k] * (1.0 - o[k]));
                    }
                }
                Loss::Mse => {
                    // L = (1/n) sum_k (o_k - t_k)^2
                    for k in 0..n {
                        total += (o[k] - t[k]).powi(2) / n as f64;
                        g[k] = 2.0 * (o[k] - t[k]) / n as f64;
                    }
                }
            }
        }
        grad.iter_mut().for_each(|v| *v /= rows as f64);
        (total / rows as f64, grad)
    }

    /// BPTT over a trace; `window` = truncation length (None: full BPTT).
    /// Returns the loss and every parameter gradient in the engine's naming.
    pub fn gradients(
        &self,
        tr: &Trace,
        target: &[f32],
        window: Option<usize>,
    ) -> (f64, Vec<(String, Vec<f64>)>) {
        let (steps, batch) = (tr.steps, tr.batch);
        if self
            .cfg
            .layers
            .iter()
            .any(|l| matches!(l, LayerCfg::Gated(_)))
        {
            return self.fd_gradients(tr, target, window, &Frozen::NONE);
        }
        let n_out = self.cfg.outputs();
        let (loss, d_out) = self.loss(&tr.out, target);
        // Readout backward: dL/dy of the last layer.
        let mut dy = vec![0.0; steps * batch * n_out];
        for t in 0..steps {
            for k in 0..batch * n_out {
                let i = t * batch * n_out + k;
                dy[i] = match self.cfg.readout {
                    Readout::Sequence => d_out[i],
                    Readout::Last => {
                        if t == steps - 1 {
                            d_out[k]
                        } else {
                            0.0
                        }
                    }
                    Readout::Sum => d_out[k],
                    Readout::Mean => d_out[k] / steps as f64,
                };
            }
        }
        let mut grads = vec![];
        for li in (0..self.layers.len()).rev() {
            let layer = &self.layers[li];
            let (x, lt) = (&tr.inputs[li], &tr.layers[li]);
            let (mut g, dx) = match &layer.cfg {
                LayerCfg::Snu(c) => snu_backward(layer, c, x, lt, &dy, steps, batch, window),
                LayerCfg::Dense(d) => dense_backward(layer, d, x, lt, &dy, steps * batch),
                LayerCfg::Gated(_) => unreachable!("gated layers take fd_gradients"),
            };
            g.reverse();
            grads.extend(g);
            dy = dx;
        }
        grads.reverse();
        (loss, grads)
    }

    /// Which side of every kink the forward pass is on: relu / leaky relu inputs of `g` and of
    /// dense relu layers, `z` of step outputs, and the lateral-inhibition argmax. Two parameter
    /// settings with the same pattern lie on one smooth piece of the loss.
    pub fn kink_pattern(&self, tr: &Trace) -> Vec<i64> {
        let mut p = vec![];
        let sign = |v: f64| {
            if v > 0.0 {
                1
            } else if v < 0.0 {
                -1
            } else {
                0
            }
        };
        for (layer, lt) in self.layers.iter().zip(&tr.layers) {
            match &layer.cfg {
                LayerCfg::Snu(c) => {
                    if c.g != G::Identity {
                        p.extend(lt.a.iter().map(|&v| sign(v)));
                    }
                    if c.out == Out::Step {
                        p.extend(
                            lt.s.iter()
                                .enumerate()
                                .map(|(k, &s)| sign(s + layer.b[k % layer.n])),
                        );
                    }
                    if c.lateral {
                        p.extend(lt.y.chunks(layer.n).map(|row| first_argmax(row) as i64));
                    }
                }
                LayerCfg::Dense(d) => {
                    if d.act == Act::Relu {
                        p.extend(lt.a.iter().map(|&v| sign(v)));
                    }
                }
                // Smooth everywhere.
                LayerCfg::Gated(_) => {}
            }
        }
        p
    }

    /// The smallest distance of any forward quantity to a point where the f32 engine and this
    /// f64 reference could branch differently: `z = s + b` to the spike threshold 0, a nonzero
    /// relu input `a` to 0, `|z|` to a rectangular surrogate's edge `width/2`. (An `a` that is
    /// exactly 0 comes from all-zero terms and is exactly 0 in f32 as well.)
    pub fn branch_margin(&self, tr: &Trace) -> f64 {
        let mut m = f64::INFINITY;
        for (layer, lt) in self.layers.iter().zip(&tr.layers) {
            if let LayerCfg::Snu(c) = &layer.cfg {
                for (k, (&a, &s)) in lt.a.iter().zip(&lt.s).enumerate() {
                    if c.g != G::Identity && a != 0.0 {
                        m = m.min(a.abs());
                    }
                    if c.out == Out::Step {
                        let z = s + layer.b[k % layer.n];
                        m = m.min(z.abs());
                        if let Surr::Rectangular(w) = c.surrogate {
                            m = m.min((z.abs() - as_f32(w) / 2.0).abs());
                        }
                    }
                }
            }
        }
        m
    }
}

pub fn first_argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for j in 1..row.len() {
        if row[j] > row[best] {
            best = j;
        }
    }
    best
}

/// The reset factor r of one sample's row: `1 - y_j`, or `1 - max_k y_k` with lateral inhibition.
fn reset_row(c: &SnuCfg, y_row: &[f64]) -> Vec<f64> {
    if c.lateral {
        let m = y_row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        vec![1.0 - m; y_row.len()]
    } else {
        y_row.iter().map(|y| 1.0 - y).collect()
    }
}

fn snu_forward(l: &RefLayer, c: &SnuCfg, x: &[f64], steps: usize, batch: usize) -> LayerTrace {
    let (m, n) = (l.n_in, l.n);
    let len = steps * batch * n;
    let (mut a, mut s, mut y) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
    for t in 0..steps {
        for b in 0..batch {
            let row = (t * batch + b) * n;
            let prev = if t > 0 { ((t - 1) * batch + b) * n } else { 0 };
            let r_prev = if t > 0 {
                reset_row(c, &y[prev..prev + n])
            } else {
                vec![0.0; n]
            };
            for j in 0..n {
                // a_t = x_t W
                let mut acc = 0.0;
                for i in 0..m {
                    acc += x[(t * batch + b) * m + i] * l.w[i * n + j];
                }
                if t > 0 {
                    // + y_{t-1} H
                    if c.recurrent {
                        for i in 0..n {
                            acc += y[prev + i] * l.h[i * n + j];
                        }
                    }
                    // + l s_{t-1} r_{t-1}
                    acc += l.l[j] * s[prev + j] * r_prev[j];
                }
                a[row + j] = acc;
                s[row + j] = c.g.value(acc);
                let z = s[row + j] + l.b[j];
                y[row + j] = match c.out {
                    Out::Step => {
                        if z > 0.0 {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    Out::Sigmoid => sigmoid(z),
                };
            }
        }
    }
    LayerTrace { a, s, y }
}

#[allow(clippy::too_many_arguments)]
fn snu_backward(
    l: &RefLayer,
    c: &SnuCfg,
    x: &[f64],
    tr: &LayerTrace,
    dy_above: &[f64],
    steps: usize,
    batch: usize,
    window: Option<usize>,
) -> (Vec<(String, Vec<f64>)>, Vec<f64>) {
    let (m, n) = (l.n_in, l.n);
    let mut dw = vec![0.0; m * n];
    let mut dh = vec![0.0; n * n];
    let mut db = vec![0.0; n];
    let mut dl = vec![0.0; n];
    let mut dx = vec![0.0; steps * batch * m];
    let mut da = vec![0.0; steps * batch * n];
    for t in (0..steps).rev() {
        // Is da_{t+1} carried into step t? Not past the end, not across a window start.
        let carry = t + 1 < steps && window.is_none_or(|k| (t + 1) % k != 0);
        for b in 0..batch {
            let row = (t * batch + b) * n;
            let next = ((t + 1) * batch + b) * n;
            let y_row = &tr.y[row..row + n];
            let r_now = reset_row(c, y_row);
            let mut dy: Vec<f64> = dy_above[row..row + n].to_vec();
            if carry {
                // a_{t+1,j} contains sum_i y_{t,i} H[i][j]: dy_{t,i} += sum_j da_{t+1,j} H[i][j]
                if c.recurrent {
                    for i in 0..n {
                        for j in 0..n {
                            dy[i] += da[next + j] * l.h[i * n + j];
                        }
                    }
                }
                // a_{t+1,j} contains l_j s_{t,j} r_{t,j}, r = 1 - y (or 1 - max_k y_k)
                if !c.detach_reset {
                    if c.lateral {
                        let k = first_argmax(y_row);
                        for j in 0..n {
                            dy[k] -= da[next + j] * l.l[j] * tr.s[row + j];
                        }
                    } else {
                        for j in 0..n {
                            dy[j] -= da[next + j] * l.l[j] * tr.s[row + j];
                        }
                    }
                }
            }
            for j in 0..n {
                let z = tr.s[row + j] + l.b[j];
                let hprime = match c.out {
                    Out::Step => c.surrogate.derivative(z),
                    Out::Sigmoid => sigmoid(z) * (1.0 - sigmoid(z)),
                };
                let dz = dy[j] * hprime;
                db[j] += dz;
                let mut ds = dz;
                if carry {
                    ds += da[next + j] * l.l[j] * r_now[j];
                }
                da[row + j] = ds * c.g.derivative(tr.a[row + j]);
            }
            // Parameter terms of step t.
            let xr = (t * batch + b) * m;
            for i in 0..m {
                for j in 0..n {
                    dw[i * n + j] += x[xr + i] * da[row + j];
                    dx[xr + i] += da[row + j] * l.w[i * n + j];
                }
            }
            if t > 0 {
                let prev = ((t - 1) * batch + b) * n;
                let r_prev = reset_row(c, &tr.y[prev..prev + n]);
                for j in 0..n {
                    dl[j] += da[row + j] * tr.s[prev + j] * r_prev[j];
                    for i in 0..n {
                        dh[i * n + j] += tr.y[prev + i] * da[row + j];
                    }
                }
            }
        }
    }
    let mut g = vec![(format!("{}.W", l.name), dw)];
    if c.recurrent {
        g.push((format!("{}.H", l.name), dh));
    }
    g.push((format!("{}.b", l.name), db));
    if c.trainable_decay {
        g.push((format!("{}.decay", l.name), dl));
    }
    (g, dx)
}

fn dense_forward(l: &RefLayer, d: &DenseCfg, x: &[f64], rows: usize) -> LayerTrace {
    let (m, n) = (l.n_in, l.n);
    let mut a = vec![0.0; rows * n];
    let mut y = vec![0.0; rows * n];
    for r in 0..rows {
        for j in 0..n {
            let mut acc = l.b[j];
            for i in 0..m {
                acc += x[r * m + i] * l.w[i * n + j];
            }
            a[r * n + j] = acc;
            y[r * n + j] = d.act.value(acc);
        }
    }
    LayerTrace { a, s: vec![], y }
}

fn dense_backward(
    l: &RefLayer,
    d: &DenseCfg,
    x: &[f64],
    tr: &LayerTrace,
    dy: &[f64],
    rows: usize,
) -> (Vec<(String, Vec<f64>)>, Vec<f64>) {
    let (m, n) = (l.n_in, l.n);
    let mut dw = vec![0.0; m * n];
    let mut db = vec![0.0; n];
    let mut dx = vec![0.0; rows * m];
    for r in 0..rows {
        for j in 0..n {
            let dp = dy[r * n + j] * d.act.derivative(tr.a[r * n + j]);
            db[j] += dp;
            for i in 0..m {
                dw[i * n + j] += x[r * m + i] * dp;
                dx[r * m + i] += dp * l.w[i * n + j];
            }
        }
    }
    let mut g = vec![(format!("{}.W", l.name), dw)];
    if d.bias {
        g.push((format!("{}.b", l.name), db));
    }
    (g, dx)
}
