//! Finite-difference checks of the engine's BPTT for soft SNU (sSNU) networks: the loss is
//! differentiated numerically with respect to every parameter element and compared with
//! `compute_gradients`.
//!
//! The engine computes in f32, so the difference quotient carries rounding noise of about
//! eps_f32 * |L| / h plus a truncation error of order h^2 * L''' / 6. At h = 2e-3 rounding
//! dominates (the observed discrepancy grows as h shrinks). Bounds:
//!   per element   |fd - g| <= ATOL + RTOL * |fd|     ATOL = 3e-4 * max(1, max|fd|), RTOL = 1e-2
//!   whole vector  ||fd - g|| / ||fd|| < 1e-2
//! Observed on these cases: at most 0.11 of the per-element bound, vector error <= 3.1e-4.
//! A wrong term in the BPTT (a missing reset path, a transposed H, an off-by-one step) gives
//! errors of the size of the gradient itself, orders of magnitude above these bounds.
//!
//! relu / leaky-relu (in `g` and in dense layers) and the lateral-inhibition max are kinks:
//! a perturbation crossing one makes the difference quotient meaningless there. Such elements
//! are found with the independent f64 reference (same parameters, activation pattern compared
//! before and after the perturbation), skipped, counted, and required to be rare.

mod common;

use common::reference::RefNet;
use common::*;
use snu_core::Batch;

const H: f64 = 2e-3;
const RTOL: f64 = 1e-2;
const ATOL_REL: f64 = 3e-4;
const VECTOR_RTOL: f64 = 1e-2;
/// At most this fraction of a case's elements may be skipped for crossing a kink.
const MAX_SKIPPED: f64 = 0.05;

struct Case {
    name: &'static str,
    cfg: ModelCfg,
    steps: usize,
    batch: usize,
}

fn snu(units: usize, g: G, recurrent: bool, trainable_decay: bool, lateral: bool) -> LayerCfg {
    LayerCfg::Snu(SnuCfg {
        g,
        recurrent,
        trainable_decay,
        lateral,
        ..SnuCfg::ssnu(units)
    })
}

const LEAKY: G = G::LeakyRelu(0.1);

