//! Mixed-precision training on the devices (Nandakumar et al., Front. Neurosci. 2020; docs/design.md
//! §3): the desired weight update accumulates in a digital variable `chi` per weight, and whole
//! device steps are transferred to the devices:
//!
//! ```text
//! chi += delta_w
//! n    = trunc(chi / epsilon)          clamped to ±maxPulsesPerUpdate
//! chi -= n · epsilon                   n > 0: n SET pulses on G+, n < 0: |n| on G-
//! ```
//!
//! `epsilon` is one mean device step in weight units: `dw(u_op) · gMax · F_last / (S · scale)`
//! (pulses go to the least significant pair; `F_last / (S · scale)` turns µS into weight). With
//! `EpsilonRule::PerDevice` the operating point `u_op` is the present conductance of the device
//! that would be pulsed, capped at `min(refreshUpper, 0.99)` so that `epsilon > 0`; with
//! `AtConductance(q)` it is `q` for the whole tile. Without the cap, `|chi| < epsilon` after every
//! update; with it, what the cap held back stays in `chi` for the next update.

use super::config::{EpsilonRule, UpdateModel};
use super::update::mean_step;

/// `epsilon` for a device at relative conductance `u_device`; `weight_per_g_max` is the weight
/// change of one full `gMax` on the pulsed pair.
pub fn epsilon(m: &UpdateModel, u_device: f64, weight_per_g_max: f64) -> f64 {
    let u_op = match m.epsilon {
        EpsilonRule::PerDevice => u_device.min(m.refresh_upper).min(0.99),
        EpsilonRule::AtConductance(q) => q,
    };
    mean_step(m, u_op) * weight_per_g_max
}

/// Takes whole steps out of `chi`: returns the signed pulse count `n` and leaves the remainder.
pub fn take_pulses(chi: &mut f64, epsilon: f64, max_pulses: u32) -> i64 {
    if epsilon.is_nan() || epsilon <= 0.0 {
        return 0;
    }
    let mut n = (*chi / epsilon).trunc();
    // The division can round across an integer; the remainder must stay below one step.
    let rest = *chi - n * epsilon;
    if rest.abs() >= epsilon {
        n += rest.signum();
    }
    let cap = max_pulses as f64;
    let n = n.clamp(-cap, cap);
    *chi -= n * epsilon;
    n as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_steps_leave_the_remainder() {
        let mut chi = 0.37;
        assert_eq!(take_pulses(&mut chi, 0.1, 64), 3);
        assert!((chi - 0.07).abs() < 1e-12);
        let mut chi = -0.25;
        assert_eq!(take_pulses(&mut chi, 0.1, 64), -2);
        assert!((chi + 0.05).abs() < 1e-12);
        let mut chi = 0.09;
        assert_eq!(take_pulses(&mut chi, 0.1, 64), 0);
        assert_eq!(chi, 0.09);
        // The cap keeps the rest for later.
        let mut chi = 1.0;
        assert_eq!(take_pulses(&mut chi, 0.1, 4), 4);
        assert!((chi - 0.6).abs() < 1e-12);
    }
}
