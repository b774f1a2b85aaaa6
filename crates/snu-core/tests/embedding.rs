//! The language-model layers: an embedding, a softmax over the vocabulary at every step
//! (sparse class-id targets) and weight tying, checked against finite differences.
mod common;

use common::Rng;
use snu_core::Batch;
use snu_core::Network;

const VOCAB: usize = 7;

/// embedding(7 -> 5) -> recurrent sSNU (identity g: no kinks for the difference quotient) ->
/// dense(7), tied to the embedding or with its own W.
fn spec(tied: bool) -> String {
    let tie = if tied { r#","tiedTo":"words""# } else { "" };
    format!(
        r#"{{"inputSize":1,"layers":[
            {{"type":"embedding","name":"words","vocabSize":{VOCAB},"units":5}},
            {{"type":"snu","units":5,"output":"sigmoid","g":{{"kind":"identity"}},"recurrent":true,"trainableDecay":true}},
            {{"type":"dense","units":{VOCAB}{tie}}}],
          "readout":"sequence","loss":{{"kind":"sparseSoftmaxCrossEntropy"}},"optimizer":{{"kind":"sgd","lr":0.1}},"seed":4}}"#
    )
}

fn ids(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.below(VOCAB) as f32).collect()
}

/// Every gradient element against the central difference of the f32 loss. The model is smooth
/// (sigmoid outputs, identity g), so h = 1e-2 keeps the truncation error (h^2 times the third
/// derivative) far below the rounding noise of the f32 loss (about 1e-7 |L| / h = 2e-5 here).
/// Bounds: per element |fd - g| <= 1e-4 + 1e-2 |fd|; per tensor ||fd - g|| / ||fd|| < 1e-2. A
/// wrong term (a missing transpose, a gradient not added to the shared matrix) is off by the
/// size of the gradient itself.
fn check_against_finite_differences(
    net: &mut Network,
    x: &[f32],
    y: &[f32],
    steps: usize,
    batch: usize,
) -> usize {
    net.compute_gradients(&Batch::new(x, y, steps, batch))
        .unwrap();
    let h = 1e-2f32;
    let mut checked = 0;
    for name in net.param_names() {
        let g = net.grad(&name).unwrap().to_vec();
        let value = net.param(&name).unwrap().value.clone();
        let mut fds = vec![];
        for i in 0..value.len() {
            let mut v = value.clone();
            v[i] = value[i] + h;
            net.set_param(&name, &v).unwrap();
            let up = net.loss(&Batch::new(x, y, steps, batch)).unwrap();
            v[i] = value[i] - h;
            net.set_param(&name, &v).unwrap();
            let down = net.loss(&Batch::new(x, y, steps, batch)).unwrap();
            fds.push((up - down) / (2.0 * h as f64));
        }
        net.set_param(&name, &value).unwrap();
        for (i, (fd, g)) in fds.iter().zip(&g).enumerate() {
            assert!(
                (fd - *g as f64).abs() <= 1e-4 + 1e-2 * fd.abs(),
                "{name}[{i}]: fd {fd} vs engine {g}"
            );
            checked += 1;
        }
        let err: f64 = fds
            .iter()
            .zip(&g)
            .map(|(f, g)| (f - *g as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let norm: f64 = fds.iter().map(|f| f * f).sum::<f64>().sqrt();
        assert!(norm > 1e-3, "{name}: gradient too small to test ({norm})");
        assert!(err / norm < 1e-2, "{name}: relative error {}", err / norm);
    }
    checked
}

#[test]
fn embedding_and_tied_softmax_gradients_match_finite_differences() {
    for tied in [false, true] {
        let mut net = Network::from_json(&spec(tied)).unwrap();
        // Bias 0 and embeddings of order 1 put the sigmoid units where the gradients are large.
        let mut rng = Rng::new(21);
        net.set_param("snu_1.b", &[0.0; 5]).unwrap();
        net.set_param("words.E", &rng.vec(VOCAB * 5, -1.5, 1.5))
            .unwrap();
        let names = net.param_names();
        assert_eq!(
            names.iter().any(|n| n == "dense_2.W"),
            !tied,
            "tied: the dense layer must have no W of its own: {names:?}"
        );
        let (steps, batch) = (6, 3);
        let x = ids(&mut rng, steps * batch);
        let y = ids(&mut rng, steps * batch);
        let checked = check_against_finite_differences(&mut net, &x, &y, steps, batch);
        assert!(checked > 100, "only {checked} elements checked");
    }
}

#[test]
fn a_tied_layer_reads_the_embedding_matrix_transposed() {
    let mut net = Network::from_json(&spec(true)).unwrap();
    let mut rng = Rng::new(2);
    let x = ids(&mut rng, 4);
    let before = net.forward(&Batch::inputs(&x, 4, 1)).unwrap().to_vec();
    // Zero the embedding row of word 3: the tied output for word 3 loses its input term,
    // so logit 3 becomes the bias (0 at initialisation) at every step.
    let mut e = net.param("words.E").unwrap().value.clone();
    e[3 * 5..4 * 5].fill(0.0);
    net.set_param("words.E", &e).unwrap();
    let after = net.forward(&Batch::inputs(&x, 4, 1)).unwrap().to_vec();
    for t in 0..4 {
        assert_eq!(after[t * VOCAB + 3], 0.0, "step {t}");
        assert_ne!(before[t * VOCAB + 3], 0.0, "step {t}");
    }
}

#[test]
fn a_tied_layer_after_spikes_reads_each_new_input() {
    // A spiking layer feeds the tied layer bits; a second call must not reuse the first's.
    let spec = spec(true).replace(
        r#""output":"sigmoid","g":{"kind":"identity"},"#,
        r#""initialBias":-0.05,"#,
    );
    let mut rng = Rng::new(6);
    let mut net = Network::from_json(&spec).unwrap();
    net.set_param("words.E", &rng.vec(VOCAB * 5, -1.5, 1.5))
        .unwrap();
    let (a, b) = (ids(&mut rng, 6), ids(&mut rng, 6));
    let first = net.forward(&Batch::inputs(&a, 3, 2)).unwrap().to_vec();
    let second = net.forward(&Batch::inputs(&b, 3, 2)).unwrap().to_vec();
    assert!(
        net.layer_outputs()[1].contains(&1.0),
        "the spiking layer never spiked; the case tests little"
    );
    assert_eq!(
        net.forward(&Batch::inputs(&a, 3, 2)).unwrap(),
        first.as_slice()
    );
    let mut fresh = Network::from_json(&spec).unwrap();
    fresh
        .set_param("words.E", &net.param("words.E").unwrap().value.clone())
        .unwrap();
    assert_eq!(
        fresh.forward(&Batch::inputs(&b, 3, 2)).unwrap(),
        second.as_slice()
    );
}

#[test]
fn bad_token_ids_and_bad_tying_are_refused() {
    let mut net = Network::from_json(&spec(true)).unwrap();
    for (x, want) in [
        (vec![1.0, 7.0], "value at index 1 is 7"),
        (vec![0.5, 1.0], "value at index 0 is 0.5"),
        (vec![-1.0, 1.0], "value at index 0 is -1"),
    ] {
        let err = net
            .forward(&Batch::inputs(&x, 2, 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want) && err.contains("token ids"), "{err}");
    }
    let y = vec![0.0, 9.0];
    let err = net
        .train_step(&Batch::new(&[1.0, 2.0], &y, 2, 1))
        .map(|r| r.loss)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("value at index 1 is 9") && err.contains("class ids"),
        "{err}"
    );
    let bad = [
        (
            spec(true).replace(r#""tiedTo":"words""#, r#""tiedTo":"nope""#),
            "no embedding layer named \"nope\"",
        ),
        (
            spec(true).replace(r#""units":5,"output""#, r#""units":6,"output""#),
            "needs 5 inputs and 7 units; it has 6 inputs",
        ),
        (
            spec(false).replace(r#""inputSize":1"#, r#""inputSize":2"#),
            "inputSize must be 1",
        ),
    ];
    for (json, want) in bad {
        let err = Network::from_json(&json)
            .err()
            .expect("spec accepted")
            .to_string();
        assert!(err.contains(want), "{err} does not say {want}");
    }
}

#[test]
fn init_range_sets_the_spread_of_the_initial_embedding() {
    // Uniform in [-r, r]: every value inside, the largest near r (10,000 draws), the variance r^2/3.
    let big = |r: &str| {
        spec(false)
            .replace(
                r#""vocabSize":7,"units":5"#,
                r#""vocabSize":2000,"units":5"#,
            )
            .replace(r#""units":7"#, r#""units":2000"#)
            .replace(r#""units":5}"#, &format!(r#""units":5,"initRange":{r}}}"#))
    };
    for (json, r) in [(big("1.5"), 1.5f32), (spec(false), 0.1)] {
        let net = Network::from_json(&json).unwrap();
        let e = &net.param("words.E").unwrap().value;
        let max = e.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(max <= r && max > 0.95 * r, "range {r}: max |E| = {max}");
        let var = e.iter().map(|v| (v * v) as f64).sum::<f64>() / e.len() as f64;
        let want = (r * r / 3.0) as f64;
        // 4 standard errors of the mean of v^2 (its sd is r^2 * 0.298 for a uniform).
        let tol = 4.0 * (r * r) as f64 * 0.298 / (e.len() as f64).sqrt();
        assert!(
            (var - want).abs() < tol,
            "range {r}: variance {var}, want {want} +- {tol}"
        );
    }
    for bad in ["0", "-1", "1000"] {
        let err = Network::from_json(&big(bad))
            .err()
            .expect("accepted")
            .to_string();
        assert!(err.contains("initRange"), "{err}");
    }
}
