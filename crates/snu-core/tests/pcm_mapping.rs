//! Weights onto conductance pairs and back (docs/design.md §3, "Mapping"), with one or several pairs
//! per weight, and the global drift compensation of the outputs.
mod pcm_common;

use pcm_common::*;
use snu_core::pcm::{AnalogTile, CellConfig, LogLaw, PcmConfig, Probe};

fn cell(pairs: usize) -> CellConfig {
    CellConfig {
        pairs_per_weight: pairs,
        ..CellConfig::default()
    }
}

#[test]
fn without_noise_the_read_back_is_the_weight_for_any_number_of_pairs() {
    let (k, n) = (60, 70);
    let mut r = TestRng::new(1);
    let mut w = r.vec(k * n, -0.8, 0.8);
    w[5] = -1.3; // max|W|, negative
    for pairs in 1..=3 {
        let mut config = PcmConfig::ideal();
        config.cell = cell(pairs);
        let mut tile = AnalogTile::new(k, n, config, 1).unwrap();
        tile.program(&w).unwrap();
        assert_eq!(tile.mapping().w_max, 1.3);
        for (i, (&a, &b)) in w.iter().zip(tile.weights()).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * 1.3,
                "{pairs} pairs, weight {i}: {a} -> {b}"
            );
        }
        // Single pair: G+ = clamp(scale·W, 0, gMax), G- = clamp(-scale·W, 0, gMax).
        if pairs == 1 {
            let (gp, gm) = tile.programmed_conductances();
            let scale = 25.0 / 1.3;
            for i in 0..w.len() {
                assert!((gp[i] - (scale * w[i]).clamp(0.0, 25.0)).abs() < 1e-5);
                assert!((gm[i] - (-scale * w[i]).clamp(0.0, 25.0)).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn a_zero_matrix_maps_with_a_finite_scale() {
    let mut tile = AnalogTile::new(3, 4, PcmConfig::ideal(), 1).unwrap();
    tile.program(&[0.0; 12]).unwrap();
    assert!(tile.mapping().scale.is_finite());
    assert_eq!(tile.weights(), &[0.0; 12]);
    // With programming noise the off devices get noise: finite small weights.
    let mut tile = AnalogTile::new(3, 4, PcmConfig::default(), 1).unwrap();
    tile.program(&[0.0; 12]).unwrap();
    assert!(tile
        .weights()
        .iter()
        .all(|w| w.is_finite() && w.abs() < 0.2));
}

/// The read-back error of weights all at 0.5 (`max|W| = 1`) with programming noise.
fn errors(pairs: usize, seed: u64) -> Vec<f64> {
    let (k, n) = (250, 400);
    let config = PcmConfig {
        cell: cell(pairs),
        ..PcmConfig::default()
    };
    let mut tile = AnalogTile::new(k, n, config, seed).unwrap();
    let mut w = vec![0.5f32; k * n];
    w[0] = 1.0;
    tile.program(&w).unwrap();
    tile.weights()[1..]
        .iter()
        .map(|&v| v as f64 - 0.5)
        .collect()
}

#[test]
fn programming_error_of_one_pair_matches_its_closed_form() {
    // scale = 25 µS per unit; scale·error = sigma(0.5)·xi1 - max(0, s0·xi2):
    // mean -s0/√(2π), mean square sigma² + s0²/2.
    let e = errors(1, 3);
    let sigma = 0.26348 + 1.9650 * 0.5 - 1.1731 * 0.25;
    let s0: f64 = 0.26348;
    let m = Moments::of(e.iter().map(|x| x * 25.0));
    assert_within("mean", m.mean, -s0 * phi_pdf(0.0), m.se_mean());
    let sq = Moments::of(e.iter().map(|x| (x * 25.0).powi(2)));
    assert_within(
        "mean square",
        sq.mean,
        sigma * sigma + s0 * s0 / 2.0,
        sq.se_mean(),
    );
}

#[test]
fn more_pairs_give_more_precision() {
    // Each later pair corrects the programming error of the ones before it; F = [.., 3, 1].
    let rms = |e: &[f64]| (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
    let (one, two, three) = (rms(&errors(1, 5)), rms(&errors(2, 5)), rms(&errors(3, 5)));
    assert!(two < one / 4.0, "1 pair {one}, 2 pairs {two}");
    assert!(three < two / 2.0, "2 pairs {two}, 3 pairs {three}");
}

/// Every device drifts with the same exponent 0.06; no other noise.
fn uniform_drift(probe: Probe) -> PcmConfig {
    let mut c = PcmConfig::ideal();
    c.device.drift_scale = 1.0;
    c.device.drift_mu = LogLaw {
        slope: 0.0,
        offset: 0.06,
        min: 0.0,
        max: 1.0,
    };
    c.device.drift_sd = LogLaw {
        slope: 0.0,
        offset: 0.0,
        min: 0.0,
        max: 0.0,
    };
    c.drift_compensation.enabled = true;
    c.drift_compensation.probe = probe;
    c
}

#[test]
fn global_drift_compensation_undoes_a_uniform_drift() {
    let (k, n, rows) = (30, 20, 16);
    let mut r = TestRng::new(8);
    let w = r.vec(k * n, -1.0, 1.0);
    let x = r.vec(rows * k, -1.0, 1.0);
    let t = 1e5;
    let decay = ((t + 20.0) / 20.0f64).powf(-0.06);
    for probe in [Probe::Ones, Probe::RandomSigns(8)] {
        let mut tile = AnalogTile::new(k, n, uniform_drift(probe), 2).unwrap();
        tile.program(&w).unwrap();
        assert_eq!(tile.drift_alpha(), 1.0);
        tile.set_time(t).unwrap();
        for (&a, &b) in w.iter().zip(tile.weights()) {
            assert!((b as f64 - a as f64 * decay).abs() < 1e-5, "{a} -> {b}");
        }
        // alpha = mean|Y(0)| / mean|Y(t)| = decay^-1 exactly for a uniform drift.
        assert!(
            ((tile.drift_alpha() as f64) * decay - 1.0).abs() < 1e-5,
            "{probe:?}"
        );
        let mut out = vec![0f32; rows * n];
        tile.forward(&x, rows, &mut out, 0).unwrap();
        for row in 0..rows {
            for j in 0..n {
                let exact: f64 = (0..k)
                    .map(|i| x[row * k + i] as f64 * w[i * n + j] as f64)
                    .sum();
                assert!((out[row * n + j] as f64 - exact).abs() < 1e-4);
            }
        }
        // Compensation off: the outputs carry the drift.
        tile.set_drift_compensation(false);
        assert_eq!(tile.drift_alpha(), 1.0);
        tile.forward(&x, rows, &mut out, 0).unwrap();
        let exact: f64 = (0..k).map(|i| x[i] as f64 * w[i * n] as f64).sum();
        assert!((out[0] as f64 - exact * decay).abs() < 1e-4);
    }
}

#[test]
fn drift_compensation_is_the_ratio_of_the_probe_read_outs() {
    // The full device model: alpha is mean|1ᵀ W(0)| / mean|1ᵀ W(t)| of the weights the devices
    // hold, and 1 at t = 0 even though read noise is drawn there.
    let (k, n) = (64, 48);
    let mut r = TestRng::new(11);
    let w = r.vec(k * n, -1.0, 1.0);
    let mut tile = AnalogTile::new(k, n, PcmConfig::default(), 4).unwrap();
    tile.program(&w).unwrap();
    let column_sums = |w: &[f32]| -> f64 {
        (0..n)
            .map(|j| (0..k).map(|i| w[i * n + j] as f64).sum::<f64>().abs())
            .sum::<f64>()
            / n as f64
    };
    let y0 = column_sums(tile.weights());
    tile.set_time(0.0).unwrap();
    assert_eq!(tile.drift_alpha(), 1.0);
    tile.set_time(86_400.0).unwrap();
    let expected = y0 / column_sums(tile.weights());
    assert!(expected > 1.2, "a day of drift lowers the read-out");
    assert!((tile.drift_alpha() as f64 / expected - 1.0).abs() < 1e-4);
}
