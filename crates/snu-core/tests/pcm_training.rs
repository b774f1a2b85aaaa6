//! Updates on the devices (docs/design.md §3): mixed precision (`chi`, whole device steps as SET
//! pulses), the step law that shrinks towards gMax, device-to-device and cycle-to-cycle spread,
//! and the refresh of saturated pairs.
mod pcm_common;

use pcm_common::*;
use snu_core::pcm::{AnalogTile, EpsilonRule, PcmConfig};

const G_MAX: f64 = 25.0;

/// `dw(u)·gMax`: the mean SET step in µS at relative conductance `u`.
fn step_us(u: f64) -> f64 {
    0.005 * (1.0 + 27.235 * (-2.5 * 2.0 * u).exp()) * (1.0 - u) * G_MAX
}

/// No noise, no spread, no refresh, a generous pulse cap.
fn controlled(epsilon: EpsilonRule) -> PcmConfig {
    let mut c = PcmConfig::ideal();
    c.update.refresh = false;
    c.update.max_pulses_per_update = 100_000;
    c.update.epsilon = epsilon;
    c
}

fn pulses(tile: &AnalogTile) -> (Vec<u32>, Vec<u32>) {
    let s = tile.stats();
    (s.pulses_plus, s.pulses_minus)
}

#[test]
fn pulses_are_trunc_chi_over_epsilon_and_chi_keeps_the_rest() {
    let (k, n) = (40, 50);
    let mut r = TestRng::new(3);
    for rule in [EpsilonRule::AtConductance(0.3), EpsilonRule::PerDevice] {
        let mut tile = AnalogTile::new(k, n, controlled(rule), 1).unwrap();
        tile.program(&r.vec(k * n, -1.0, 1.0)).unwrap();
        for round in 0..3 {
            let eps_scale = tile.epsilon(0, true);
            let delta = r.vec(k * n, -6.0 * eps_scale, 6.0 * eps_scale);
            let chi0 = tile.chi().to_vec();
            let (p0, m0) = pulses(&tile);
            let (g0p, g0m) = {
                let (a, b) = tile.programmed_conductances();
                (a.to_vec(), b.to_vec())
            };
            // epsilon of the device each weight would pulse, before the update.
            let expect: Vec<(f64, f64)> = (0..k * n)
                .map(|i| {
                    let chi = chi0[i] + delta[i] as f64;
                    (chi, tile.epsilon(i, chi >= 0.0))
                })
                .collect();
            let report = tile.apply_update(&delta).unwrap();
            let (p1, m1) = pulses(&tile);
            let mut total = 0u64;
            for (i, &(chi, eps)) in expect.iter().enumerate() {
                let n_expected = (chi / eps).trunc() as i64;
                let n_got = (p1[i] - p0[i]) as i64 - (m1[i] - m0[i]) as i64;
                assert_eq!(n_got, n_expected, "{rule:?} round {round} weight {i}");
                // Only one device of the pair moves, in the direction of chi.
                assert!(p1[i] == p0[i] || m1[i] == m0[i]);
                let rest = tile.chi()[i];
                assert!((rest - (chi - n_expected as f64 * eps)).abs() < 1e-12);
                assert!(rest.abs() < eps, "|chi| {rest} >= epsilon {eps}");
                // Without spread, the device follows the step law exactly, pulse by pulse.
                let (before, after) = if n_got >= 0 {
                    (g0p[i], tile.programmed_conductances().0[i])
                } else {
                    (g0m[i], tile.programmed_conductances().1[i])
                };
                let mut u = before as f64 / G_MAX;
                for _ in 0..n_got.abs() {
                    u = (u + step_us(u) / G_MAX).min(1.0);
                }
                assert!(
                    (after as f64 - u * G_MAX).abs() < 1e-4,
                    "weight {i}: {before} + {n_got} pulses -> {after}, step law {}",
                    u * G_MAX
                );
                total += n_got.unsigned_abs();
            }
            assert_eq!(report.pulses_plus + report.pulses_minus, total);
            assert!(total > 0);
            assert_eq!(report.capped, 0);
        }
    }
}

