//! Optimizers (PyTorch's update rules) and clipping by global norm.

use crate::params::ParamStore;
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

    /// One update of every parameter from `store.grads`.
    pub fn update(&mut self, store: &mut ParamStore) {
        let count = store.params.len();
        if self.m.len() != count {
            self.m = store
                .params
                .iter()
                .map(|p| vec![0.0; p.value.len()])
                .collect();
            self.v = self.m.clone();
        }
        self.step += 1;
        let t = self.step as i32;
        for i in 0..count {
            let (w, g) = (&mut store.params[i].value, &store.grads[i]);
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            match self.spec {
                OptimizerSpec::Sgd {
                    lr,
                    momentum,
                    nesterov,
                    weight_decay,
                } => {
                    // g' = g + wd w;  m = mu m + g';  w -= lr (nesterov ? g' + mu m : m)
                    for k in 0..w.len() {
                        let gk = g[k] + weight_decay * w[k];
                        if momentum > 0.0 {
                            m[k] = momentum * m[k] + gk;
                            w[k] -= lr * if nesterov { gk + momentum * m[k] } else { m[k] };
                        } else {
                            w[k] -= lr * gk;
                        }
                    }
                }
                OptimizerSpec::Adam {
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                } => {
                    adam(w, g, m, v, lr, beta1, beta2, eps, weight_decay, t);
                }
                OptimizerSpec::AdamW {
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                } => {
                    // Decoupled decay: w -= lr wd w, then Adam without L2.
                    w.iter_mut().for_each(|x| *x -= lr * weight_decay * *x);
                    adam(w, g, m, v, lr, beta1, beta2, eps, 0.0, t);
                }
                OptimizerSpec::Rmsprop {
                    lr,
                    rho,
                    eps,
                    momentum,
                    weight_decay,
                } => {
                    // v = rho v + (1 - rho) g'^2;  step = g' / (sqrt(v) + eps);  with momentum m = mu m + step
                    for k in 0..w.len() {
                        let gk = g[k] + weight_decay * w[k];
                        v[k] = rho * v[k] + (1.0 - rho) * gk * gk;
                        let s = gk / (v[k].sqrt() + eps);
                        if momentum > 0.0 {
                            m[k] = momentum * m[k] + s;
                            w[k] -= lr * m[k];
                        } else {
                            w[k] -= lr * s;
                        }
                    }
                }
            }
        }
    }
}

/// `m = b1 m + (1-b1) g'`, `v = b2 v + (1-b2) g'^2`, `w -= lr m^ / (sqrt(v^) + eps)`
/// with `m^ = m / (1 - b1^t)`, `v^ = v / (1 - b2^t)`, `g' = g + wd w`.
#[allow(clippy::too_many_arguments)]
fn adam(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    t: i32,
) {
    let c1 = 1.0 - b1.powi(t);
    let c2 = 1.0 - b2.powi(t);
    for k in 0..w.len() {
        let gk = g[k] + wd * w[k];
        m[k] = b1 * m[k] + (1.0 - b1) * gk;
        v[k] = b2 * v[k] + (1.0 - b2) * gk * gk;
        w[k] -= lr * (m[k] / c1) / ((v[k] / c2).sqrt() + eps);
    }
}

/// Scales all gradients so their global L2 norm is at most `max_norm`; returns the norm before.
pub fn clip_global_norm(store: &mut ParamStore, max_norm: f32) -> f32 {
    let norm = global_norm(store);
    if norm > max_norm {
        let s = max_norm / norm;
        store.grads.iter_mut().flatten().for_each(|g| *g *= s);
    }
    norm
}

pub fn global_norm(store: &ParamStore) -> f32 {
    store
        .grads
        .iter()
        .flatten()
        .map(|&g| (g as f64) * (g as f64))
        .sum::<f64>()
        .sqrt() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(w: f32, g: f32) -> ParamStore {
        let mut s = ParamStore::default();
        let i = s.add("p".into(), vec![1], w);
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
        o.update(&mut s);
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
        o.update(&mut s); // m = 1, w = -0.1
        o.update(&mut s); // m = 1.9, w = -0.29
        assert!((s.params[0].value[0] + 0.29).abs() < 1e-6);
        let mut s = store(0.0, 1.0);
        let mut o = Optimizer::new(OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 0.0,
        });
        o.update(&mut s); // m = 1, w -= 0.1 (1 + 0.9) = -0.19
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
        o.update(&mut s);
        assert!((s.params[0].value[0] - 1.9).abs() < 1e-6);
        let mut s = store(0.0, 4.0);
        let mut o = Optimizer::new(OptimizerSpec::Rmsprop {
            lr: 0.01,
            rho: 0.9,
            eps: 0.0,
            momentum: 0.0,
            weight_decay: 0.0,
        });
        o.update(&mut s); // v = 0.1 * 16 = 1.6; step = 4 / sqrt(1.6)
        assert!((s.params[0].value[0] + 0.01 * 4.0 / 1.6f32.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn clipping_scales_to_the_bound() {
        let mut s = ParamStore::default();
        s.add("a".into(), vec![2], 0.0);
        s.grads[0] = vec![3.0, 4.0];
        assert_eq!(clip_global_norm(&mut s, 1.0), 5.0);
        assert!((global_norm(&s) - 1.0).abs() < 1e-6);
    }
}