fn cases() -> Vec<Case> {
    let case = |name, input, layers, readout, loss, steps, batch| Case {
        name,
        cfg: ModelCfg::new(input, layers, readout, loss),
        steps,
        batch,
    };
    let mut v = vec![
        // One layer.
        case(
            "1L relu ff / mse / sum",
            3,
            vec![snu(4, G::Relu, false, false, false)],
            Readout::Sum,
            Loss::Mse,
            5,
            3,
        ),
        case(
            "1L identity rec decay / softmax / mean",
            3,
            vec![snu(4, G::Identity, true, true, false)],
            Readout::Mean,
            Loss::SoftmaxCe,
            6,
            2,
        ),
        case(
            "1L leaky rec / bce-prob / last",
            4,
            vec![snu(3, LEAKY, true, false, false)],
            Readout::Last,
            Loss::BceProb,
            5,
            3,
        ),
        case(
            "1L relu rec lateral decay / bce-logits / sequence",
            3,
            vec![snu(4, G::Relu, true, true, true)],
            Readout::Sequence,
            Loss::BceLogits,
            5,
            2,
        ),
        // Two layers.
        case(
            "2L relu rec decay + identity ff decay / softmax / sum",
            3,
            vec![
                snu(5, G::Relu, true, true, false),
                snu(3, G::Identity, false, true, false),
            ],
            Readout::Sum,
            Loss::SoftmaxCe,
            5,
            2,
        ),
        case(
            "2L leaky ff + dense / bce-logits / mean",
            4,
            vec![snu(4, LEAKY, false, false, false), dense(3, Act::None)],
            Readout::Mean,
            Loss::BceLogits,
            4,
            3,
        ),
        case(
            "2L relu rec + relu rec / bce-prob / sequence",
            3,
            vec![
                snu(4, G::Relu, true, false, false),
                snu(3, G::Relu, true, false, false),
            ],
            Readout::Sequence,
            Loss::BceProb,
            5,
            2,
        ),
        case(
            "2L dense tanh + relu rec decay / mse / last",
            3,
            vec![dense(4, Act::Tanh), snu(3, G::Relu, true, true, false)],
            Readout::Last,
            Loss::Mse,
            6,
            2,
        ),
        // Three layers.
        case(
            "3L relu rec decay + leaky rec lateral + dense / softmax / sequence",
            3,
            vec![
                snu(4, G::Relu, true, true, false),
                snu(4, LEAKY, true, false, true),
                dense(3, Act::None),
            ],
            Readout::Sequence,
            Loss::SoftmaxCe,
            4,
            2,
        ),
        case(
            "3L identity ff + dense relu + relu rec decay / mse / mean",
            3,
            vec![
                snu(4, G::Identity, false, false, false),
                dense(4, Act::Relu),
                snu(3, G::Relu, true, true, false),
            ],
            Readout::Mean,
            Loss::Mse,
            5,
            2,
        ),
        case(
            "3L relu rec + relu ff + dense sigmoid / bce-prob / mean",
            3,
            vec![
                snu(4, G::Relu, true, false, false),
                snu(4, G::Relu, false, false, false),
                dense(2, Act::Sigmoid),
            ],
            Readout::Mean,
            Loss::BceProb,
            5,
            3,
        ),
        case(
            "3L leaky rec + identity rec decay + relu rec lateral / bce-logits / last",
            3,
            vec![
                snu(3, LEAKY, true, false, false),
                snu(4, G::Identity, true, true, false),
                snu(3, G::Relu, true, false, true),
            ],
            Readout::Last,
            Loss::BceLogits,
            5,
            2,
        ),
        case(
            "3L relu rec + dense tanh + dense without bias / softmax / last",
            4,
            vec![
                snu(5, G::Relu, true, true, false),
                dense(4, Act::Tanh),
                LayerCfg::Dense(DenseCfg {
                    units: 3,
                    act: Act::None,
                    bias: false,
                }),
            ],
            Readout::Last,
            Loss::SoftmaxCe,
            5,
            2,
        ),
    ];
    // Seeds (weights and data) are fixed; they were picked so that in every case each tensor
    // has a nonzero gradient (a relu layer of 3 units can be silent for a whole sequence, which
    // `check` rejects rather than letting the case pass vacuously). The fixed decay varies from
    // case to case; biases and trainable decays are randomised in `check`.
    for (i, c) in v.iter_mut().enumerate() {
        c.cfg.seed = 200 + i as u64;
        for l in &mut c.cfg.layers {
            if let LayerCfg::Snu(s) = l {
                s.decay = [0.8, 0.9, 0.6][i % 3];
            }
        }
    }
    v
}

#[derive(Default, Debug)]
struct Stats {
    checked: usize,
    skipped: usize,
    /// Largest |fd - g| / (atol + rtol |fd|) seen: must stay <= 1.
    worst: f64,
    relative: f64,
}

