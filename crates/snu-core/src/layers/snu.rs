//! The Spiking Neural Unit layer (DESIGN §1), forward over a whole sequence and BPTT.
//!
//! ```text
//! a_t = x_t W [+ y_{t-1} H] + l ⊙ s_{t-1} ⊙ r_{t-1}      r = 1 - y   (lateral inhibition: 1 - max_j y_j)
//! s_t = g(a_t)
//! y_t = h(s_t + b)                                          s_0 = 0, y_0 = 0
//! ```
//! `x W` for all steps is one matrix product; only the element-wise recurrence runs step by step.

use super::{ensure_len, SeqShape};
use crate::activation::{OutputActivation, StateActivation, Surrogate};
use crate::linalg::{gemm, Mat};
use crate::params::ParamStore;
use crate::rng::{glorot_uniform, Rng};
use crate::spec::SnuSpec;

/// Largest value the trainable decay is projected to, keeping `l < 1`.
pub const MAX_DECAY: f32 = 0.9999;

pub struct SnuLayer {
    pub in_size: usize,
    pub units: usize,
    g: StateActivation,
    h: OutputActivation,
    surrogate: Surrogate,
    detach_reset: bool,
    lateral: bool,
    fixed_decay: f32,
    w: usize,
    rec: Option<usize>,
    b: usize,
    decay: Option<usize>,
    /// State input `a`, state `s` and output `y`, each `[T*B, units]`, kept for BPTT.
    a: Vec<f32>,
    s: Vec<f32>,
    pub y: Vec<f32>,
    /// `dL/da` for every step, `[T*B, units]`.
    da: Vec<f32>,
    /// `dL/dy_t` of one step, `[B, units]`.
    dy_t: Vec<f32>,
}

impl SnuLayer {
    pub fn new(spec: &SnuSpec, name: &str, in_size: usize, p: &mut ParamStore, rng: &mut Rng) -> Self {
        let n = spec.units;
        let w = p.add(format!("{name}.W"), vec![in_size, n], 0.0);
        glorot_uniform(rng, in_size, n, &mut p.params[w].value);
        let rec = spec.recurrent.then(|| {
            let h = p.add(format!("{name}.H"), vec![n, n], 0.0);
            glorot_uniform(rng, n, n, &mut p.params[h].value);
            h
        });
        let b = p.add(format!("{name}.b"), vec![n], spec.initial_bias);
        let decay = spec.trainable_decay.then(|| p.add(format!("{name}.decay"), vec![n], spec.decay));
        SnuLayer {
            in_size,
            units: n,
            g: spec.g,
            h: spec.output,
            surrogate: spec.surrogate,
            detach_reset: spec.detach_reset,
            lateral: spec.lateral_inhibition,
            fixed_decay: spec.decay,
            w,
            rec,
            b,
            decay,
            a: vec![],
            s: vec![],
            y: vec![],
            da: vec![],
            dy_t: vec![],
        }
    }