#[test]
fn a_pulse_cap_keeps_the_excess_in_chi() {
    let mut c = controlled(EpsilonRule::AtConductance(0.5));
    c.update.max_pulses_per_update = 4;
    let mut tile = AnalogTile::new(2, 3, c, 1).unwrap();
    tile.program(&[0.0, 0.1, -0.1, 0.2, 0.0, 1.0]).unwrap();
    let eps = tile.epsilon(0, true);
    let mut delta = [0f32; 6];
    delta[0] = (10.5 * eps) as f32;
    delta[1] = (2.5 * eps) as f32;
    let report = tile.apply_update(&delta).unwrap();
    assert_eq!(report.pulses_plus, 4 + 2);
    assert_eq!(report.capped, 1);
    assert!((tile.chi()[0] / eps - 6.5).abs() < 1e-6);
    assert!((tile.chi()[1] / eps - 0.5).abs() < 1e-6);
}

#[test]
fn the_step_shrinks_towards_g_max_and_never_passes_it() {
    // One pulse per update on every G+ device, from 0 up: without spread the increments follow
    // dw(u) and fall towards 0 as g approaches gMax.
    let mut c = controlled(EpsilonRule::AtConductance(0.0));
    c.update.max_pulses_per_update = 1;
    let mut tile = AnalogTile::new(1, 2, c, 1).unwrap();
    tile.program(&[0.0, 1.0]).unwrap(); // weight 0 at G+ = G- = 0
    let mut last = 0.0f64;
    let mut last_step = f64::INFINITY;
    for pulse in 0..1000 {
        tile.apply_update(&[1e3, 0.0]).unwrap();
        let g = tile.programmed_conductances().0[0] as f64;
        let step = g - last;
        assert!(
            (step - step_us(last / G_MAX)).abs() < 1e-4 + 1e-4 * step,
            "pulse {pulse}"
        );
        // Strictly smaller steps, up to the f32 resolution of g near gMax (2e-6 µS).
        assert!(
            step > 0.0 && step < last_step + 4e-6,
            "pulse {pulse}: step {step} after {last_step}"
        );
        assert!(g <= G_MAX);
        last = g;
        last_step = step;
    }
    assert!(last > 0.99 * G_MAX, "{last}");
}

#[test]
fn spreads_have_mean_one_and_the_log_normal_width() {
    // 10^5 fresh devices get one pulse each from 0: the step is dw(0)·f_d2d·f_c2c with
    // log-normal factors of mean 1, log-sd 0.2 and 0.6: the product has mean 1 and
    // sd √(e^(0.2² + 0.6²) - 1).
    let mut c = PcmConfig::default();
    c.device.prog_noise_scale = 0.0;
    c.update.refresh = false;
    let (k, n) = (250, 400);
    let mut tile = AnalogTile::new(k, n, c, 6).unwrap();
    let mut w = vec![0f32; k * n];
    w[0] = 1.0;
    tile.program(&w).unwrap();
    let eps = tile.epsilon(1, true);
    let mut delta = vec![(1.5 * eps) as f32; k * n];
    delta[0] = 0.0;
    tile.apply_update(&delta).unwrap();
    let steps: Vec<f64> = tile.programmed_conductances().0[1..]
        .iter()
        .map(|&g| g as f64 / step_us(0.0))
        .collect();
    let m = Moments::of(steps.iter().copied());
    assert_within("mean step / dw(0)", m.mean, 1.0, m.se_mean());
    assert_within("sd", m.sd, (0.4f64.exp() - 1.0).sqrt(), m.se_sd());
}

