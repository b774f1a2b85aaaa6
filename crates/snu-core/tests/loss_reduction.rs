//! `lossReduction: "sum"`: the gradient of the summed per-row losses is the mean's times the
//! rows that count (padded steps do not), by BPTT and by OSTL; the reported loss stays the mean.
//! OSTL's windows each sum their own rows, so their gradients add up to BPTT's sum exactly.

use snu_core::{Batch, Network, TrainingMethod};

const STEPS: usize = 7;
const BATCH: usize = 3;

fn spec(reduction: &str) -> String {
    format!(
        r#"{{"inputSize":4,"layers":[{{"type":"snu","units":6,"output":"sigmoid","g":{{"kind":"identity"}},"recurrent":true}},{{"type":"dense","units":3}}],
        "readout":"sequence","loss":{{"kind":"binaryCrossEntropy","fromLogits":true}},{reduction}"optimizer":{{"kind":"sgd","lr":0.1}},"seed":3}}"#
    )
}

fn grads(net: &Network) -> Vec<f32> {
    net.param_names()
        .iter()
        .flat_map(|n| net.grad(n).unwrap().to_vec())
        .collect()
}

#[test]
fn the_summed_loss_has_rows_times_the_mean_gradient() {
    let x: Vec<f32> = (0..STEPS * BATCH * 4)
        .map(|i| ((i * 7919) % 13) as f32 / 13.0)
        .collect();
    let y: Vec<f32> = (0..STEPS * BATCH * 3)
        .map(|i| ((i * 31) % 5 == 0) as u8 as f32)
        .collect();
    // Sample lengths 7, 4 and 2: 13 rows count of the 21.
    let mut mask = vec![0f32; STEPS * BATCH];
    for (b, len) in [7, 4, 2].into_iter().enumerate() {
        (0..len).for_each(|t| mask[t * BATCH + b] = 1.0);
    }
    let batch = Batch::new(&x, &y, STEPS, BATCH).with_mask(Some(&mask));
    for method in [
        TrainingMethod::Bptt,
        TrainingMethod::Ostl { update_every: None },
    ] {
        let mut mean = Network::from_json(&spec("")).unwrap();
        let mut sum = Network::from_json(&spec(r#""lossReduction":"sum","#)).unwrap();
        let (lm, ls) = match method {
            TrainingMethod::Bptt => (
                mean.compute_gradients(&batch).unwrap(),
                sum.compute_gradients(&batch).unwrap(),
            ),
            TrainingMethod::Ostl { update_every } => (
                mean.ostl_gradients(&batch, update_every).unwrap(),
                sum.ostl_gradients(&batch, update_every).unwrap(),
            ),
        };
        assert_eq!(
            lm, ls,
            "{method:?}: the reported loss is the mean either way"
        );
        let (gm, gs) = (grads(&mean), grads(&sum));
        assert!(gm.iter().any(|&g| g.abs() > 1e-4));
        for (a, b) in gm.iter().zip(&gs) {
            assert!(
                (a * 13.0 - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{method:?}: {b} is not 13 x {a}"
            );
        }
    }
}

#[test]
fn ostl_windows_sum_to_the_whole_sequence_sum() {
    let x: Vec<f32> = (0..STEPS * BATCH * 4)
        .map(|i| ((i * 104_729) % 11) as f32 / 11.0)
        .collect();
    let y: Vec<f32> = (0..STEPS * BATCH * 3)
        .map(|i| ((i * 17) % 4 == 0) as u8 as f32)
        .collect();
    let mut mask = vec![0f32; STEPS * BATCH];
    for (b, len) in [7, 5, 3].into_iter().enumerate() {
        (0..len).for_each(|t| mask[t * BATCH + b] = 1.0);
    }
    let batch = Batch::new(&x, &y, STEPS, BATCH).with_mask(Some(&mask));
    let mut net = Network::from_json(&spec(r#""lossReduction":"sum","#)).unwrap();
    net.compute_gradients(&batch).unwrap();
    let bptt = grads(&net);
    for k in [1, 3, 4] {
        net.ostl_gradients(&batch, Some(k)).unwrap();
        for (a, b) in grads(&net).iter().zip(&bptt) {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                "windows of {k}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn a_bad_reduction_is_refused_and_the_default_is_not_written() {
    let e = Network::from_json(&spec(r#""lossReduction":"median","#))
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("lossReduction") && e.contains("median"), "{e}");
    let mean = Network::from_json(&spec("")).unwrap();
    assert!(!serde_json::to_string(&mean.spec)
        .unwrap()
        .contains("lossReduction"));
    let sum = Network::from_json(&spec(r#""lossReduction":"sum","#)).unwrap();
    assert!(serde_json::to_string(&sum.spec)
        .unwrap()
        .contains(r#""lossReduction":"sum""#));
}
