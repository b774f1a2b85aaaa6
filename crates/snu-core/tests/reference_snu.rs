//! The spiking SNU (output `step`, backward through a surrogate) against the independent f64
//! reference in `common/reference.rs` (plain loops, hand-derived BPTT, no engine code).
//!
//! For each configuration several seeds are tried. A seed is skipped, deterministically, when
//! some forward quantity lies within 1e-3 of a branch point (spike threshold `s + b = 0`, a
//! relu kink, a rectangular surrogate's edge): there f32 and f64 may legitimately branch apart.
//! Seeds where a layer never spikes, or always spikes, are skipped too (they test little).
//! Then: the spike trains must agree exactly, and every gradient element must agree within
//! 1e-4 x the largest reference gradient element (f32 rounding; observed at most 7e-7 of it).
//!
//! The reference itself is validated in `reference_matches_its_own_finite_differences`: with a
//! smooth output (sSNU) its BPTT equals f64 central differences of its own loss to ~1e-7.

#![allow(clippy::needless_range_loop)]

mod common;

use common::reference::RefNet;
use common::*;
use snu_core::Batch;

const GRAD_RTOL: f64 = 1e-4;
const STEPS: usize = 6;
const BATCH: usize = 3;
const SEEDS_PER_CONFIG: u64 = 10;
const MIN_SEEDS_RUN: usize = 4;

const SURROGATES: [Surr; 4] = [
    Surr::Tanh,
    Surr::FastSigmoid(4.0),
    Surr::Rectangular(1.0),
    Surr::Sigmoid(4.0),
];

/// Two spiking layers with trainable decay, then (for some readouts) a dense layer on top.
fn config(
    surrogate: Surr,
    detach_reset: bool,
    recurrent: bool,
    lateral: bool,
    variant: usize,
) -> ModelCfg {
    let snu = |units| {
        LayerCfg::Snu(SnuCfg {
            surrogate,
            detach_reset,
            recurrent,
            lateral,
            trainable_decay: true,
            ..SnuCfg::snu(units)
        })
    };
    // Rotate through readouts and losses so that every combination of options meets several.
    let (readout, loss, top) = match variant % 4 {
        0 => (Readout::Sum, Loss::SoftmaxCe, Some(dense(3, Act::None))),
        1 => (Readout::Sequence, Loss::Mse, None),
        2 => (Readout::Mean, Loss::BceLogits, Some(dense(2, Act::Tanh))),
        _ => (Readout::Sum, Loss::Mse, None),
    };
    let mut layers = vec![snu(5), snu(4)];
    layers.extend(top);
    ModelCfg::new(3, layers, readout, loss)
}

/// Spike trains equal, loss and gradients close. Returns the largest discrepancy / scale.
fn compare(run: &mut Run, what: &str) -> f64 {
    let (steps, batch) = (run.steps, run.batch);
    let loss = run
        .net
        .compute_gradients(&Batch::new(&run.x, &run.target, steps, batch))
        .unwrap();
    for (i, (engine, want)) in run
        .net
        .layer_outputs()
        .iter()
        .zip(&run.trace.layers)
        .enumerate()
    {
        let snu = matches!(run.reference.cfg.layers[i], LayerCfg::Snu(_));
        for (k, (&e, &r)) in engine.iter().zip(&want.y).enumerate() {
            if snu {
                assert_eq!(
                    e as f64, r,
                    "{what}: layer {i} output {k}: spike trains differ"
                );
            } else {
                assert!(
                    (e as f64 - r).abs() < 1e-5 * (1.0 + r.abs()),
                    "{what}: layer {i} output {k}: {e} vs {r}"
                );
            }
        }
    }
    let (ref_loss, ref_grads) = run.reference.gradients(&run.trace, &run.target, None);
    assert!(
        (loss - ref_loss).abs() < 1e-5 * (1.0 + ref_loss.abs()),
        "{what}: loss {loss} vs reference {ref_loss}"
    );
    let engine = engine_grads(&run.net);
    assert_grads_close(&engine, &ref_grads, GRAD_RTOL, what);
    let scale = max_abs(&ref_grads);
    ref_grads
        .iter()
        .flat_map(|(n, r)| {
            r.iter()
                .zip(lookup(&engine, n))
                .map(|(a, b)| (a - b).abs() / scale)
        })
        .fold(0.0, f64::max)
}