#[test]
fn with_spreads_devices_only_rise_and_stay_below_g_max() {
    let mut c = PcmConfig::default();
    c.update.refresh = false;
    c.update.max_pulses_per_update = 3;
    let (k, n) = (20, 50);
    let mut tile = AnalogTile::new(k, n, c, 7).unwrap();
    tile.program(&TestRng::new(1).vec(k * n, -0.2, 0.2))
        .unwrap();
    // Programming noise can put a device above gMax; pulses then leave it there.
    let start = tile.programmed_conductances().0.to_vec();
    let mut last = start.clone();
    for _ in 0..300 {
        tile.apply_update(&vec![1.0; k * n]).unwrap();
        let now = tile.programmed_conductances().0;
        for ((a, b), s) in last.iter().zip(now).zip(&start) {
            assert!(b >= a && *b as f64 <= G_MAX.max(*s as f64), "{a} -> {b}");
        }
        last = now.to_vec();
    }
    assert!(last.iter().all(|&g| g as f64 > 0.9 * G_MAX));
}

/// Pumps both devices of many pairs up with alternating updates (refresh off).
fn pumped(seed: u64) -> AnalogTile {
    let mut c = PcmConfig::default();
    c.update.refresh = false;
    let (k, n) = (100, 100);
    let mut tile = AnalogTile::new(k, n, c, seed).unwrap();
    tile.program(&TestRng::new(seed).vec(k * n, -0.5, 0.5))
        .unwrap();
    let mut r = TestRng::new(seed + 1);
    for round in 0..40 {
        let sign = if round % 2 == 0 { 1.0 } else { -1.0 };
        let delta: Vec<f32> = (0..k * n)
            .map(|_| sign * r.uniform(0.0, 0.4) as f32)
            .collect();
        tile.apply_update(&delta).unwrap();
    }
    tile
}

/// `E` and `Var` of `max(0, m + s·xi)`.
fn clipped_normal(m: f64, s: f64) -> (f64, f64) {
    let a = m / s;
    let mean = m * phi_cdf(a) + s * phi_pdf(a);
    let second = (m * m + s * s) * phi_cdf(a) + m * s * phi_pdf(a);
    (mean, second - mean * mean)
}

#[test]
fn refresh_rewrites_the_difference_onto_one_device_and_keeps_the_weight() {
    let mut tile = pumped(21);
    let (gp, gm) = {
        let (a, b) = tile.programmed_conductances();
        (a.to_vec(), b.to_vec())
    };
    let w_before = tile.weights().to_vec();
    let due: Vec<usize> = (0..gp.len())
        .filter(|&i| {
            let (hi, lo) = (gp[i].max(gm[i]) as f64, gp[i].min(gm[i]) as f64);
            hi >= 0.9 * G_MAX && lo >= 0.1 * G_MAX
        })
        .collect();
    assert!(due.len() > 500, "only {} pairs to refresh", due.len());
    let refreshed = tile.refresh();
    assert_eq!(refreshed, due.len());
    assert_eq!(tile.stats().refreshes, due.len() as u64);
    let (gp1, gm1) = tile.programmed_conductances();
    let scale = tile.mapping().scale as f64;
    let prog_sigma = |g: f64| {
        let q = g / G_MAX;
        0.26348 + 1.9650 * q - 1.1731 * q * q
    };
    // scale·Δw = (max(0, |d| + s(|d|) xi1) - |d| - max(0, s0 xi2)) · sign(d), d = G+ - G-:
    // sum the deviations from their expectations, standardised by the summed variances.
    let (mut dev, mut var) = (0.0, 0.0);
    for &i in &due {
        let d = gp[i] as f64 - gm[i] as f64;
        let (on, off) = if d >= 0.0 {
            (gp1[i], gm1[i])
        } else {
            (gm1[i], gp1[i])
        };
        // The difference went onto one device; the other was reset (programmed to 0).
        assert!(
            ((on as f64) - d.abs()).abs() < 6.0 * prog_sigma(d.abs()),
            "pair {i}"
        );
        assert!((off as f64) < 6.0 * prog_sigma(0.0), "pair {i}");
        let (m_on, v_on) = clipped_normal(d.abs(), prog_sigma(d.abs()));
        let (m_off, v_off) = clipped_normal(0.0, prog_sigma(0.0));
        let change = (tile.weights()[i] as f64 - w_before[i] as f64) * scale * d.signum();
        dev += change - (m_on - d.abs() - m_off);
        var += v_on + v_off;
    }
    assert_within("summed weight change", dev, 0.0, var.sqrt());
    // Pairs not due keep their devices.
    let not_due = (0..gp.len()).find(|i| !due.contains(i)).unwrap();
    assert_eq!(gp1[not_due], gp[not_due]);
}

