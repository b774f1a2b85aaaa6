//! The engine's gradient of every parameter against central differences of its own loss.
//!
//! The engine computes in f32, so steps of 1e-3 (rounding noise of the quotient stays below
//! 10 % of it); a kink crossed between two step sizes (relu, max pooling) shows as a
//! disagreement between them, and that element is skipped. Bound: relative error below 2e-2
//! (`|g - fd| / (1e-3 + max(|g|, |fd|))`), kinks at most 1 in 20 of the checked elements.

use snu_core::{Batch, Network};

/// Checks every parameter element of `n` on the batch; returns how many were checked.
pub fn gradcheck(mut n: Network, x: &[f32], y: &[f32], steps: usize, batch: usize) -> usize {
    let b = Batch::new(x, y, steps, batch);
    n.compute_gradients(&b).unwrap();
    let (mut checked, mut kinked) = (0, 0);
    for name in n.param_names() {
        let grad = n.grad(&name).unwrap().to_vec();
        let value = n.param(&name).unwrap().value.clone();
        let mut fd = |i: usize, h: f32| {
            let mut v = value.clone();
            v[i] = value[i] + h;
            n.set_param(&name, &v).unwrap();
            let up = n.loss(&b).unwrap();
            v[i] = value[i] - h;
            n.set_param(&name, &v).unwrap();
            let down = n.loss(&b).unwrap();
            n.set_param(&name, &value).unwrap();
            (up - down) / (2.0 * h as f64)
        };
        for (i, &engine) in grad.iter().enumerate() {
            let (coarse, fine) = (fd(i, 1e-3), fd(i, 2.5e-4));
            let scale = 1e-3 + coarse.abs().max(fine.abs());
            if (coarse - fine).abs() > 0.1 * scale {
                kinked += 1;
                continue;
            }
            let err =
                (engine as f64 - coarse).abs() / (1e-3 + coarse.abs().max(engine.abs() as f64));
            assert!(
                err < 2e-2,
                "{name}[{i}]: engine {engine} vs finite difference {coarse}"
            );
            checked += 1;
        }
    }
    assert!(
        kinked * 20 <= checked,
        "{kinked} kinked points against {checked} checked"
    );
    checked
}