/// Central differences of the engine's loss for every element of every parameter.
/// Biases and trainable decays are first set to distinct random values (see
/// `randomize_biases_and_decays`); inputs are uniform in [-1, 1.5).
fn check(case: &Case) -> Stats {
    let (cfg, steps, batch) = (&case.cfg, case.steps, case.batch);
    let mut rng = Rng::new(cfg.seed ^ 0xF00D);
    let x = rng.vec(steps * batch * cfg.input_size, -1.0, 1.5);
    let target = cfg.random_target(&mut rng, steps, batch);
    let mut net = cfg.build();
    randomize_biases_and_decays(&mut net, &mut rng);
    net.compute_gradients(&Batch::new(&x, &target, steps, batch))
        .unwrap();
    let analytic = engine_grads(&net);
    let reference = RefNet::from_engine(cfg, &net);
    let pattern = reference.kink_pattern(&reference.forward(&x, steps, batch));

    // First pass: difference quotients, skipping elements whose perturbation crosses a kink.
    let mut fd_all: Vec<(String, usize, f64, f64)> = vec![];
    let mut stats = Stats::default();
    for name in net.param_names() {
        let orig = net.param(&name).unwrap().value.clone();
        for k in 0..orig.len() {
            let mut loss = [0.0f64; 2];
            let mut at = [0.0f32; 2];
            let mut crossed = false;
            for (i, sign) in [1.0, -1.0].into_iter().enumerate() {
                let mut v = orig.clone();
                v[k] = (orig[k] as f64 + sign * H) as f32;
                at[i] = v[k];
                net.set_param(&name, &v).unwrap();
                loss[i] = net.loss(&Batch::new(&x, &target, steps, batch)).unwrap();
                let mut r = reference.clone();
                r.param_mut(&name)[k] = v[k] as f64;
                crossed |= r.kink_pattern(&r.forward(&x, steps, batch)) != pattern;
            }
            net.set_param(&name, &orig).unwrap();
            if crossed {
                stats.skipped += 1;
                continue;
            }
            // Divide by the step actually taken in f32.
            let fd = (loss[0] - loss[1]) / (at[0] as f64 - at[1] as f64);
            fd_all.push((name.clone(), k, fd, lookup(&analytic, &name)[k]));
        }
    }
    let fd_scale = fd_all.iter().fold(1.0f64, |m, e| m.max(e.2.abs()));
    let atol = ATOL_REL * fd_scale;
    let (mut num, mut den) = (0.0, 0.0);
    for (name, k, fd, g) in &fd_all {
        let ratio = (fd - g).abs() / (atol + RTOL * fd.abs());
        assert!(
            ratio <= 1.0,
            "{}: {name}[{k}]: finite difference {fd:.6e} vs engine {g:.6e}",
            case.name
        );
        stats.worst = stats.worst.max(ratio);
        num += (fd - g).powi(2);
        den += fd.powi(2);
    }
    stats.checked = fd_all.len();
    stats.relative = (num / den).sqrt();
    assert!(
        stats.relative < VECTOR_RTOL,
        "{}: relative error of the whole gradient {:.3e}",
        case.name,
        stats.relative
    );
    // Every tensor must actually be exercised (no dead layer hiding behind a zero gradient).
    for name in net.param_names() {
        let live = fd_all
            .iter()
            .any(|e| e.0 == name && e.2.abs() > 1e-4 * fd_scale);
        assert!(
            live,
            "{}: {name} has a zero gradient everywhere; the case does not test it",
            case.name
        );
    }
    let total = stats.checked + stats.skipped;
    assert!(
        (stats.skipped as f64) <= MAX_SKIPPED * total as f64,
        "{}: {} of {total} elements crossed a kink; choose a smaller step or other data",
        case.name,
        stats.skipped
    );
    // Every parameter element is either checked or (rarely) skipped: none is left out.
    assert_eq!(
        total,
        net.params().iter().map(|p| p.value.len()).sum::<usize>()
    );
    stats
}

fn run(layers: usize) {
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.cfg.layers.len() == layers)
        .collect();
    assert!(!cases.is_empty());
    for case in &cases {
        let s = check(case);
        eprintln!(
            "{:<72} checked {:>3} skipped {} worst {:.3} rel {:.2e}",
            case.name, s.checked, s.skipped, s.worst, s.relative
        );
    }
}

#[test]
fn one_layer_ssnu_gradients_match_finite_differences() {
    run(1);
}

#[test]
fn two_layer_ssnu_gradients_match_finite_differences() {
    run(2);
}

#[test]
fn three_layer_ssnu_gradients_match_finite_differences() {
    run(3);
}

/// The table above is meant to cover every option the brief lists; keep it that way.
#[test]
fn the_cases_cover_every_option() {
    let cs = cases();
    let snus = || {
        cs.iter().flat_map(|c| c.cfg.layers.iter()).filter_map(|l| {
            if let LayerCfg::Snu(s) = l {
                Some(s)
            } else {
                None
            }
        })
    };
    for g in [G::Relu, G::Identity, LEAKY] {
        assert!(snus().any(|s| s.g == g), "{g:?}");
    }
    assert!(snus().all(|s| s.out == Out::Sigmoid && !s.detach_reset));
    assert!(snus().any(|s| s.recurrent) && snus().any(|s| !s.recurrent));
    assert!(snus().any(|s| s.trainable_decay) && snus().any(|s| s.lateral));
    for loss in [Loss::SoftmaxCe, Loss::BceLogits, Loss::BceProb, Loss::Mse] {
        assert!(cs.iter().any(|c| c.cfg.loss == loss), "{loss:?}");
    }
    for r in [
        Readout::Sum,
        Readout::Mean,
        Readout::Last,
        Readout::Sequence,
    ] {
        assert!(cs.iter().any(|c| c.cfg.readout == r), "{r:?}");
    }
    for n in 1..=3 {
        assert!(cs.iter().any(|c| c.cfg.layers.len() == n));
    }
    assert!(cs
        .iter()
        .any(|c| c.cfg.layers.iter().any(|l| matches!(l, LayerCfg::Dense(_)))));
}
