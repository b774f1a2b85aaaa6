//! Input dropout: the gradient of a training pass is the gradient of the loss with the same
//! masks (checked against finite differences), prediction never drops, and the masks follow
//! the seed.
mod common;

use common::Rng;
use snu_core::Batch;
use snu_core::Network;

/// 6 inputs -> sSNU 5 (identity g: smooth) -> dense 4, dropout 0.4 on both layers' inputs.
fn spec(dropout: f32) -> String {
    format!(
        r#"{{"inputSize":6,"layers":[
            {{"type":"snu","units":5,"output":"sigmoid","g":{{"kind":"identity"}},"recurrent":true,"dropout":{dropout}}},
            {{"type":"dense","units":4,"dropout":{dropout}}}],
          "readout":"mean","loss":{{"kind":"softmaxCrossEntropy"}},"optimizer":{{"kind":"sgd","lr":0.1}},"seed":3}}"#
    )
}

fn batch(rng: &mut Rng, steps: usize, b: usize) -> (Vec<f32>, Vec<f32>) {
    let x = rng.vec(steps * b * 6, -1.0, 1.0);
    let mut y = vec![0f32; b * 4];
    for r in 0..b {
        y[r * 4 + rng.below(4)] = 1.0;
    }
    (x, y)
}

/// The loss of a training pass whose masks start from `seed`.
fn training_loss(
    net: &mut Network,
    seed: u64,
    x: &[f32],
    y: &[f32],
    steps: usize,
    b: usize,
) -> f64 {
    net.set_dropout_seed(seed);
    net.compute_gradients(&Batch::new(x, y, steps, b)).unwrap()
}

#[test]
fn the_gradient_with_dropout_is_the_gradient_of_the_loss_with_those_masks() {
    let mut net = Network::from_json(&spec(0.4)).unwrap();
    let mut rng = Rng::new(11);
    let (steps, b) = (4, 3);
    let (x, y) = batch(&mut rng, steps, b);
    training_loss(&mut net, 99, &x, &y, steps, b);
    let grads: Vec<(String, Vec<f32>)> = net
        .param_names()
        .into_iter()
        .map(|n| (n.clone(), net.grad(&n).unwrap().to_vec()))
        .collect();
    let h = 1e-2f32;
    for (name, g) in grads {
        let value = net.param(&name).unwrap().value.clone();
        let mut fds = vec![];
        for i in 0..value.len() {
            let mut v = value.clone();
            v[i] = value[i] + h;
            net.set_param(&name, &v).unwrap();
            let up = training_loss(&mut net, 99, &x, &y, steps, b);
            v[i] = value[i] - h;
            net.set_param(&name, &v).unwrap();
            let down = training_loss(&mut net, 99, &x, &y, steps, b);
            fds.push((up - down) / (2.0 * h as f64));
        }
        net.set_param(&name, &value).unwrap();
        let (mut diff, mut norm) = (0.0, 0.0);
        for (fd, g) in fds.iter().zip(&g) {
            assert!(
                (fd - *g as f64).abs() <= 1e-4 + 1e-2 * fd.abs(),
                "{name}: finite difference {fd}, gradient {g}"
            );
            diff += (fd - *g as f64).powi(2);
            norm += fd * fd;
        }
        assert!(
            norm > 0.0 && (diff / norm).sqrt() < 1e-2,
            "{name}: relative error {}",
            (diff / norm).sqrt()
        );
    }
}

#[test]
fn dropout_applies_only_while_training_and_follows_the_seed() {
    let mut rng = Rng::new(12);
    let (steps, b) = (5, 4);
    let (x, y) = batch(&mut rng, steps, b);
    let mut with = Network::from_json(&spec(0.5)).unwrap();
    let mut without = Network::from_json(&spec(0.0)).unwrap();
    // Same seed, same weights: prediction and evaluation ignore dropout.
    assert_eq!(
        with.forward(&Batch::inputs(&x, steps, b)).unwrap(),
        without.forward(&Batch::inputs(&x, steps, b)).unwrap()
    );
    assert_eq!(
        with.loss(&Batch::new(&x, &y, steps, b)).unwrap(),
        without.loss(&Batch::new(&x, &y, steps, b)).unwrap()
    );
    // A training pass drops inputs: its loss differs; the same seed repeats it, another does not.
    let clean = without
        .compute_gradients(&Batch::new(&x, &y, steps, b))
        .unwrap();
    let a = training_loss(&mut with, 1, &x, &y, steps, b);
    let again = training_loss(&mut with, 1, &x, &y, steps, b);
    let other = training_loss(&mut with, 2, &x, &y, steps, b);
    assert_ne!(a, clean);
    assert_eq!(a, again);
    assert_ne!(a, other);
}

#[test]
fn a_dropout_probability_outside_zero_to_one_is_refused() {
    for bad in ["1", "-0.1", "1.5"] {
        let err = Network::from_json(&spec(0.0).replacen(
            r#""dropout":0"#,
            &format!(r#""dropout":{bad}"#),
            1,
        ))
        .err()
        .unwrap();
        assert!(err.to_string().contains("layers[0].dropout"), "{err}");
    }
}