/// The relative change of the reference gradient when one option is flipped on the same run:
/// shows that the data exercise the path that option controls.
fn sensitivity(run: &Run, flip: impl Fn(&mut SnuCfg)) -> f64 {
    let mut other = run.reference.clone();
    for l in &mut other.layers {
        if let LayerCfg::Snu(c) = &mut l.cfg {
            flip(c);
        }
    }
    let trace = other.forward(&run.x, run.steps, run.batch);
    let (_, flipped) = other.gradients(&trace, &run.target, None);
    let (_, base) = run.reference.gradients(&run.trace, &run.target, None);
    relative_error(&flipped, &base)
}

fn run_configs(configs: Vec<(String, ModelCfg)>) {
    for (name, cfg) in configs {
        let mut ran = 0;
        let mut worst = 0.0f64;
        let mut reset_effect = 0.0f64;
        for seed in 0..SEEDS_PER_CONFIG {
            let Some(mut run) = prepare(&cfg, 1000 + seed, STEPS, BATCH) else {
                continue;
            };
            worst = worst.max(compare(&mut run, &format!("{name} seed {seed}")));
            reset_effect =
                reset_effect.max(sensitivity(&run, |c| c.detach_reset = !c.detach_reset));
            ran += 1;
        }
        assert!(
            ran >= MIN_SEEDS_RUN,
            "{name}: only {ran} of {SEEDS_PER_CONFIG} seeds were usable"
        );
        // The reset path's gradient is not negligible in these data: detaching it changes the result.
        assert!(
            reset_effect > 1e-3,
            "{name}: the reset path does not matter here ({reset_effect:.2e})"
        );
        eprintln!("{name:<60} seeds {ran:>2}  max |engine - ref| / scale {worst:.1e}  reset-path effect {reset_effect:.2}");
    }
}

#[test]
fn spiking_snu_gradients_match_the_reference_for_every_surrogate() {
    let mut configs = vec![];
    for (si, s) in SURROGATES.into_iter().enumerate() {
        for detach in [false, true] {
            for recurrent in [false, true] {
                let variant = si + 2 * detach as usize + recurrent as usize;
                let name = format!("{s:?} detachReset={detach} recurrent={recurrent}");
                configs.push((name, config(s, detach, recurrent, false, variant)));
            }
        }
    }
    run_configs(configs);
}

#[test]
fn lateral_inhibition_gradients_match_the_reference() {
    let mut configs = vec![];
    for (i, s) in [Surr::Tanh, Surr::Rectangular(1.0), Surr::FastSigmoid(4.0)]
        .into_iter()
        .enumerate()
    {
        for detach in [false, true] {
            let name = format!("lateral {s:?} detachReset={detach}");
            configs.push((name, config(s, detach, true, true, i + detach as usize)));
        }
    }
    run_configs(configs);
}

/// With lateral inhibition any spike resets the whole layer (`r = 1 - max_j y_j`). On these data
/// the option must change the spike trains, or the lateral tests above would not test it.
#[test]
fn lateral_inhibition_changes_the_spike_trains() {
    let mut differs = false;
    for seed in 0..SEEDS_PER_CONFIG {
        let cfg = config(Surr::Tanh, false, true, true, 1);
        let Some(run) = prepare(&cfg, 1000 + seed, STEPS, BATCH) else {
            continue;
        };
        let mut plain = run.reference.clone();
        for l in &mut plain.layers {
            if let LayerCfg::Snu(c) = &mut l.cfg {
                c.lateral = false;
            }
        }
        let other = plain.forward(&run.x, run.steps, run.batch);
        differs |= other.layers[0].y != run.trace.layers[0].y;
    }
    assert!(
        differs,
        "lateral inhibition never changed a spike: the variant is not exercised"
    );
}

