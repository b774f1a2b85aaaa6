//! 1/f read noise accumulated since programming (Nandakumar et al. 2019; aihwkit
//! `PCMLikeNoiseModel.apply_drift_noise_to_conductance`):
//!
//! ```text
//! Qs    = min(0.0088 / max(q_prog^0.65, 1e-3), 0.2)       q_prog = |g_prog| / gMax
//! sigma = s · Qs · sqrt(ln((t + tRead) / (2 tRead)))       s = readNoiseScale, tRead = 250 ns
//! g     = max(0, g(t) + |g(t)|·sigma·xi)                   xi ~ N(0, 1)
//! ```
//!
//! Here `t` is the time since the end of programming. The tile passes `t_inference + t0`, as
//! aihwkit does: a tile read `t_inference` seconds after its first read (at `t0` = 20 s) has
//! been accumulating 1/f noise for `t_inference + t0`. (With `t` < `tRead` the logarithm would
//! be negative; `sigma` is 0 there.)

use super::config::PcmDevice;
use crate::kernels::rng::Rng;

/// `Qs(q_prog)`.
pub fn qs(dev: &PcmDevice, g_prog: f64) -> f64 {
    let q = g_prog.abs() / dev.g_max;
    (dev.read_qs_coeff / q.powf(dev.read_qs_exponent).max(dev.read_qs_floor)).min(dev.read_qs_max)
}

/// `sqrt(ln((t + tRead) / (2 tRead)))`, 0 where the logarithm is not positive.
pub fn time_factor(dev: &PcmDevice, t_since_programming: f64) -> f64 {
    ((t_since_programming + dev.t_read) / (2.0 * dev.t_read))
        .ln()
        .max(0.0)
        .sqrt()
}

/// `sigma`, the relative read noise of a device programmed to `g_prog`, `t` after programming.
pub fn sigma(dev: &PcmDevice, g_prog: f64, t_since_programming: f64) -> f64 {
    dev.read_noise_scale * qs(dev, g_prog) * time_factor(dev, t_since_programming)
}

/// One read: `max(0, g + |g|·sigma·xi)`. Draws one normal even when the noise is off.
pub fn read(g_drifted: f64, sigma: f64, rng: &mut Rng) -> f64 {
    let xi = rng.normal();
    (g_drifted + g_drifted.abs() * sigma * xi).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qs_limits() {
        let dev = PcmDevice::default();
        assert!((qs(&dev, 25.0) - 0.0088).abs() < 1e-12);
        // q^0.65 below 1e-3 is floored: 0.0088 / 1e-3 = 8.8, then capped at 0.2.
        assert!((qs(&dev, 0.0) - 0.2).abs() < 1e-12);
        let q: f64 = 0.3;
        assert!((qs(&dev, 25.0 * q) - 0.0088 / q.powf(0.65)).abs() < 1e-12);
        assert_eq!(time_factor(&dev, 0.0), 0.0);
        let t = 20.0;
        assert!((time_factor(&dev, t) - ((t + 250e-9) / 500e-9f64).ln().sqrt()).abs() < 1e-12);
    }
}
