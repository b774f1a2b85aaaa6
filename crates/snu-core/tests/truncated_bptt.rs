//! Truncated BPTT (`tbptt: k`): the sequence is cut into windows [0, k), [k, 2k), ...; the
//! gradient carried from step t+1 back into step t (through H, the reset gate and the decay
//! term) is dropped when t+1 starts a window. The parameter terms of every step stay.
//!
//! - A window of T or more steps changes nothing: gradients bit-identical to full BPTT.
//! - A shorter window equals the reference (`common/reference.rs`) run with the same cut, to
//!   1e-4 of the gradient's scale (as in `reference_snu.rs`), and differs from full BPTT.

mod common;

use common::*;
use snu_core::Batch;

const STEPS: usize = 7;
const BATCH: usize = 3;

fn spiking(tbptt: Option<usize>) -> ModelCfg {
    let snu = |units| {
        LayerCfg::Snu(SnuCfg {
            recurrent: true,
            trainable_decay: true,
            ..SnuCfg::snu(units)
        })
    };
    ModelCfg {
        tbptt,
        ..ModelCfg::new(
            3,
            vec![snu(5), snu(4), dense(3, Act::None)],
            Readout::Sum,
            Loss::SoftmaxCe,
        )
    }
}

fn soft(tbptt: Option<usize>) -> ModelCfg {
    let snu = |units, g| {
        LayerCfg::Snu(SnuCfg {
            g,
            recurrent: true,
            trainable_decay: true,
            ..SnuCfg::ssnu(units)
        })
    };
    ModelCfg {
        tbptt,
        ..ModelCfg::new(
            3,
            vec![snu(4, G::Relu), snu(3, G::Identity)],
            Readout::Sequence,
            Loss::Mse,
        )
    }
}

/// Engine gradients for the same weights and data under another `tbptt` setting.
fn engine_grads_with(run: &Run, cfg: &ModelCfg) -> Vec<(String, Vec<f64>)> {
    engine_grads_with_cfg(&run.net, cfg, &run.x, &run.target, run.steps, run.batch)
}

#[test]
fn a_window_of_t_or_more_steps_is_full_bptt() {
    for make in [spiking as fn(Option<usize>) -> ModelCfg, soft] {
        let run = (0..20)
            .find_map(|seed| prepare(&make(None), seed, STEPS, BATCH))
            .expect("a usable seed");
        let full = engine_grads_with(&run, &make(None));
        for k in [STEPS, STEPS + 1, 1000] {
            assert_eq!(engine_grads_with(&run, &make(Some(k))), full, "tbptt {k}");
        }
    }
}

#[test]
fn a_shorter_window_cuts_the_carried_gradient_as_the_reference_does() {
    for (label, make) in [
        ("spiking", spiking as fn(Option<usize>) -> ModelCfg),
        ("soft", soft),
    ] {
        for k in [1, 2, 3, 5] {
            let cfg = make(Some(k));
            let mut ran = 0;
            for seed in 0..10 {
                let Some(mut run) = prepare(&cfg, 500 + seed, STEPS, BATCH) else {
                    continue;
                };
                let what = format!("{label} tbptt {k} seed {seed}");
                run.net
                    .compute_gradients(&Batch::new(&run.x, &run.target, STEPS, BATCH))
                    .unwrap();
                let engine = engine_grads(&run.net);
                let (_, truncated) = run.reference.gradients(&run.trace, &run.target, Some(k));
                assert_grads_close(&engine, &truncated, 1e-4, &what);
                // ... and the cut matters: full BPTT is a different gradient.
                let (_, full) = run.reference.gradients(&run.trace, &run.target, None);
                let diff = relative_error(&engine, &full);
                assert!(
                    diff > 1e-2,
                    "{what}: truncated gradient equals full BPTT (relative difference {diff:.2e})"
                );
                ran += 1;
            }
            assert!(ran >= 4, "{label} tbptt {k}: only {ran} usable seeds");
        }
    }
}

