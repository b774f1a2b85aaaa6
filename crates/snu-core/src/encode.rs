//! Spike encoders that run on the hot path of training.

use crate::rng::Rng;

/// Rate coding (DESIGN §2): at each of `steps` steps a value `v` in [0, 1] spikes with
/// probability `p = clamp(v * max_spikes / steps, 0, 1)`.
/// `x` is `[batch, features]`; the result is time-major `[steps, batch, features]`.
pub fn rate(x: &[f32], batch: usize, features: usize, steps: usize, max_spikes: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let scale = max_spikes / steps as f32;
    let mut out = vec![0f32; steps * batch * features];
    for t in 0..steps {
        let dst = &mut out[t * batch * features..(t + 1) * batch * features];
        for (o, &v) in dst.iter_mut().zip(&x[..batch * features]) {
            let p = (v * scale).clamp(0.0, 1.0) as f64;
            *o = (rng.uniform() < p) as u8 as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn spike_probability_is_v_times_max_spikes_over_steps() {
        let x = [0.0f32, 0.25, 1.0];
        let steps = 20_000;
        let out = super::rate(&x, 1, 3, steps, 10.0, 3);
        let counts: Vec<f32> = (0..3).map(|f| (0..steps).map(|t| out[t * 3 + f]).sum()).collect();
        // Expected spikes v * maxSpikes: 0, 2.5, 10; binomial sd sqrt(n p (1-p)) ~ 1.6 and 3.2.
        assert_eq!(counts[0], 0.0);
        assert!((counts[1] - 2.5).abs() <= 8.0, "{counts:?}");
        assert!((counts[2] - 10.0).abs() <= 16.0, "{counts:?}");
    }
}
