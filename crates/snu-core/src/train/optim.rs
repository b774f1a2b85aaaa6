//! Optimizers (PyTorch's update rules) and clipping by global norm.

use crate::kernels::simd::simd_kernel;
use rayon::prelude::*;

use crate::error::Result;
use crate::params::{filled, ParamStore};
use crate::spec::OptimizerSpec;

#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    pub spec: OptimizerSpec,
    /// Updates done so far (Adam's bias correction uses it).
    pub step: u64,
    /// First moment / momentum buffer per parameter (empty until used).
    pub m: Vec<Vec<f32>>,
    /// Second moment per parameter (empty until used).
    pub v: Vec<Vec<f32>>,
}

impl Optimizer {
    pub fn new(spec: OptimizerSpec) -> Self {
        Optimizer {
            spec,
            step: 0,
            m: vec![],
            v: vec![],
        }
    }

    /// One update of every parameter from `store.grads`; returns the index of the first
    /// parameter the update left with a non-finite value (an overflow of float32), if any.
    ///
    /// Every rule is elementwise, so each tensor is cut into fixed chunks updated in parallel:
    /// the result is the same on any number of threads. Each kernel checks the values it
    /// writes as it writes them, so the check costs no extra pass.
    /// The moment buffers are allocated on the first update, fallibly (they double or triple
    /// the model's memory): an error leaves the weights unchanged.
    pub fn update(&mut self, store: &mut ParamStore) -> Result<Option<usize>> {
        let count = store.params.len();
        if self.m.len() != count {
            let buffer = |p: &crate::params::Param, which: &str| {
                filled(
                    p.value.len(),
                    0.0,
                    &format!("optimizer state {which} of {}", p.name),
                )
            };
            let m = store
                .params
                .iter()
                .map(|p| buffer(p, "m"))
                .collect::<Result<_>>()?;
            let v = store
                .params
                .iter()
                .map(|p| buffer(p, "v"))
                .collect::<Result<_>>()?;
            (self.m, self.v) = (m, v);
        }
        self.step += 1;
        let (spec, t) = (self.spec, self.step as i32);
        let mut first_bad = None;
        for i in 0..count {
            let (w, g) = (&mut store.params[i].value, &store.grads[i]);
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            let finite = if w.len() <= CHUNK {
                apply(spec, t, w, g, m, v)
            } else {
                // Every chunk is updated (no short-circuit), then the flags are combined.
                w.par_chunks_mut(CHUNK)
                    .zip(g.par_chunks(CHUNK))
                    .zip(m.par_chunks_mut(CHUNK))
                    .zip(v.par_chunks_mut(CHUNK))
                    .map(|(((w, g), m), v)| apply(spec, t, w, g, m, v))
                    .reduce(|| true, |a, b| a & b)
            };
            if !finite && first_bad.is_none() {
                first_bad = Some(i);
            }
        }
        Ok(first_bad)
    }
}

/// Elements per parallel task: enough work to outweigh handing it to a thread, and fixed, so
/// that neither updates nor norms depend on the thread count.
const CHUNK: usize = 1 << 14;

