//! Carried state across calls (truncated BPTT over consecutive windows of long sequences):
//! windows continue exactly where the previous one stopped, and the gradient of a window is
//! that of its own loss with the carried state held fixed.
mod common;

use common::*;
use snu_core::Batch;
use snu_core::Network;

/// Rows `t0..t1` of a time-major `[T, B, w]` array.
fn steps_of(v: &[f32], t0: usize, t1: usize, batch: usize, w: usize) -> Vec<f32> {
    v[t0 * batch * w..t1 * batch * w].to_vec()
}

fn cfg() -> ModelCfg {
    let rec = SnuCfg {
        recurrent: true,
        trainable_decay: true,
        ..SnuCfg::snu(16)
    };
    let soft = SnuCfg {
        recurrent: true,
        trainable_decay: true,
        g: G::Identity,
        ..SnuCfg::ssnu(7)
    };
    ModelCfg::new(
        5,
        vec![LayerCfg::Snu(rec), LayerCfg::Snu(soft), dense(3, Act::None)],
        Readout::Sequence,
        Loss::Mse,
    )
}

#[test]
fn consecutive_windows_continue_one_long_sequence() {
    let (steps, batch, w) = (12, 3, 5);
    let mut rng = Rng::new(4);
    let x = rng.vec(steps * batch * w, 0.0, 1.2);
    let mut whole = cfg().build();
    randomize_biases_and_decays(&mut whole, &mut rng);
    let params: Vec<(String, Vec<f32>)> = whole
        .param_names()
        .into_iter()
        .map(|n| (n.clone(), whole.param(&n).unwrap().value.clone()))
        .collect();
    let full = whole
        .forward(&Batch::inputs(&x, steps, batch))
        .unwrap()
        .to_vec();
    let full_layers = whole.layer_outputs();

    let mut windowed = cfg().build();
    params
        .iter()
        .for_each(|(n, v)| windowed.set_param(n, v).unwrap());
    windowed.set_carry_state(true);
    let n_out = 3;
    for (t0, t1) in [(0, 4), (4, 9), (9, 12)] {
        let out = windowed
            .forward(&Batch::inputs(
                &steps_of(&x, t0, t1, batch, w),
                t1 - t0,
                batch,
            ))
            .unwrap()
            .to_vec();
        let want = steps_of(&full, t0, t1, batch, n_out);
        out.iter().zip(&want).for_each(|(a, b)| {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "steps {t0}..{t1}: {a} vs {b}"
            )
        });
        // The spiking layer's spikes are the same spikes.
        assert_eq!(
            windowed.layer_outputs()[0],
            steps_of(&full_layers[0], t0, t1, batch, 16),
            "steps {t0}..{t1}: spikes differ"
        );
    }
    assert!(
        full_layers[0].contains(&1.0),
        "the spiking layer never spiked; the case tests little"
    );

    // Without carrying, the second window starts from zero and differs.
    windowed.set_carry_state(false);
    windowed
        .forward(&Batch::inputs(&steps_of(&x, 0, 4, batch, w), 4, batch))
        .unwrap();
    let fresh = windowed
        .forward(&Batch::inputs(&steps_of(&x, 4, 9, batch, w), 5, batch))
        .unwrap()
        .to_vec();
    assert!(fresh
        .iter()
        .zip(&steps_of(&full, 4, 9, batch, n_out))
        .any(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn a_windows_gradient_holds_the_carried_state_fixed() {
    // Smooth model (sSNU with identity g) so that finite differences are meaningful.
    let soft = |u| {
        LayerCfg::Snu(SnuCfg {
            recurrent: true,
            trainable_decay: true,
            g: G::Identity,
            ..SnuCfg::ssnu(u)
        })
    };
    let cfg = ModelCfg::new(
        4,
        vec![soft(6), soft(5), dense(2, Act::None)],
        Readout::Sequence,
        Loss::Mse,
    );
    let (batch, w) = (2, 4);
    let mut rng = Rng::new(8);
    let x1 = rng.vec(5 * batch * w, 0.0, 1.5);
    let x2 = rng.vec(4 * batch * w, 0.0, 1.5);
    let y2 = cfg.random_target(&mut rng, 4, batch);
    let mut net = cfg.build();
    randomize_biases_and_decays(&mut net, &mut rng);
    net.set_carry_state(true);
    // The loss of window 2 after window 1 ran with the parameters `first`.
    let window2 = |net: &mut Network,
                   first: &[(String, Vec<f32>)],
                   name: &str,
                   value: &[f32],
                   grads: bool|
     -> f64 {
        net.reset_state();
        first.iter().for_each(|(n, v)| net.set_param(n, v).unwrap());
        net.forward(&Batch::inputs(&x1, 5, batch)).unwrap();
        net.set_param(name, value).unwrap();
        if grads {
            net.compute_gradients(&Batch::new(&x2, &y2, 4, batch))
                .unwrap()
        } else {
            net.loss(&Batch::new(&x2, &y2, 4, batch)).unwrap()
        }
    };
    let first: Vec<(String, Vec<f32>)> = net
        .param_names()
        .into_iter()
        .map(|n| (n.clone(), net.param(&n).unwrap().value.clone()))
        .collect();
    let (n0, v0) = first[0].clone();
    window2(&mut net, &first, &n0, &v0, true);
    let engine = engine_grads(&net);
    let h = 1e-2f32;
    let mut fd = vec![];
    for (name, value) in &first {
        let mut g = vec![];
        for i in 0..value.len() {
            let mut v = value.clone();
            v[i] += h;
            let up = window2(&mut net, &first, name, &v, false);
            v[i] -= 2.0 * h;
            let down = window2(&mut net, &first, name, &v, false);
            g.push((up - down) / (2.0 * h as f64));
        }
        fd.push((name.clone(), g));
    }
    // Bounds as in embedding.rs (smooth model, h = 1e-2).
    assert_grads_close(&engine, &fd, 1e-2, "window 2 after a carried window 1");
    // The carried state matters: the decay gradient includes the s_0 term.
    let decay = lookup(&engine, "snu_0.decay");
    assert!(decay.iter().any(|g| g.abs() > 1e-4), "{decay:?}");
}

#[test]
fn a_different_batch_size_needs_a_reset() {
    let mut net = cfg().build();
    net.set_carry_state(true);
    net.forward(&Batch::inputs(&[0.5; 4 * 3 * 5], 4, 3))
        .unwrap();
    let err = net
        .forward(&Batch::inputs(&[0.5; 4 * 2 * 5], 4, 2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("carries the state of a batch of 3") && err.contains("resetState"),
        "{err}"
    );
    net.reset_state();
    net.forward(&Batch::inputs(&[0.5; 4 * 2 * 5], 4, 2))
        .unwrap();
}
