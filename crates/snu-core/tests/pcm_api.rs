//! The tile's contract: a seed gives the same bits whatever the number of threads, and bad
//! parameters or inputs give an error that names them instead of a panic.
mod pcm_common;

use pcm_common::*;
use snu_core::pcm::{AnalogTile, CellConfig, EpsilonRule, InputRange, LogLaw, PcmConfig, Probe};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Programming, drift and read noise, an analog forward pass big enough to run in parallel,
/// and two updates with refresh: every number the tile produces, as bits.
fn life(seed: u64) -> Vec<Vec<u32>> {
    let (k, n, rows) = (150, 88, 1000);
    let mut r = TestRng::new(77);
    let w = r.vec(k * n, -0.5, 0.5);
    let x = r.vec(rows * k, -1.0, 1.0);
    let mut tile = AnalogTile::new(k, n, PcmConfig::default(), seed).unwrap();
    tile.program(&w).unwrap();
    let mut out = vec![];
    tile.set_time(3600.0).unwrap();
    out.push(bits(tile.weights()));
    let mut y = vec![0f32; rows * n];
    tile.forward(&x, rows, &mut y, 3).unwrap();
    out.push(bits(&y));
    for round in 0..2 {
        let delta = r.vec(k * n, -0.3, 0.3);
        let report = tile.apply_update(&delta).unwrap();
        out.push(vec![
            report.pulses_plus as u32,
            report.pulses_minus as u32,
            round,
        ]);
        out.push(bits(tile.weights()));
    }
    tile.forward(&x, rows, &mut y, 4).unwrap();
    out.push(bits(&y));
    out
}

#[test]
fn same_seed_same_bits_with_one_and_two_threads() {
    let run = |threads: usize, seed: u64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| life(seed))
    };
    let one = run(1, 42);
    assert_eq!(one, run(2, 42));
    assert_eq!(one, run(1, 42));
    assert_ne!(one[0], run(1, 43)[0], "another seed, other devices");
}

#[track_caller]
fn rejects(config: PcmConfig, names: &str) {
    let err = config.validate().unwrap_err().to_string();
    assert!(
        err.contains(names),
        "expected an error naming {names}, got: {err}"
    );
    let err = AnalogTile::new(2, 2, config, 0).unwrap_err().to_string();
    assert!(err.contains(names), "AnalogTile::new: {err}");
}

