//! The device model against its closed forms (docs/design.md §3), on populations of 10^5 devices of a
//! real tile: programming noise, the drift exponent and the power law it drives, 1/f read noise.
mod pcm_common;

use pcm_common::*;
use snu_core::pcm::{AnalogTile, PcmConfig};

const K: usize = 250;
const N: usize = 400; // 10^5 weights

/// `sigma(q) = (0.26348 + 1.9650 q - 1.1731 q²)·gMax/25` with gMax = 25.
fn prog_sigma(q: f64) -> f64 {
    0.26348 + 1.9650 * q - 1.1731 * q * q
}

/// A tile whose weights all map to `G+ = q·gMax`, `G- = 0`: weight 0 is 1 (sets `max|W|`), the
/// others are `q`. Returns the tile and the indices of the `q` weights.
fn tile_at(q: f32, config: PcmConfig, seed: u64) -> AnalogTile {
    let mut tile = AnalogTile::new(K, N, config, seed).unwrap();
    let mut w = vec![q; K * N];
    w[0] = 1.0;
    tile.program(&w).unwrap();
    tile
}

#[test]
fn statistics_helpers_match_known_values() {
    assert!((phi_cdf(1.959_963_985) - 0.975).abs() < 1e-7);
    assert!((phi_cdf(0.0) - 0.5).abs() < 1e-7);
    // |N(0, 1)|: mean √(2/π), sd √(1 - 2/π).
    let (m, s) = folded_normal(0.0, 1.0);
    assert!((m - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-7);
    assert!((s - (1.0 - 2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-7);
}

#[test]
fn programming_noise_has_the_polynomial_spread_and_the_off_device_is_clipped() {
    for (i, q) in [0.1f32, 0.5, 0.9].into_iter().enumerate() {
        let tile = tile_at(q, PcmConfig::default(), 10 + i as u64);
        let (gp, gm) = tile.programmed_conductances();
        let target = 25.0 * q as f64;
        let on = Moments::of(gp[1..].iter().map(|&g| g as f64));
        let sigma = prog_sigma(q as f64);
        // The clip max(0, .) is > 5 sigma away for these q: plain normal statistics.
        assert!(target > 5.0 * sigma);
        assert_within(&format!("q={q}: mean"), on.mean, target, on.se_mean());
        assert_within(&format!("q={q}: sd"), on.sd, sigma, on.se_sd());
        // The off device (target 0) gets noise too: max(0, s0·xi), a half-normal at 0 with
        // mean s0/√(2π) and second moment s0²/2.
        let s0 = prog_sigma(0.0);
        let off = Moments::of(gm[1..].iter().map(|&g| g as f64));
        assert_within(
            &format!("q={q}: off mean"),
            off.mean,
            s0 * phi_pdf(0.0),
            off.se_mean(),
        );
        let off_sd = (s0 * s0 * (0.5 - 1.0 / (2.0 * std::f64::consts::PI))).sqrt();
        assert_within(&format!("q={q}: off sd"), off.sd, off_sd, off.se_sd());
        let zeros = gm.iter().filter(|&&g| g == 0.0).count() as f64 / gm.len() as f64;
        assert_within(
            "q={q}: off devices at 0",
            zeros,
            0.5,
            (0.25 / gm.len() as f64).sqrt(),
        );
    }
}

#[test]
fn programming_noise_scales_with_g_max() {
    // Same q at gMax = 50: sigma doubles (the coefficients are fitted at 25 µS).
    let mut config = PcmConfig::default();
    config.device.g_max = 50.0;
    let tile = tile_at(0.5, config, 3);
    let on = Moments::of(
        tile.programmed_conductances().0[1..]
            .iter()
            .map(|&g| g as f64),
    );
    assert_within("mean", on.mean, 25.0, on.se_mean());
    assert_within("sd", on.sd, 2.0 * prog_sigma(0.5), on.se_sd());
}

/// `mu` and `sd` of the drift law at q.
fn drift_law(q: f64) -> (f64, f64) {
    let q = q.max(1e-7);
    (
        (-0.0155 * q.ln() + 0.0244).clamp(0.049, 0.1),
        (-0.0125 * q.ln() - 0.0059).clamp(0.008, 0.045),
    )
}

/// Least-squares slope of `y` against `x`.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

#[test]
fn drift_follows_the_power_law_with_folded_normal_exponents() {
    // 1 s .. 1 year after programming.
    let times = [1.0f64, 60.0, 3600.0, 86_400.0, 2.6e6, 3.156e7];
    let t0 = 20.0f64;
    let log_time: Vec<f64> = times.iter().map(|t| ((t + t0) / t0).ln()).collect();
    let mut config = PcmConfig::default();
    config.device.read_noise_scale = 0.0; // the power law alone
                                          // q = 0.5: mu, sd both clamped (0.049, 0.008); q = 0.02: inside the ranges, mu/sd ≈ 2 so the
                                          // fold |N| matters; the off devices (q = 0): both at their maxima (0.1, 0.045).
    for (case, q) in [0.5f32, 0.02].into_iter().enumerate() {
        let mut tile = tile_at(q, config.clone(), 20 + case as u64);
        let (gp0, gm0) = {
            let (a, b) = tile.programmed_conductances();
            (a.to_vec(), b.to_vec())
        };
        let mut logs_p = vec![vec![]; times.len()];
        let mut logs_m = vec![vec![]; times.len()];
        for (ti, &t) in times.iter().enumerate() {
            tile.set_time(t).unwrap();
            let (gp, gm) = tile.conductances();
            logs_p[ti] = gp.iter().map(|&g| (g as f64).ln()).collect::<Vec<_>>();
            logs_m[ti] = gm.iter().map(|&g| (g as f64).ln()).collect::<Vec<_>>();
        }
        for (side, g0, logs, q) in [("G+", &gp0, &logs_p, q as f64), ("G-", &gm0, &logs_m, 0.0)] {
            // Devices programmed to exactly 0 stay at 0 and have no logarithm; nu is drawn
            // independently of the programming noise, so leaving them out biases nothing.
            let devices: Vec<usize> = (1..g0.len()).filter(|&d| g0[d] > 0.0).collect();
            assert!(devices.len() > 45_000, "{side}: {} devices", devices.len());
            // Per device: nu = -slope of log g against log((t + t0)/t0).
            let nus: Vec<f64> = devices
                .iter()
                .map(|&d| {
                    let y: Vec<f64> = logs.iter().map(|l| l[d]).collect();
                    -slope(&log_time, &y)
                })
                .collect();
            let (mu, sd) = drift_law(q);
            let (mean, spread) = folded_normal(mu, sd);
            let m = Moments::of(nus.iter().copied());
            assert_within(&format!("q={q} {side}: mean nu"), m.mean, mean, m.se_mean());
            assert_within(&format!("q={q} {side}: sd nu"), m.sd, spread, m.se_sd());
            if q == 0.02 {
                // Here the fold |N| shifts the mean by several standard errors: the check
                // above would fail with mu in place of E|N(mu, sd)|.
                assert!((mean - mu).abs() > Z * m.se_mean(), "{mean} vs {mu}");
            }
            // The population: mean log g against log time has slope -mean(nu), exactly.
            let pop: Vec<f64> = logs
                .iter()
                .map(|l| devices.iter().map(|&d| l[d]).sum::<f64>() / devices.len() as f64)
                .collect();
            let fitted = -slope(&log_time, &pop);
            assert!(
                (fitted - m.mean).abs() < 1e-5,
                "q={q} {side}: population exponent {fitted} vs mean nu {}",
                m.mean
            );
        }
    }
}

#[test]
fn read_noise_has_the_1_over_f_spread() {
    let mut config = PcmConfig::default();
    config.device.prog_noise_scale = 0.0; // conductances exactly at their targets
    config.device.drift_scale = 0.0; // g(t) = g_prog
    let (t0, t_read) = (20.0f64, 250e-9f64);
    for (case, q) in [0.1f32, 0.5, 1.0].into_iter().enumerate() {
        let mut tile = tile_at(q, config.clone(), 30 + case as u64);
        for t in [0.0, 3600.0, 3.156e7] {
            tile.set_time(t).unwrap();
            let (g_prog, _) = tile.programmed_conductances();
            let g_prog = g_prog.to_vec();
            let (g_now, _) = tile.conductances();
            let rel =
                Moments::of((1..g_prog.len()).map(|d| g_now[d] as f64 / g_prog[d] as f64 - 1.0));
            let qs = (0.0088 / (q as f64).powf(0.65).max(1e-3)).min(0.2);
            // t counts from the first read t0 after programming, as in aihwkit.
            let sigma = qs * ((t + t0 + t_read) / (2.0 * t_read)).ln().sqrt();
            // The clip max(0, .) is out of reach: less than one device expected below 0.
            assert!(phi_cdf(-1.0 / sigma) * rel.n < 1.0, "sigma {sigma}");
            assert_within(&format!("q={q} t={t}: mean"), rel.mean, 0.0, rel.se_mean());
            assert_within(&format!("q={q} t={t}: sd"), rel.sd, sigma, rel.se_sd());
        }
    }
}
