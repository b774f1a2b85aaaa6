//! Programming noise: a device programmed to a target conductance lands near it, with a spread
//! that grows with the target (Nandakumar et al. 2019; aihwkit `PCMLikeNoiseModel`):
//!
//! ```text
//! g     = max(0, gT + s·sigma·xi)                         xi ~ N(0, 1), s = progNoiseScale
//! sigma = (c0 + c1 q + c2 q² + ...) · gMax / gRef  µS     q = gT / gMax, gRef = 25 µS
//! ```
//!
//! The default coefficients `[0.26348, 1.9650, -1.1731]` give 0.26 µS at `q = 0` (a RESET
//! device, the off device of a pair, gets noise too) and 1.06 µS at `q = 1`.

use super::config::PcmDevice;
use crate::kernels::rng::Rng;

/// `sigma(gT)` in µS (before `progNoiseScale`).
pub fn programming_sigma(dev: &PcmDevice, g_target: f64) -> f64 {
    let q = g_target / dev.g_max;
    // Horner: c0 + q (c1 + q (c2 + ...))
    let poly = dev.prog_coeff.iter().rev().fold(0.0, |acc, &c| acc * q + c);
    poly * dev.g_max / dev.prog_coeff_g_max_reference
}

/// One programmed device: `max(0, gT + s·sigma·xi)`. Draws one normal even when the noise is off,
/// so that switching noise on or off does not shift the other draws of a seed.
pub fn program_conductance(dev: &PcmDevice, g_target: f64, rng: &mut Rng) -> f64 {
    let xi = rng.normal();
    (g_target + dev.prog_noise_scale * programming_sigma(dev, g_target) * xi).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_is_the_polynomial_scaled_by_g_max() {
        let mut dev = PcmDevice::default();
        assert!((programming_sigma(&dev, 0.0) - 0.26348).abs() < 1e-12);
        let s1 = 0.26348 + 1.9650 - 1.1731;
        assert!((programming_sigma(&dev, 25.0) - s1).abs() < 1e-12);
        dev.g_max = 50.0;
        // Same q, twice the gMax: twice the sigma.
        assert!((programming_sigma(&dev, 50.0) - 2.0 * s1).abs() < 1e-12);
    }

    #[test]
    fn never_negative() {
        let dev = PcmDevice::default();
        let mut rng = Rng::new(3);
        assert!((0..10_000).all(|_| program_conductance(&dev, 0.0, &mut rng) >= 0.0));
    }
}