#[test]
fn bad_parameters_are_errors_that_name_them() {
    let d = PcmConfig::default;
    let with = |f: &dyn Fn(&mut PcmConfig)| {
        let mut c = d();
        f(&mut c);
        c
    };
    rejects(with(&|c| c.device.g_max = -25.0), "gMax");
    rejects(with(&|c| c.device.g_max = f64::NAN), "gMax");
    rejects(with(&|c| c.device.g_max = 0.0), "gMax");
    rejects(with(&|c| c.device.prog_coeff = vec![]), "progCoeff");
    rejects(
        with(&|c| c.device.prog_coeff = vec![0.2, f64::INFINITY]),
        "progCoeff",
    );
    rejects(
        with(&|c| c.device.prog_noise_scale = -1.0),
        "progNoiseScale",
    );
    rejects(with(&|c| c.device.t0 = 0.0), "t0");
    rejects(with(&|c| c.device.t_read = -1e-9), "tRead");
    rejects(with(&|c| c.device.drift_scale = f64::NAN), "driftScale");
    rejects(
        with(&|c| {
            c.device.drift_mu = LogLaw {
                slope: 0.0,
                offset: 0.0,
                min: 0.2,
                max: 0.1,
            }
        }),
        "driftMu",
    );
    rejects(with(&|c| c.device.read_qs_floor = 0.0), "readQsFloor");
    rejects(
        with(&|c| c.device.read_noise_scale = -0.5),
        "readNoiseScale",
    );
    rejects(with(&|c| c.periphery.dac_bits = Some(0)), "dacBits");
    rejects(with(&|c| c.periphery.dac_bits = Some(25)), "dacBits");
    rejects(with(&|c| c.periphery.adc_bits = Some(0)), "adcBits");
    rejects(with(&|c| c.periphery.adc_bits = Some(25)), "adcBits");
    rejects(with(&|c| c.periphery.out_bound = None), "adcBits");
    rejects(with(&|c| c.periphery.out_bound = Some(-12.0)), "outBound");
    rejects(with(&|c| c.periphery.out_noise = f64::NAN), "outNoise");
    rejects(
        with(&|c| c.periphery.input_range = InputRange::Fixed(0.0)),
        "inputRange",
    );
    rejects(
        with(&|c| {
            c.cell = CellConfig {
                pairs_per_weight: 0,
                ..CellConfig::default()
            }
        }),
        "pairsPerWeight",
    );
    rejects(
        with(&|c| {
            c.cell = CellConfig {
                pairs_per_weight: 2,
                significance: Some(vec![1.0]),
                ..CellConfig::default()
            }
        }),
        "significance",
    );
    rejects(
        with(&|c| {
            c.cell = CellConfig {
                pairs_per_weight: 2,
                significance: Some(vec![3.0, -1.0]),
                ..CellConfig::default()
            }
        }),
        "significance",
    );
    rejects(with(&|c| c.update.dw_min = 0.0), "dwMin");
    rejects(with(&|c| c.update.dw_min_std = -0.1), "dwMinStd");
    rejects(with(&|c| c.update.refresh_upper = 1.5), "refreshUpper");
    rejects(with(&|c| c.update.refresh_lower = 0.95), "refreshLower");
    rejects(
        with(&|c| c.update.max_pulses_per_update = 0),
        "maxPulsesPerUpdate",
    );
    rejects(
        with(&|c| c.update.epsilon = EpsilonRule::AtConductance(1.0)),
        "epsilon",
    );
    rejects(
        with(&|c| c.drift_compensation.probe = Probe::RandomSigns(0)),
        "probe",
    );
    rejects(with(&|c| c.histogram_bins = 0), "histogramBins");
}

#[test]
fn bad_parameters_from_json_are_errors_too() {
    let bad: Result<PcmConfig, _> = serde_json::from_str(r#"{"device":{"gMaxx":25}}"#);
    assert!(bad.unwrap_err().to_string().contains("gMaxx"));
    let parsed: PcmConfig = serde_json::from_str(r#"{"periphery":{"dacBits":0}}"#).unwrap();
    assert!(parsed
        .validate()
        .unwrap_err()
        .to_string()
        .contains("dacBits"));
}

#[test]
fn bad_inputs_are_errors_that_name_them() {
    assert!(AnalogTile::new(0, 3, PcmConfig::default(), 0)
        .unwrap_err()
        .to_string()
        .contains("k = 0"));
    let mut tile = AnalogTile::new(2, 3, PcmConfig::default(), 0).unwrap();
    tile.program(&[0.5, -1.0, 0.25, 0.0, 1.0, -0.5]).unwrap();
    let before = bits(tile.weights());
    let e = tile.program(&[0.0; 5]).unwrap_err().to_string();
    assert!(e.starts_with("w:") && e.contains("6"), "{e}");
    let e = tile
        .program(&[0.0, 1.0, f32::NAN, 0.0, 0.0, 0.0])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("w:") && e.contains("index 2"), "{e}");
    for t in [-1.0, f64::NAN, f64::INFINITY] {
        let e = tile.set_time(t).unwrap_err().to_string();
        assert!(e.starts_with("t:"), "{e}");
    }
    let e = tile.apply_update(&[0.0; 7]).unwrap_err().to_string();
    assert!(e.starts_with("deltaW:"), "{e}");
    let e = tile
        .apply_update(&[0.0, 0.0, 0.0, f32::INFINITY, 0.0, 0.0])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("deltaW:"), "{e}");
    let mut out = vec![0f32; 3];
    let e = tile
        .forward(&[1.0; 3], 1, &mut out, 0)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("x:"), "{e}");
    let e = tile
        .forward(&[1.0; 2], 1, &mut [0.0; 2], 0)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("out:"), "{e}");
    // A failed call leaves the tile as it was.
    assert_eq!(bits(tile.weights()), before);
    assert!(tile.chi().iter().all(|&c| c == 0.0));
    tile.forward(&[1.0, -1.0], 1, &mut out, 0).unwrap();
}
