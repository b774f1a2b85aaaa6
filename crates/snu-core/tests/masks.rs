//! Batches of sequences of different length: a padded step changes neither the loss nor any
//! gradient, and a masked batch equals its samples run alone at their own lengths.
mod common;

use common::*;
use snu_core::{Batch, Network};

const LENGTHS: [usize; 3] = [5, 2, 7];
const STEPS: usize = 7;

fn configs() -> Vec<(&'static str, ModelCfg)> {
    let recurrent = SnuCfg {
        recurrent: true,
        trainable_decay: true,
        ..SnuCfg::snu(12)
    };
    let soft = SnuCfg {
        recurrent: true,
        ..SnuCfg::ssnu(9)
    };
    let layers = || {
        vec![
            LayerCfg::Snu(recurrent.clone()),
            LayerCfg::Snu(soft.clone()),
            dense(4, Act::None),
        ]
    };
    vec![
        (
            "sum readout",
            ModelCfg::new(6, layers(), Readout::Sum, Loss::SoftmaxCe),
        ),
        (
            "mean readout",
            ModelCfg::new(6, layers(), Readout::Mean, Loss::Mse),
        ),
        (
            "last readout",
            ModelCfg::new(6, layers(), Readout::Last, Loss::SoftmaxCe),
        ),
        (
            "sequence readout",
            ModelCfg::new(6, layers(), Readout::Sequence, Loss::BceLogits),
        ),
        (
            "lstm, gru, rnn, last readout",
            ModelCfg::new(
                6,
                vec![
                    gated(Gate::Lstm, 8),
                    gated(Gate::Gru, 5),
                    gated(Gate::Rnn, 4),
                    dense(4, Act::None),
                ],
                Readout::Last,
                Loss::SoftmaxCe,
            ),
        ),
    ]
}

/// Sample `b` of a time-major `[T, B, w]` array as its own `[len, 1, w]` sequence.
fn sample(v: &[f32], b: usize, batch: usize, w: usize, len: usize) -> Vec<f32> {
    (0..len)
        .flat_map(|t| v[(t * batch + b) * w..(t * batch + b + 1) * w].to_vec())
        .collect()
}

fn mask() -> Vec<f32> {
    (0..STEPS * LENGTHS.len())
        .map(|r| (r / LENGTHS.len() < LENGTHS[r % LENGTHS.len()]) as u8 as f32)
        .collect()
}

fn grads_of(
    net: &mut Network,
    x: &[f32],
    y: &[f32],
    mask: Option<&[f32]>,
    steps: usize,
    batch: usize,
) -> (f64, Vec<(String, Vec<f64>)>) {
    let loss = net
        .compute_gradients(&Batch::new(x, y, steps, batch).with_mask(mask))
        .unwrap();
    (loss, engine_grads(net))
}

#[test]
fn padded_steps_change_neither_loss_nor_gradients() {
    let batch = LENGTHS.len();
    for (name, cfg) in configs() {
        let mut rng = Rng::new(5);
        let mut net = cfg.build();
        randomize_biases_and_decays(&mut net, &mut rng);
        let x = rng.vec(STEPS * batch * cfg.input_size, 0.0, 1.5);
        let y = cfg.random_target(&mut rng, STEPS, batch);
        let m = mask();
        let (loss, grads) = grads_of(&mut net, &x, &y, Some(&m), STEPS, batch);
        // New values in every padded step, input and target: nothing may change.
        let (mut x2, mut y2) = (x.clone(), y.clone());
        let (w, n) = (cfg.input_size, cfg.outputs());
        for r in (0..STEPS * batch).filter(|&r| m[r] == 0.0) {
            x2[r * w..(r + 1) * w]
                .iter_mut()
                .for_each(|v| *v = rng.range(-3.0, 3.0) as f32);
            if cfg.readout == Readout::Sequence {
                y2[r * n..(r + 1) * n]
                    .iter_mut()
                    .for_each(|v| *v = 1.0 - *v);
            }
        }
        let (loss2, grads2) = grads_of(&mut net, &x2, &y2, Some(&m), STEPS, batch);
        assert_eq!(loss, loss2, "{name}: loss changed with the padding");
        assert_eq!(grads, grads2, "{name}: a gradient changed with the padding");
    }
}

#[test]
fn a_masked_batch_equals_its_samples_run_alone() {
    let batch = LENGTHS.len();
    for (name, cfg) in configs() {
        let mut rng = Rng::new(9);
        let mut net = cfg.build();
        randomize_biases_and_decays(&mut net, &mut rng);
        let (w, n) = (cfg.input_size, cfg.outputs());
        let x = rng.vec(STEPS * batch * w, 0.0, 1.5);
        let y = cfg.random_target(&mut rng, STEPS, batch);
        let (loss, grads) = grads_of(&mut net, &x, &y, Some(&mask()), STEPS, batch);
        // The batch loss is the mean over samples (over real steps for the sequence readout),
        // so its gradient is the same weighted mean of the samples' own gradients.
        let per_step = cfg.readout == Readout::Sequence;
        let weights: Vec<f64> = LENGTHS
            .iter()
            .map(|&l| if per_step { l as f64 } else { 1.0 })
            .collect();
        let total: f64 = weights.iter().sum();
        let (mut want_loss, mut want): (f64, Vec<(String, Vec<f64>)>) = (0.0, vec![]);
        for (b, &len) in LENGTHS.iter().enumerate() {
            let xb = sample(&x, b, batch, w, len);
            let yb = if per_step {
                sample(&y, b, batch, n, len)
            } else {
                y[b * n..(b + 1) * n].to_vec()
            };
            let (l, g) = grads_of(&mut net, &xb, &yb, None, len, 1);
            let k = weights[b] / total;
            want_loss += k * l;
            if want.is_empty() {
                want = g
                    .iter()
                    .map(|(name, v)| (name.clone(), vec![0.0; v.len()]))
                    .collect();
            }
            for ((_, acc), (_, v)) in want.iter_mut().zip(&g) {
                acc.iter_mut().zip(v).for_each(|(a, v)| *a += k * v);
            }
        }
        assert!(
            (loss - want_loss).abs() <= 1e-5 * want_loss.abs().max(1e-3),
            "{name}: loss {loss} vs {want_loss}"
        );
        assert_grads_close(&grads, &want, 1e-4, name);
    }
}

#[test]
fn bad_masks_are_refused_with_the_reason() {
    let cfg = ModelCfg::new(
        3,
        vec![LayerCfg::Snu(SnuCfg::snu(4))],
        Readout::Sum,
        Loss::Mse,
    );
    let mut net = cfg.build();
    let (steps, batch) = (3, 2);
    let x = vec![0.5f32; steps * batch * 3];
    let y = vec![0f32; batch * 4];
    let cases: [(&[f32], &str); 4] = [
        (&[1.0, 1.0, 0.0, 1.0, 1.0, 0.0], "real step at step 2"),
        (&[1.0, 0.0, 1.0, 0.0, 1.0, 0.0], "sample 1 has no real step"),
        (
            &[1.0, 0.5, 1.0, 1.0, 0.0, 0.0],
            "value at step 0, sample 1 is 0.5",
        ),
        (&[1.0, 1.0], "mask: expected 6 values"),
    ];
    for (m, want) in cases {
        let err = net
            .train_step(&Batch::new(&x, &y, steps, batch).with_mask(Some(m)))
            .map(|r| r.loss)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(want),
            "mask {m:?}: error {err:?} does not say {want:?}"
        );
    }
}