/// A closed form, independent of the reference: with a window of 1 no gradient crosses steps,
/// so with a loss on the last step only (readout `last`) every gradient is that step's direct
/// term. For a 1-layer sSNU (relu g, MSE over n = 3 units, B = 2 rows):
/// ```text
/// dz_{b,j} = dL/dy_{T,b,j} * y (1 - y) = 2 (y - t) / (n B) * y (1 - y)
/// da_{b,j} = dz_{b,j} * [s_{T,b,j} > 0]
/// db_j = sum_b dz_{b,j},   dW_ij = sum_b x_{T,b,i} da_{b,j},   dH_ij = sum_b y_{T-1,b,i} da_{b,j}
/// ```
/// Full BPTT adds terms from earlier steps, so it differs.
#[test]
fn window_of_one_leaves_only_the_last_step() {
    let (steps, batch, n, m) = (4, 2, 3, 2);
    let snu = LayerCfg::Snu(SnuCfg {
        recurrent: true,
        ..SnuCfg::ssnu(n)
    });
    let cfg = ModelCfg {
        tbptt: Some(1),
        ..ModelCfg::new(m, vec![snu], Readout::Last, Loss::Mse)
    };
    let mut rng = Rng::new(9);
    let mut net = cfg.build();
    randomize_biases_and_decays(&mut net, &mut rng);
    let x = rng.vec(steps * batch * m, -1.0, 1.5);
    let target = cfg.random_target(&mut rng, steps, batch);
    net.compute_gradients(&Batch::new(&x, &target, steps, batch))
        .unwrap();
    let b = net.param("snu_0.b").unwrap().value.clone();
    let ys = net.layer_outputs()[0].to_vec();
    let y_at = |t: usize, bi: usize, j: usize| ys[(t * batch + bi) * n + j] as f64;
    let (mut db, mut dw, mut dh) = (vec![0.0; n], vec![0.0; m * n], vec![0.0; n * n]);
    for bi in 0..batch {
        for j in 0..n {
            let y = y_at(steps - 1, bi, j);
            let dz = 2.0 * (y - target[bi * n + j] as f64) / (n * batch) as f64 * y * (1.0 - y);
            // The state is observable through the sigmoid: s = logit(y) - b (0 for a silent relu).
            let s = (y / (1.0 - y)).ln() - b[j] as f64;
            assert!(
                s.abs() < 1e-5 || s > 1e-3,
                "s = {s} too close to the relu kink to classify"
            );
            let da = if s > 1e-3 { dz } else { 0.0 };
            db[j] += dz;
            for i in 0..m {
                dw[i * n + j] += x[((steps - 1) * batch + bi) * m + i] as f64 * da;
            }
            for i in 0..n {
                dh[i * n + j] += y_at(steps - 2, bi, i) * da;
            }
        }
    }
    for (name, want) in [("snu_0.b", &db), ("snu_0.W", &dw), ("snu_0.H", &dh)] {
        let got = net.grad(name).unwrap();
        for k in 0..want.len() {
            assert!(
                (got[k] as f64 - want[k]).abs() < 1e-6,
                "{name}[{k}]: {} vs {}",
                got[k],
                want[k]
            );
        }
    }
    assert!(dh.iter().any(|&v| v != 0.0), "the case must exercise H");
    let full = engine_grads_with_cfg(
        &net,
        &ModelCfg {
            tbptt: None,
            ..cfg.clone()
        },
        &x,
        &target,
        steps,
        batch,
    );
    assert!(
        relative_error(&full, &engine_grads(&net)) > 1e-2,
        "full BPTT should differ"
    );
}

fn engine_grads_with_cfg(
    from: &snu_core::Network,
    cfg: &ModelCfg,
    x: &[f32],
    target: &[f32],
    steps: usize,
    batch: usize,
) -> Vec<(String, Vec<f64>)> {
    let mut net = cfg.build();
    for p in from.params() {
        net.set_param(&p.name, &p.value).unwrap();
    }
    net.compute_gradients(&Batch::new(x, target, steps, batch))
        .unwrap();
    engine_grads(&net)
}