/// One step of `spec` on a chunk of a tensor; `t` counts the steps so far (Adam's bias
/// correction). Returns whether every new weight is finite.
fn apply(
    spec: OptimizerSpec,
    t: i32,
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) -> bool {
    match spec {
        OptimizerSpec::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => sgd(w, g, m, lr, momentum, nesterov, weight_decay),
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => adam(
            w,
            g,
            m,
            v,
            AdamStep::new(lr, beta1, beta2, eps, weight_decay, t),
        ),
        OptimizerSpec::AdamW {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => {
            // Decoupled decay: w -= lr wd w, then Adam without L2 (which checks the result).
            decay(w, lr * weight_decay);
            adam(w, g, m, v, AdamStep::new(lr, beta1, beta2, eps, 0.0, t))
        }
        OptimizerSpec::Rmsprop {
            lr,
            rho,
            eps,
            momentum,
            weight_decay,
        } => rmsprop(w, g, m, v, lr, rho, eps, momentum, weight_decay),
    }
}

/// Adam's constants for step `t`, bias corrections `c = 1 - b^t` included.
#[derive(Clone, Copy)]
struct AdamStep {
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    c1: f32,
    c2: f32,
}

impl AdamStep {
    fn new(lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, t: i32) -> AdamStep {
        AdamStep {
            lr,
            b1,
            b2,
            eps,
            wd,
            c1: 1.0 - b1.powi(t),
            c2: 1.0 - b2.powi(t),
        }
    }
}

simd_kernel! {
    /// `g' = g + wd w;  m = mu m + g';  w -= lr (nesterov ? g' + mu m : m)` (no momentum: `w -= lr g'`).
    /// Returns whether every new `w` is finite.
    fn sgd(w: &mut [f32], g: &[f32], m: &mut [f32], lr: f32, mu: f32, nesterov: bool, wd: f32) -> bool {
        let mut finite = true;
        if mu == 0.0 {
            for (w, g) in w.iter_mut().zip(g) {
                *w -= lr * (g + wd * *w);
                finite &= w.is_finite();
            }
            return finite;
        }
        for ((w, g), m) in w.iter_mut().zip(g).zip(m.iter_mut()) {
            let gk = g + wd * *w;
            *m = mu * *m + gk;
            *w -= lr * if nesterov { gk + mu * *m } else { *m };
            finite &= w.is_finite();
        }
        finite
    }
}

simd_kernel! {
    /// `w -= rate w` (AdamW's decoupled weight decay, `rate = lr wd`).
    fn decay(w: &mut [f32], rate: f32) {
        w.iter_mut().for_each(|x| *x -= rate * *x);
    }
}

simd_kernel! {
    /// `m = b1 m + (1-b1) g'`, `v = b2 v + (1-b2) g'^2`, `w -= lr m^ / (sqrt(v^) + eps)`
    /// with `m^ = m / c1`, `v^ = v / c2` (`c = 1 - b^t`), `g' = g + wd w`. Returns whether every
    /// new `w` is finite.
    fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamStep) -> bool {
        let AdamStep {
            lr,
            b1,
            b2,
            eps,
            wd,
            c1,
            c2,
        } = s;
        let mut finite = true;
        for (((w, g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let gk = g + wd * *w;
            *m = b1 * *m + (1.0 - b1) * gk;
            *v = b2 * *v + (1.0 - b2) * gk * gk;
            *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            finite &= w.is_finite();
        }
        finite
    }
}

simd_kernel! {
    /// `g' = g + wd w;  v = rho v + (1 - rho) g'^2;  step = g' / (sqrt(v) + eps)`; with momentum
    /// `m = mu m + step; w -= lr m`, else `w -= lr step`. Returns whether every new `w` is finite.
    #[allow(clippy::too_many_arguments)]
    fn rmsprop(
        w: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        lr: f32,
        rho: f32,
        eps: f32,
        mu: f32,
        wd: f32,
    ) -> bool {
        let mut finite = true;
        for (((w, g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let gk = g + wd * *w;
            *v = rho * *v + (1.0 - rho) * gk * gk;
            let step = gk / (v.sqrt() + eps);
            if mu > 0.0 {
                *m = mu * *m + step;
                *w -= lr * *m;
            } else {
                *w -= lr * step;
            }
            finite &= w.is_finite();
        }
        finite
    }
}

/// Scales all gradients so their global L2 norm is at most `max_norm`; returns the norm before.
pub fn clip_global_norm(store: &mut ParamStore, max_norm: f32) -> f32 {
    let norm = global_norm(store);
    if norm > max_norm {
        scale_gradients(store, max_norm / norm);
    }
    norm
}

/// Multiplies every gradient by `s`.
pub fn scale_gradients(store: &mut ParamStore, s: f32) {
    for g in &mut store.grads {
        g.par_chunks_mut(CHUNK).for_each(|c| scale(c, s));
    }
}

simd_kernel! {
    fn scale(x: &mut [f32], s: f32) {
        x.iter_mut().for_each(|x| *x *= s);
    }
}

/// The L2 norm of all gradients, summed in f64 chunk by chunk (in parallel, in a fixed order).
/// Not finite exactly when some gradient is not: f32 squares cannot overflow an f64 sum.
pub fn global_norm(store: &ParamStore) -> f32 {
    store
        .grads
        .iter()
        .map(|g| {
            g.par_chunks(CHUNK)
                .map(sum_squares)
                .collect::<Vec<f64>>()
                .iter()
                .sum::<f64>()
        })
        .sum::<f64>()
        .sqrt() as f32
}

simd_kernel! {
    /// `sum x^2` in f64 over 8 interleaved partial sums (so that it vectorises), added in order.
    fn sum_squares(x: &[f32]) -> f64 {
        let mut acc = [0f64; 8];
        let lanes = x.chunks_exact(8);
        let tail = lanes.remainder();
        for c in lanes {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a += (v as f64) * (v as f64);
            }
        }
        for (a, &v) in acc.iter_mut().zip(tail) {
            *a += (v as f64) * (v as f64);
        }
        acc.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(w: f32, g: f32) -> ParamStore {
        let mut s = ParamStore::default();
        let i = s.add("p".into(), vec![1], w).unwrap();
        s.grads[i][0] = g;
        s
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // After one step m^ = g and v^ = g^2, so the step is lr * g / (|g| + eps).
        let mut s = store(1.0, 0.5);
        let mut o = Optimizer::new(OptimizerSpec::Adam {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        });
        o.update(&mut s).unwrap();
        assert!((s.params[0].value[0] - 0.9).abs() < 1e-6);
    }

    #[test]
    fn sgd_momentum_and_nesterov_follow_their_recurrences() {
        let mut s = store(0.0, 1.0);
        let mut o = Optimizer::new(OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 0.0,
        });
        o.update(&mut s).unwrap(); // m = 1, w = -0.1
        o.update(&mut s).unwrap(); // m = 1.9, w = -0.29
        assert!((s.params[0].value[0] + 0.29).abs() < 1e-6);
        let mut s = store(0.0, 1.0);
        let mut o = Optimizer::new(OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 0.0,
        });
        o.update(&mut s).unwrap(); // m = 1, w -= 0.1 (1 + 0.9) = -0.19
        assert!((s.params[0].value[0] + 0.19).abs() < 1e-6);
    }

    #[test]
    fn adamw_decays_even_with_zero_gradient_and_rmsprop_normalises() {
        let mut s = store(2.0, 0.0);
        let mut o = Optimizer::new(OptimizerSpec::AdamW {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.5,
        });
        o.update(&mut s).unwrap();
        assert!((s.params[0].value[0] - 1.9).abs() < 1e-6);
        let mut s = store(0.0, 4.0);
        let mut o = Optimizer::new(OptimizerSpec::Rmsprop {
            lr: 0.01,
            rho: 0.9,
            eps: 0.0,
            momentum: 0.0,
            weight_decay: 0.0,
        });
        o.update(&mut s).unwrap(); // v = 0.1 * 16 = 1.6; step = 4 / sqrt(1.6)
        assert!((s.params[0].value[0] + 0.01 * 4.0 / 1.6f32.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn clipping_scales_to_the_bound() {
        let mut s = ParamStore::default();
        s.add("a".into(), vec![2], 0.0).unwrap();
        s.grads[0] = vec![3.0, 4.0];
        assert_eq!(clip_global_norm(&mut s, 1.0), 5.0);
        assert!((global_norm(&s) - 1.0).abs() < 1e-6);
    }

    /// A tensor of several chunks and a ragged tail, so that chunking and tails are exercised.
    fn big_store() -> ParamStore {
        let n = 3 * CHUNK + 5;
        let mut s = ParamStore::default();
        s.add("big".into(), vec![n], 0.0).unwrap();
        for k in 0..n {
            s.params[0].value[k] = ((k * 7919) % 1000) as f32 / 500.0 - 1.0;
            s.grads[0][k] = ((k * 104729) % 997) as f32 / 300.0 - 1.6;
        }
        s
    }

    #[test]
    fn chunked_adam_matches_the_scalar_rule_bit_for_bit() {
        let (lr, b1, b2, eps, wd) = (0.01f32, 0.9f32, 0.999f32, 1e-8f32, 0.001f32);
        let mut s = big_store();
        let (mut w, g) = (s.params[0].value.clone(), s.grads[0].clone());
        let (mut m, mut v) = (vec![0f32; w.len()], vec![0f32; w.len()]);
        let mut o = Optimizer::new(OptimizerSpec::Adam {
            lr,
            beta1: b1,
            beta2: b2,
            eps,
            weight_decay: wd,
        });
        for t in 1..=3 {
            o.update(&mut s).unwrap();
            let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
            for k in 0..w.len() {
                let gk = g[k] + wd * w[k];
                m[k] = b1 * m[k] + (1.0 - b1) * gk;
                v[k] = b2 * v[k] + (1.0 - b2) * gk * gk;
                w[k] -= lr * (m[k] / c1) / ((v[k] / c2).sqrt() + eps);
            }
        }
        assert!(s.params[0]
            .value
            .iter()
            .zip(&w)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn global_norm_over_chunks_matches_a_plain_sum_and_flags_non_finite_gradients() {
        let mut s = big_store();
        let plain = s.grads[0]
            .iter()
            .map(|&g| (g as f64) * (g as f64))
            .sum::<f64>()
            .sqrt();
        assert!((global_norm(&s) as f64 - plain).abs() <= 1e-6 * plain);
        s.grads[0][2 * CHUNK + 3] = f32::INFINITY;
        assert!(!global_norm(&s).is_finite());
        s.grads[0][2 * CHUNK + 3] = f32::NAN;
        assert!(global_norm(&s).is_nan());
    }
}
