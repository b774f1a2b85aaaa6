//! Accuracy counts of the last forward pass (`Network::last_correct`): checked against the
//! argmax of the output read through the public API, with padded steps left out, and for a
//! training step against the output before the update.
mod common;

use common::Rng;
use snu_core::network::Correct;
use snu_core::Batch;
use snu_core::Network;

const N: usize = 4;

fn spec(loss: &str, readout: &str) -> String {
    format!(
        r#"{{"inputSize":3,"layers":[
            {{"type":"snu","units":6,"output":"sigmoid","g":{{"kind":"identity"}}}},
            {{"type":"dense","units":{N}}}],
          "readout":"{readout}","loss":{{"kind":"{loss}"}},"optimizer":{{"kind":"sgd","lr":0.5}},"seed":7}}"#
    )
}

/// The counts written out plainly: argmax per row, first index on ties, rows past a sample's
/// length skipped.
fn expected(out: &[f32], want: impl Fn(usize) -> usize, lengths: Option<&[usize]>) -> Correct {
    let mut c = Correct {
        correct: 0,
        rows: 0,
    };
    for r in 0..out.len() / N {
        if let Some(l) = lengths {
            if r / l.len() >= l[r % l.len()] {
                continue;
            }
        }
        let row = &out[r * N..(r + 1) * N];
        let mut best = 0;
        for i in 1..N {
            if row[i] > row[best] {
                best = i;
            }
        }
        c.rows += 1;
        c.correct += usize::from(best == want(r));
    }
    c
}

#[test]
fn sparse_targets_per_step_with_padding() {
    let (steps, batch) = (5, 3);
    let mut rng = Rng::new(1);
    let x = rng.vec(steps * batch * 3, -2.0, 2.0);
    let y: Vec<f32> = (0..steps * batch).map(|_| rng.below(N) as f32).collect();
    // Sample lengths 5, 2, 4.
    let lengths = [5usize, 2, 4];
    let mask: Vec<f32> = (0..steps * batch)
        .map(|r| f32::from(u8::from(r / batch < lengths[r % batch])))
        .collect();
    let mut net = Network::from_json(&spec("sparseSoftmaxCrossEntropy", "sequence")).unwrap();
    let out = net
        .forward(&Batch::inputs(&x, steps, batch).with_mask(Some(&mask)))
        .unwrap()
        .to_vec();
    let want = expected(&out, |r| y[r] as usize, Some(&lengths));
    assert_eq!(want.rows, 11);
    assert!(
        want.correct > 0 && want.correct < want.rows,
        "a case that tests little: {want:?}"
    );
    assert_eq!(net.last_correct(&y).unwrap(), Some(want));
}

#[test]
fn one_hot_targets_after_a_training_step_count_the_output_before_the_update() {
    let (steps, batch) = (4, 16);
    let mut rng = Rng::new(2);
    let x = rng.vec(steps * batch * 3, -2.0, 2.0);
    let classes: Vec<usize> = (0..batch).map(|_| rng.below(N)).collect();
    let mut y = vec![0.0f32; batch * N];
    classes
        .iter()
        .enumerate()
        .for_each(|(b, &k)| y[b * N + k] = 1.0);
    // Two nets with the same seed: one shows the output before the step, the other steps.
    let mut net = Network::from_json(&spec("softmaxCrossEntropy", "sum")).unwrap();
    let before = net
        .forward(&Batch::inputs(&x, steps, batch))
        .unwrap()
        .to_vec();
    let mut stepped = Network::from_json(&spec("softmaxCrossEntropy", "sum")).unwrap();
    stepped
        .train_step(&Batch::new(&x, &y, steps, batch))
        .map(|r| r.loss)
        .unwrap();
    let want = expected(&before, |b| classes[b], None);
    assert!(
        want.correct > 0 && want.correct < want.rows,
        "a case that tests little: {want:?}"
    );
    assert_eq!(stepped.last_correct(&y).unwrap(), Some(want));
    // The step changed the output, so counting after it would be a different figure.
    assert_ne!(
        stepped.forward(&Batch::inputs(&x, steps, batch)).unwrap(),
        before.as_slice()
    );
}

#[test]
fn other_losses_count_nothing_and_bad_targets_are_refused() {
    let fresh = Network::from_json(&spec("softmaxCrossEntropy", "sum")).unwrap();
    let err = fresh.last_correct(&[0.0; N]).unwrap_err().to_string();
    assert!(err.contains("no forward pass yet"), "{err}");
    let mut net = Network::from_json(&spec("mse", "sum")).unwrap();
    net.forward(&Batch::inputs(&[0.5; 6], 2, 1)).unwrap();
    assert_eq!(net.last_correct(&[0.0; N]).unwrap(), None);

    let mut net = Network::from_json(&spec("sparseSoftmaxCrossEntropy", "sequence")).unwrap();
    net.forward(&Batch::inputs(&[0.5; 6], 2, 1)).unwrap();
    for (y, want) in [
        (vec![1.0], "expected 2 values"),
        (vec![1.0, 4.0], "value at index 1 is 4"),
        (vec![f32::NAN, 0.0], "value at index 0 is NaN"),
        (vec![0.5, 0.0], "value at index 0 is 0.5"),
    ] {
        let err = net.last_correct(&y).unwrap_err().to_string();
        assert!(err.contains(want), "{err} does not say {want}");
    }
}