    /// The per-unit decay `l`: the trainable tensor or the fixed value repeated.
    fn decay_at<'p>(&self, p: &'p ParamStore) -> DecayView<'p> {
        match self.decay {
            Some(i) => DecayView::PerUnit(p.value(i)),
            None => DecayView::Fixed(self.fixed_decay),
        }
    }

    pub fn forward(&mut self, p: &ParamStore, x: &[f32], shape: SeqShape) {
        let (bsz, n) = (shape.batch, self.units);
        let len = shape.rows() * n;
        ensure_len(&mut self.a, len);
        ensure_len(&mut self.s, len);
        ensure_len(&mut self.y, len);
        // a_t <- x_t W for all t at once.
        gemm(1.0, Mat::new(x, shape.rows(), self.in_size), false, Mat::new(p.value(self.w), self.in_size, n), false, 0.0, &mut self.a);
        let bias = p.value(self.b);
        let decay = self.decay_at(p);
        let step_len = bsz * n;
        for t in 0..shape.steps {
            let (past_a, now_a) = self.a.split_at_mut(t * step_len);
            let _ = past_a;
            let a_t = &mut now_a[..step_len];
            if t > 0 {
                let prev = (t - 1) * step_len..t * step_len;
                if let Some(h) = self.rec {
                    // a_t += y_{t-1} H
                    gemm(1.0, Mat::new(&self.y[prev.clone()], bsz, n), false, Mat::new(p.value(h), n, n), false, 1.0, a_t);
                }
                // a_t += l ⊙ s_{t-1} ⊙ r_{t-1}
                let (s_prev, y_prev) = (&self.s[prev.clone()], &self.y[prev]);
                for bi in 0..bsz {
                    let row = bi * n..(bi + 1) * n;
                    let lateral_r = self.lateral.then(|| 1.0 - row_max(&y_prev[row.clone()]));
                    for j in row {
                        let r = lateral_r.unwrap_or(1.0 - y_prev[j]);
                        a_t[j] += decay.get(j % n) * s_prev[j] * r;
                    }
                }
            }
            // s_t = g(a_t), y_t = h(s_t + b)
            let off = t * step_len;
            for k in 0..step_len {
                let s = self.g.value(a_t[k]);
                self.s[off + k] = s;
                self.y[off + k] = self.h.value(s + bias[k % n]);
            }
        }
    }

    /// BPTT. Going backwards, `da_{t+1}` reaches step `t` through `H`, through the
    /// reset gate (unless detached) and through the decay term:
    /// ```text
    /// dy_t = dy_t(above) + da_{t+1} H^T - da_{t+1} ⊙ l ⊙ s_t         (reset path; lateral: to argmax_j y_t)
    /// dz_t = dy_t ⊙ h'(z_t)             (h' = surrogate for step, y(1-y) for sigmoid);  db += dz_t
    /// ds_t = dz_t + da_{t+1} ⊙ l ⊙ r_t
    /// da_t = ds_t ⊙ g'(a_t);            dl += da_t ⊙ s_{t-1} ⊙ r_{t-1}
    /// dW = X^T dA,  dH = Y_{t-1}^T dA_t (all t),  dX = dA W^T
    /// ```
    /// With a window `k`, `da_{t+1}` is not carried into step `t` when `t + 1` starts a window.
    pub fn backward(&mut self, p: &mut ParamStore, x: &[f32], dy: &[f32], dx: Option<&mut [f32]>, shape: SeqShape, window: usize) {
        let (steps, bsz, n) = (shape.steps, shape.batch, self.units);
        let step_len = bsz * n;
        ensure_len(&mut self.da, shape.rows() * n);
        ensure_len(&mut self.dy_t, step_len);
        let mut db = std::mem::take(&mut p.grads[self.b]);
        let mut dl = self.decay.map(|i| std::mem::take(&mut p.grads[i]));
        {
            let params: &ParamStore = p;
            let bias = params.value(self.b);
            let decay = self.decay_at(params);
            for t in (0..steps).rev() {
                let now = t * step_len..(t + 1) * step_len;
                let carry = t + 1 < steps && (t + 1) % window != 0;
                let (da_head, da_tail) = self.da.split_at_mut((t + 1) * step_len);
                let da_t = &mut da_head[now.clone()];
                let da_next = &da_tail[..if carry { step_len } else { 0 }];
                let dy_t = &mut self.dy_t;
                dy_t.copy_from_slice(&dy[now.clone()]);
                let (s_t, y_t, a_t) = (&self.s[now.clone()], &self.y[now.clone()], &self.a[now.clone()]);
                if carry {
                    if let Some(h) = self.rec {
                        // dy_t += da_{t+1} H^T
                        gemm(1.0, Mat::new(da_next, bsz, n), false, Mat::new(params.value(h), n, n), true, 1.0, dy_t);
                    }
                    if !self.detach_reset {
                        for bi in 0..bsz {
                            let row = bi * n..(bi + 1) * n;
                            if self.lateral {
                                // r = 1 - max_j y_j: the whole row's term flows to the (first) argmax.
                                let dr: f32 = row.clone().map(|j| da_next[j] * decay.get(j % n) * s_t[j]).sum();
                                dy_t[bi * n + row_argmax(&y_t[row])] -= dr;
                            } else {
                                for j in row {
                                    dy_t[j] -= da_next[j] * decay.get(j % n) * s_t[j];
                                }
                            }
                        }
                    }
                }
                for bi in 0..bsz {
                    let row = bi * n..(bi + 1) * n;
                    let lateral_r = self.lateral.then(|| 1.0 - row_max(&y_t[row.clone()]));
                    for k in row {
                        let u = k % n;
                        let dz = dy_t[k] * self.h.derivative(s_t[k] + bias[u], y_t[k], self.surrogate);
                        db[u] += dz;
                        let mut ds = dz;
                        if carry {
                            ds += da_next[k] * decay.get(u) * lateral_r.unwrap_or(1.0 - y_t[k]);
                        }
                        da_t[k] = ds * self.g.derivative(a_t[k]);
                    }
                }
                if let (Some(dl), true) = (dl.as_mut(), t > 0) {
                    let prev = (t - 1) * step_len..t * step_len;
                    let (s_prev, y_prev) = (&self.s[prev.clone()], &self.y[prev]);
                    for bi in 0..bsz {
                        let row = bi * n..(bi + 1) * n;
                        let lateral_r = self.lateral.then(|| 1.0 - row_max(&y_prev[row.clone()]));
                        for k in row {
                            dl[k % n] += da_t[k] * s_prev[k] * lateral_r.unwrap_or(1.0 - y_prev[k]);
                        }
                    }
                }
            }
        }
        p.grads[self.b] = db;
        if let (Some(i), Some(dl)) = (self.decay, dl) {
            p.grads[i] = dl;
        }
        let rows = shape.rows();
        // dW += X^T dA over all T*B rows at once.
        gemm(1.0, Mat::new(x, rows, self.in_size), true, Mat::new(&self.da, rows, n), false, 1.0, &mut p.grads[self.w]);
        if let (Some(h), true) = (self.rec, steps > 1) {
            // dH += sum_t y_{t-1}^T da_t: rows 0..T-1 of Y against rows 1..T of dA.
            let k = (steps - 1) * bsz;
            gemm(1.0, Mat::new(&self.y[..k * n], k, n), true, Mat::new(&self.da[bsz * n..], k, n), false, 1.0, &mut p.grads[h]);
        }
        if let Some(dx) = dx {
            gemm(1.0, Mat::new(&self.da, rows, n), false, Mat::new(p.value(self.w), self.in_size, n), true, 0.0, dx);
        }
    }

    pub fn project(&self, p: &mut ParamStore) {
        if let Some(i) = self.decay {
            p.params[i].value.iter_mut().for_each(|l| *l = l.clamp(0.0, MAX_DECAY));
        }
    }
}

enum DecayView<'p> {
    Fixed(f32),
    PerUnit(&'p [f32]),
}

impl DecayView<'_> {
    #[inline]
    fn get(&self, unit: usize) -> f32 {
        match self {
            DecayView::Fixed(l) => *l,
            DecayView::PerUnit(l) => l[unit],
        }
    }
}

fn row_max(row: &[f32]) -> f32 {
    row.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// Index of the first maximum (the unit the lateral reset's gradient goes to).
fn row_argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}