/// The sSNU engine against the same reference (tight, no finite differences), including
/// detachReset, which a finite-difference check cannot test since it is not a true gradient.
#[test]
fn soft_snu_gradients_match_the_reference_including_detach_reset() {
    for (i, detach) in [false, true].into_iter().enumerate() {
        for lateral in [false, true] {
            let snu = |units, g| {
                LayerCfg::Snu(SnuCfg {
                    g,
                    detach_reset: detach,
                    lateral,
                    recurrent: true,
                    trainable_decay: true,
                    ..SnuCfg::ssnu(units)
                })
            };
            let cfg = ModelCfg {
                seed: 7 + i as u64,
                ..ModelCfg::new(
                    3,
                    vec![
                        snu(4, G::Relu),
                        snu(3, G::LeakyRelu(0.2)),
                        dense(2, Act::None),
                    ],
                    Readout::Sum,
                    Loss::SoftmaxCe,
                )
            };
            let (steps, batch) = (5, 2);
            let mut rng = Rng::new(77);
            let mut net = cfg.build();
            randomize_biases_and_decays(&mut net, &mut rng);
            let x = rng.vec(steps * batch * 3, -1.0, 1.5);
            let target = cfg.random_target(&mut rng, steps, batch);
            net.compute_gradients(&Batch::new(&x, &target, steps, batch))
                .unwrap();
            let reference = RefNet::from_engine(&cfg, &net);
            let trace = reference.forward(&x, steps, batch);
            let (_, want) = reference.gradients(&trace, &target, None);
            assert_grads_close(
                &engine_grads(&net),
                &want,
                GRAD_RTOL,
                &format!("sSNU detachReset={detach} lateral={lateral}"),
            );
        }
    }
}

/// Validates the reference: for smooth (sigmoid) outputs its hand-derived BPTT must equal
/// central differences of its own f64 loss. Step h = 1e-6 in f64: truncation ~1e-12, rounding
/// ~1e-10; elements whose perturbation crosses a relu / argmax kink are skipped (rare).
#[test]
fn reference_matches_its_own_finite_differences() {
    let snu = |units, g, lateral| {
        LayerCfg::Snu(SnuCfg {
            g,
            lateral,
            recurrent: true,
            trainable_decay: true,
            ..SnuCfg::ssnu(units)
        })
    };
    let cases = [
        ModelCfg::new(
            3,
            vec![
                snu(4, G::Relu, false),
                snu(3, G::Identity, true),
                dense(2, Act::Tanh),
            ],
            Readout::Sum,
            Loss::SoftmaxCe,
        ),
        ModelCfg::new(
            2,
            vec![
                snu(4, G::LeakyRelu(0.1), true),
                dense(3, Act::Relu),
                snu(2, G::Relu, false),
            ],
            Readout::Sequence,
            Loss::BceProb,
        ),
        ModelCfg::new(
            3,
            vec![dense(3, Act::Sigmoid), snu(3, G::Relu, false)],
            Readout::Last,
            Loss::Mse,
        ),
        ModelCfg::new(
            3,
            vec![snu(3, G::Identity, false)],
            Readout::Mean,
            Loss::BceLogits,
        ),
    ];
    let (steps, batch, h) = (5, 2, 1e-6);
    for (ci, cfg) in cases.iter().enumerate() {
        let mut rng = Rng::new(31 + ci as u64);
        let mut net = cfg.build();
        randomize_biases_and_decays(&mut net, &mut rng);
        let x = rng.vec(steps * batch * cfg.input_size, -1.0, 1.5);
        let target = cfg.random_target(&mut rng, steps, batch);
        let reference = RefNet::from_engine(cfg, &net);
        let trace = reference.forward(&x, steps, batch);
        let pattern = reference.kink_pattern(&trace);
        let (_, grads) = reference.gradients(&trace, &target, None);
        let scale = max_abs(&grads);
        let (mut checked, mut skipped) = (0, 0);
        for (name, g) in &grads {
            for k in 0..g.len() {
                let mut l = [0.0; 2];
                let mut crossed = false;
                for (i, d) in [h, -h].into_iter().enumerate() {
                    let mut r = reference.clone();
                    r.param_mut(name)[k] += d;
                    let tr = r.forward(&x, steps, batch);
                    crossed |= r.kink_pattern(&tr) != pattern;
                    l[i] = r.loss(&tr.out, &target).0;
                }
                if crossed {
                    skipped += 1;
                    continue;
                }
                let fd = (l[0] - l[1]) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() <= 1e-7 * scale + 1e-6 * fd.abs(),
                    "case {ci}: {name}[{k}]: fd {fd} vs reference {}",
                    g[k]
                );
                checked += 1;
            }
        }
        assert!(skipped * 20 <= checked, "case {ci}: {skipped} skipped");
    }
}