#[test]
fn automatic_refresh_and_the_counters_add_up() {
    let c = PcmConfig {
        histogram_bins: 20,
        ..PcmConfig::default()
    };
    let (k, n) = (50, 60);
    let mut tile = AnalogTile::new(k, n, c, 9).unwrap();
    tile.program(&TestRng::new(2).vec(k * n, -0.5, 0.5))
        .unwrap();
    let mut r = TestRng::new(3);
    let (mut pulses_total, mut refreshes) = (0u64, 0u64);
    for round in 0..40 {
        let sign = if round % 2 == 0 { 1.0 } else { -1.0 };
        let delta: Vec<f32> = (0..k * n)
            .map(|_| sign * r.uniform(0.0, 0.4) as f32)
            .collect();
        let report = tile.apply_update(&delta).unwrap();
        pulses_total += report.pulses_plus + report.pulses_minus;
        refreshes += report.refreshes as u64;
    }
    let stats = tile.stats();
    assert!(refreshes > 100, "{refreshes} refreshes");
    assert_eq!(stats.refreshes, refreshes);
    assert_eq!(stats.total_pulses, pulses_total);
    let per_device: u64 = stats
        .pulses_plus
        .iter()
        .chain(&stats.pulses_minus)
        .map(|&p| p as u64)
        .sum();
    assert_eq!(per_device, pulses_total);
    assert_eq!(stats.devices, 2 * k * n);
    assert_eq!(stats.g_plus.counts.len(), 20);
    assert_eq!(stats.g_plus.counts.iter().sum::<u64>(), (k * n) as u64);
    assert_eq!(stats.g_minus.counts.iter().sum::<u64>(), (k * n) as u64);
    // Refresh keeps the pairs working: no pair is left with both devices saturated.
    let (gp, gm) = tile.programmed_conductances();
    let stuck = (0..k * n)
        .filter(|&i| gp[i].min(gm[i]) as f64 > 0.9 * G_MAX)
        .count();
    assert_eq!(stuck, 0);
}

#[test]
fn training_read_noise_reads_the_devices_with_1_over_f_noise_at_t0() {
    // With the option on, every update ends with one noisy read of the devices, as at the first
    // read t0 = 20 s after programming: relative sd Qs(q)·sqrt(ln((t0 + tRead)/(2 tRead))).
    let mut c = PcmConfig::ideal();
    c.device.read_noise_scale = 1.0;
    c.update.training_read_noise = true;
    let (k, n) = (250, 400);
    let mut tile = AnalogTile::new(k, n, c, 12).unwrap();
    let mut w = vec![0.5f32; k * n];
    w[0] = 1.0;
    tile.program(&w).unwrap();
    assert_eq!(tile.weights()[1], 0.5, "programming itself reads exactly");
    tile.apply_update(&vec![0.0; k * n]).unwrap();
    let rel = Moments::of(tile.weights()[1..].iter().map(|&v| v as f64 / 0.5 - 1.0));
    let sigma = 0.0088 / 0.5f64.powf(0.65) * ((20.0 + 250e-9) / 500e-9f64).ln().sqrt();
    assert_within("mean", rel.mean, 0.0, rel.se_mean());
    assert_within("sd", rel.sd, sigma, rel.se_sd());
}
