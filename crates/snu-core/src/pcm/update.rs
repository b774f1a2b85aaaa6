//! The pulsed update of one PCM device: SET pulses only, each raising the conductance by a step
//! that shrinks as the device fills up (see `UpdateModel` for the law and its origin):
//!
//! ```text
//! u <- min(1, u + dw(u) · f_d2d · f_c2c)       u = g / gMax
//! dw(u)  = dwMin · (1 + A e^(-γ·2u)) · (1 - u)
//! f_d2d  = exp(s_d ξ - s_d²/2)   once per device      (log-normal, mean 1)
//! f_c2c  = exp(s_c ξ - s_c²/2)   once per pulse
//! ```
//!
//! A pair is refreshed when its larger device is at least `refreshUpper` and its smaller one at
//! least `refreshLower` (relative to gMax): both devices are RESET and their difference is
//! programmed onto one of them (with programming noise; the tile does the programming).

use super::config::UpdateModel;
use crate::kernels::rng::Rng;

/// `dw(u)`, the mean step of a SET pulse at relative conductance `u` (relative to gMax).
#[inline]
pub fn mean_step(m: &UpdateModel, u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    m.dw_min * (1.0 + m.a_up * (-m.gamma_up * 2.0 * u).exp()) * (1.0 - u)
}

/// `exp(s ξ - s²/2)`: a positive factor of mean 1 and log-sd `s`. Draws one normal even for
/// `s = 0`, so switching a spread off does not shift the other draws of a seed.
#[inline]
pub fn lognormal_factor(s: f64, rng: &mut Rng) -> f64 {
    let xi = rng.normal();
    (s * xi - 0.5 * s * s).exp()
}

/// The device-to-device factor of a new device.
pub fn draw_d2d(m: &UpdateModel, rng: &mut Rng) -> f32 {
    lognormal_factor(m.dw_min_dtod, rng) as f32
}

/// One SET pulse on a device at relative conductance `u` with device factor `d2d`: the new `u`.
/// A device programmed above gMax (programming noise) stays where it is: a SET pulse never
/// lowers the conductance.
/// (f64, so that the tiny steps near gMax add up over a train of pulses.)
pub fn set_pulse(m: &UpdateModel, u: f64, d2d: f32, rng: &mut Rng) -> f64 {
    let step = mean_step(m, u) * d2d as f64 * lognormal_factor(m.dw_min_std, rng);
    if u >= 1.0 {
        u
    } else {
        (u + step).min(1.0)
    }
}

/// The refresh rule on the relative conductances of a pair.
#[inline]
pub fn needs_refresh(m: &UpdateModel, u_plus: f32, u_minus: f32) -> bool {
    let (hi, lo) = if u_plus >= u_minus {
        (u_plus, u_minus)
    } else {
        (u_minus, u_plus)
    };
    m.refresh && hi as f64 >= m.refresh_upper && lo as f64 >= m.refresh_lower
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_law_end_points() {
        let m = UpdateModel::default();
        assert!((mean_step(&m, 0.0) - 0.005 * 28.235).abs() < 1e-12);
        assert_eq!(mean_step(&m, 1.0), 0.0);
        let u: f64 = 0.3;
        let expect = 0.005 * (1.0 + 27.235 * (-5.0 * u).exp()) * 0.7;
        assert!((mean_step(&m, u) - expect).abs() < 1e-12);
    }

    #[test]
    fn refresh_rule() {
        let m = UpdateModel::default();
        assert!(needs_refresh(&m, 0.95, 0.2));
        assert!(needs_refresh(&m, 0.2, 0.95));
        assert!(!needs_refresh(&m, 0.95, 0.05)); // nothing to free
        assert!(!needs_refresh(&m, 0.85, 0.5));
        let off = UpdateModel {
            refresh: false,
            ..m
        };
        assert!(!needs_refresh(&off, 0.95, 0.5));
    }
}
