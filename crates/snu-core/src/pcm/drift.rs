//! Conductance drift: the amorphous part of a PCM cell relaxes, and its conductance decays as a
//! power law of time with a per-device exponent `nu` (Nandakumar et al. 2019; aihwkit
//! `PCMLikeNoiseModel.generate_drift_coefficients`):
//!
//! ```text
//! nu   = s · |mu + sd·xi|                          xi ~ N(0, 1), s = driftScale
//! mu   = clamp(-0.0155 ln q + 0.0244, 0.049, 0.1)
//! sd   = clamp(-0.0125 ln q - 0.0059, 0.008, 0.045)
//! q    = max(|gT| / gMax, qFloor)                  (of the target conductance; qFloor = 1e-7)
//! g(t) = g_prog · ((t + t0) / t0)^(-nu)            t after programming, t0 = 20 s
//! ```

use super::config::PcmDevice;
use crate::kernels::rng::Rng;

/// `q` of a target conductance, floored so that `ln q` stays finite for a RESET device.
#[inline]
pub fn relative(dev: &PcmDevice, g_target: f64) -> f64 {
    (g_target.abs() / dev.g_max).max(dev.q_floor)
}

/// `mu(q)`, the mean of the Gaussian whose absolute value is `nu` (before `driftScale`).
pub fn nu_mean(dev: &PcmDevice, g_target: f64) -> f64 {
    dev.drift_mu.at(relative(dev, g_target))
}

/// `sd(q)`.
pub fn nu_sd(dev: &PcmDevice, g_target: f64) -> f64 {
    dev.drift_sd.at(relative(dev, g_target))
}

/// `nu` for a given standard normal `xi` (the tile keeps `xi` per device, so that a device whose
/// conductance changes by pulses keeps its own place in the distribution).
#[inline]
pub fn nu_from(dev: &PcmDevice, g_target: f64, xi: f64) -> f64 {
    dev.drift_scale * (nu_mean(dev, g_target) + nu_sd(dev, g_target) * xi).abs()
}

/// A fresh `nu`.
pub fn draw_nu(dev: &PcmDevice, g_target: f64, rng: &mut Rng) -> f64 {
    nu_from(dev, g_target, rng.normal())
}

/// `((t + t0) / t0)^(-nu)`; exactly 1 at `t = 0`.
#[inline]
pub fn drift_factor(dev: &PcmDevice, t: f64, nu: f64) -> f64 {
    if t <= 0.0 {
        1.0
    } else {
        ((t + dev.t0) / dev.t0).powf(-nu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_bind_at_both_ends() {
        let dev = PcmDevice::default();
        // q = 1: -0.0155·0 + 0.0244 = 0.0244 -> clamped up to 0.049; sd -0.0059 -> 0.008.
        assert!((nu_mean(&dev, 25.0) - 0.049).abs() < 1e-12);
        assert!((nu_sd(&dev, 25.0) - 0.008).abs() < 1e-12);
        // q = 0 (floored to 1e-7): both at their maxima.
        assert!((nu_mean(&dev, 0.0) - 0.1).abs() < 1e-12);
        assert!((nu_sd(&dev, 0.0) - 0.045).abs() < 1e-12);
        // q = 0.05: inside both ranges.
        let q: f64 = 0.05;
        assert!((nu_mean(&dev, 25.0 * q) - (-0.0155 * q.ln() + 0.0244)).abs() < 1e-12);
        assert!((nu_sd(&dev, 25.0 * q) - (-0.0125 * q.ln() - 0.0059)).abs() < 1e-12);
        assert_eq!(drift_factor(&dev, 0.0, 0.1), 1.0);
    }
}
