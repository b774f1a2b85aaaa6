//! The periphery of a tile (docs/design.md §3): the DAC's and ADC's level counts, clipping and rounding,
//! and the output noise, which must be Gaussian with sd 0.06 in normalised units and
//! reproducible from (seed, counter) whatever the number of threads.
mod pcm_common;

use pcm_common::*;
use snu_core::pcm::{AnalogTile, InputRange, PcmConfig, Periphery};
use std::collections::BTreeSet;

/// A tile whose weights have `max|W| = 1`, so that normalised and weight units agree.
fn tile(k: usize, n: usize, periphery: Periphery, seed: u64) -> AnalogTile {
    let mut config = PcmConfig::ideal();
    config.periphery = periphery;
    let mut t = AnalogTile::new(k, n, config, seed).unwrap();
    let mut w = vec![0.25f32; k * n];
    w[0] = 1.0;
    t.program(&w).unwrap();
    assert_eq!(t.mapping().w_max, 1.0);
    t
}

/// Distinct values (-0 and +0 count once: `-0 + 0 = +0`).
fn distinct(v: &[f32]) -> usize {
    v.iter()
        .map(|x| (x + 0.0).to_bits())
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn dac_has_2l_plus_1_levels_and_rounds_to_the_nearest() {
    for (bits, levels) in [(7u32, 255usize), (3, 15), (1, 3)] {
        let p = Periphery {
            dac_bits: Some(bits),
            ..Periphery::ideal()
        };
        let k = 20_001;
        let t = tile(k, 1, p, 1);
        // One row sweeping [-1, 1] finely (max|x| = 1, so the range is 1).
        let x: Vec<f32> = (0..k)
            .map(|i| -1.0 + 2.0 * i as f32 / (k - 1) as f32)
            .collect();
        let mut xq = vec![];
        let scales = t.quantize_inputs(&x, 1, &mut xq);
        assert_eq!(scales, vec![1.0]);
        assert_eq!(distinct(&xq), levels, "{bits} bits");
        let l = ((1u32 << bits) - 1) as f32;
        let half_step = 0.5 / l;
        for (&a, &b) in x.iter().zip(&xq) {
            assert!((a - b).abs() <= half_step * (1.0 + 1e-5), "{a} -> {b}");
            assert!(((b * l).round() - b * l).abs() < 1e-4, "{b} is not a level");
        }
    }
}

#[test]
fn dac_scales_each_row_by_its_max_and_clips_a_fixed_range() {
    let t = tile(4, 1, Periphery::default(), 1);
    let x = [0.5f32, -2.0, 1.0, 0.3, 0.0, 0.0, 0.0, 0.0];
    let mut xq = vec![];
    let s = t.quantize_inputs(&x, 2, &mut xq);
    // Row 0: range 2; -2 is the level -127/127 · 2. An all-zero row has range 1.
    assert_eq!(s, vec![2.0, 1.0]);
    assert_eq!(xq[1], -2.0);
    assert!((xq[0] - 0.5).abs() <= 2.0 * 0.5 / 127.0);
    assert_eq!(&xq[4..], &[0.0; 4]);

    let p = Periphery {
        input_range: InputRange::Fixed(0.5),
        ..Periphery::default()
    };
    let t = tile(4, 1, p, 1);
    let s = t.quantize_inputs(&x, 2, &mut xq);
    assert_eq!(s, vec![0.5, 0.5]);
    // Beyond ±0.5 the DAC clips.
    assert_eq!(&xq[..4], &[0.5, -0.5, 0.5, xq[3]]);
    assert!((xq[3] - 0.3).abs() <= 0.5 * 0.5 / 127.0);
}

#[test]
fn spike_inputs_pass_the_dac_unchanged() {
    let t = tile(64, 8, Periphery::default(), 1);
    let mut r = TestRng::new(4);
    let x: Vec<f32> = (0..64 * 1000)
        .map(|_| (r.uniform(0.0, 1.0) < 0.3) as u8 as f32)
        .collect();
    let mut xq = vec![];
    let s = t.quantize_inputs(&x, 1000, &mut xq);
    assert_eq!(xq, x);
    assert!(s.iter().all(|&v| v == 1.0));
    // One value off the grid: the full path, which still leaves the spikes exact.
    let mut y = x.clone();
    y[100] = 0.5;
    let s = t.quantize_inputs(&y, 1000, &mut xq);
    assert_eq!(xq[100], 64.0 / 127.0); // 0.5 -> round(63.5) = 64 (ties to even)
    assert_eq!(&xq[..100], &x[..100]);
    assert!(s.iter().all(|&v| v == 1.0));
}

#[test]
fn adc_has_2_pow_bits_minus_1_levels_clips_at_the_bound_and_rounds_to_the_nearest() {
    for (bits, bound) in [(9u32, 12.0f32), (5, 3.0)] {
        let p = Periphery {
            adc_bits: Some(bits),
            out_bound: Some(bound as f64),
            ..Periphery::ideal()
        };
        let n = 40_001;
        let t = tile(1, n, p, 1);
        // Outputs sweeping [-1.5 b, 1.5 b]: beyond ±b they clip.
        let y0: Vec<f32> = (0..n)
            .map(|i| bound * (-1.5 + 3.0 * i as f32 / (n - 1) as f32))
            .collect();
        let mut y = y0.clone();
        t.finish_outputs(&mut y, 1, &[1.0], 0);
        let levels = (1usize << bits) - 1;
        assert_eq!(distinct(&y), levels, "{bits} bits");
        let step = bound / ((1u32 << (bits - 1)) - 1) as f32;
        let top = y.iter().fold(f32::MIN, |m, &v| m.max(v));
        let bottom = y.iter().fold(f32::MAX, |m, &v| m.min(v));
        assert!((top - bound).abs() < 1e-5 && (bottom + bound).abs() < 1e-5);
        for (&a, &b) in y0.iter().zip(&y) {
            let expected = a.clamp(-bound, bound);
            assert!(
                (expected - b).abs() <= 0.5 * step * (1.0 + 1e-4),
                "{a} -> {b}"
            );
        }
    }
}

#[test]
fn adc_works_in_normalised_units_and_undoes_the_scales() {
    // Row range s = 4 and max|W| = 2: y_n = y / 8, so the bound 12 is y = 96.
    let p = Periphery {
        adc_bits: Some(9),
        out_bound: Some(12.0),
        ..Periphery::ideal()
    };
    let mut config = PcmConfig::ideal();
    config.periphery = p;
    let mut t = AnalogTile::new(1, 3, config, 1).unwrap();
    t.program(&[2.0, 1.0, -1.0]).unwrap();
    let mut y = [100.0f32, -50.0, 3.0];
    t.finish_outputs(&mut y, 1, &[4.0], 0);
    let step = 8.0 * 12.0 / 255.0;
    assert!((y[0] - 96.0).abs() < 1e-4);
    assert!((y[1] + 50.0).abs() <= 0.5 * step + 1e-4);
    assert!((y[2] - 3.0).abs() <= 0.5 * step + 1e-4);
}

/// Output noise alone (no ADC, no bound) on zero outputs with row range 1 and `max|W| = 1`: the
/// outputs are the noise itself, in normalised units.
fn noise_sample(rows: usize, n: usize, counter: u64, seed: u64) -> Vec<f32> {
    let p = Periphery {
        out_noise: 0.06,
        ..Periphery::ideal()
    };
    let t = tile(2, n, p, seed);
    let mut y = vec![0f32; rows * n];
    t.finish_outputs(&mut y, rows, &vec![1.0; rows], counter);
    y
}

#[test]
fn output_noise_is_gaussian_with_sd_0_06() {
    let y = noise_sample(8000, 125, 0, 9); // 10^6 values
    let m = Moments::of(y.iter().map(|&v| v as f64));
    assert_within("mean", m.mean, 0.0, m.se_mean());
    assert_within("sd", m.sd, 0.06, m.se_sd());
    // Kurtosis of a normal sample: 3, standard error √(24/n).
    assert_within("kurtosis", m.kurtosis(), 3.0, (24.0 / m.n).sqrt());
    // Tail fractions beyond 2, 3 and 4 sd (binomial standard errors).
    for k in [2.0f64, 3.0, 4.0] {
        let p = 2.0 * phi_cdf(-k);
        let frac = y.iter().filter(|&&v| (v as f64).abs() > k * 0.06).count() as f64 / m.n;
        assert_within(
            &format!("P(|z| > {k})"),
            frac,
            p,
            (p * (1.0 - p) / m.n).sqrt(),
        );
    }
    // The whole distribution: Kolmogorov–Smirnov, critical value 1.95/√n at the 0.1 % level.
    let mut z: Vec<f64> = y.iter().map(|&v| v as f64 / 0.06).collect();
    let d = ks_normal(&mut z);
    assert!(d < 1.95 / m.n.sqrt(), "KS distance {d}");
    // Neighbouring outputs are independent: lag-1 correlation within 5/√n of 0.
    let c: f64 =
        y.windows(2).map(|w| w[0] as f64 * w[1] as f64).sum::<f64>() / (m.n - 1.0) / (m.sd * m.sd);
    assert_within("lag-1 correlation", c, 0.0, 1.0 / m.n.sqrt());
}

#[test]
fn output_noise_follows_seed_and_counter_not_threads() {
    let run = |threads: usize, counter: u64, seed: u64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| noise_sample(3000, 88, counter, seed))
    };
    let one = run(1, 5, 1);
    assert_eq!(
        one.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        run(2, 5, 1).iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(one, run(3, 5, 1));
    // Another call (counter) or another tile (seed): other noise.
    let other_counter = run(1, 6, 1);
    let other_seed = run(1, 5, 2);
    let same = |a: &[f32], b: &[f32]| a.iter().zip(b).filter(|(x, y)| x == y).count();
    assert!(same(&one, &other_counter) < 10 && same(&one, &other_seed) < 10);
}

#[test]
fn forward_with_an_ideal_periphery_is_the_product() {
    let (k, n, rows) = (37, 23, 50);
    let mut r = TestRng::new(2);
    let w = r.vec(k * n, -1.0, 1.0);
    let x = r.vec(rows * k, -2.0, 2.0);
    let mut t = AnalogTile::new(k, n, PcmConfig::ideal(), 1).unwrap();
    t.program(&w).unwrap();
    let mut out = vec![0f32; rows * n];
    t.forward(&x, rows, &mut out, 0).unwrap();
    for row in 0..rows {
        for j in 0..n {
            let exact: f64 = (0..k)
                .map(|i| x[row * k + i] as f64 * w[i * n + j] as f64)
                .sum();
            assert!(
                (out[row * n + j] as f64 - exact).abs() < 1e-4,
                "({row}, {j})"
            );
        }
    }
}
