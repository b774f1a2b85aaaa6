//! The gradients the Rust core computes for a few fixed networks, stored in
//! `fixtures/api_gradients.json`. The ava test `__test__/gradients.test.ts` checks that the
//! TypeScript API (through the binding) returns the same numbers; this test checks that
//! the file is what the core computes now. Regenerate with `SNU_UPDATE_FIXTURES=1 cargo test`.

use serde_json::{json, Value};
use snu_core::Batch;
use snu_core::Network;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/api_gradients.json"
);

fn specs() -> Vec<Value> {
    vec![
        json!({"inputSize":3,"layers":[{"type":"snu","units":4,"output":"sigmoid","recurrent":true,"trainableDecay":true},
               {"type":"dense","units":2,"activation":"tanh"}],"readout":"mean","loss":{"kind":"softmaxCrossEntropy"},"seed":7}),
        json!({"inputSize":4,"layers":[{"type":"snu","units":5,"initialBias":-0.3,"surrogate":{"kind":"fastSigmoid","slope":5.0}},
               {"type":"snu","units":3,"output":"sigmoid","lateralInhibition":true}],
               "readout":"sequence","loss":{"kind":"binaryCrossEntropy","fromLogits":false},"seed":8}),
    ]
}

/// Deterministic inputs in [0, 1) and 0/1 targets.
fn data(len: usize, salt: f32) -> Vec<f32> {
    (0..len)
        .map(|i| ((i as f32 * 0.618_034 + salt).sin() * 0.5 + 0.5).fract())
        .collect()
}

fn compute() -> Value {
    let (steps, batch) = (5usize, 2usize);
    let cases: Vec<Value> = specs()
        .into_iter()
        .map(|spec| {
            let mut net = Network::from_json(&spec.to_string()).unwrap();
            let canonical: Value = serde_json::from_str(&net.spec.to_json()).unwrap();
            let x = data(steps * batch * net.spec.input_size, 0.3);
            let rows = net.output_rows(steps, batch);
            let y: Vec<f32> = data(rows * net.output_size(), 1.7).iter().map(|v| (*v > 0.5) as u8 as f32).collect();
            let loss = net.compute_gradients(&Batch::new(&x, &y, steps, batch)).unwrap();
            let grads: serde_json::Map<String, Value> =
                net.param_names().into_iter().map(|n| (n.clone(), json!(net.grad(&n).unwrap()))).collect();
            json!({"spec": canonical, "steps": steps, "batch": batch, "x": x, "y": y, "loss": loss, "gradients": grads})
        })
        .collect();
    Value::Array(cases)
}

#[test]
fn fixture_holds_the_gradients_the_core_computes() {
    let now = compute();
    if std::env::var_os("SNU_UPDATE_FIXTURES").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&now).unwrap()).unwrap();
    }
    let stored: Value = serde_json::from_str(
        &std::fs::read_to_string(PATH).expect("fixture missing: run with SNU_UPDATE_FIXTURES=1"),
    )
    .unwrap();
    for (case, (a, b)) in now
        .as_array()
        .unwrap()
        .iter()
        .zip(stored.as_array().unwrap())
        .enumerate()
    {
        assert_eq!(
            a["spec"], b["spec"],
            "case {case}: spec changed; regenerate with SNU_UPDATE_FIXTURES=1"
        );
        let (la, lb) = (a["loss"].as_f64().unwrap(), b["loss"].as_f64().unwrap());
        assert!(
            (la - lb).abs() <= 1e-6 * la.abs().max(1.0),
            "case {case}: loss {la} vs stored {lb}"
        );
        for (name, ga) in a["gradients"].as_object().unwrap() {
            let gb = b["gradients"][name]
                .as_array()
                .unwrap_or_else(|| panic!("case {case}: no stored gradient for {name}"));
            for (i, (u, v)) in ga.as_array().unwrap().iter().zip(gb).enumerate() {
                let (u, v) = (u.as_f64().unwrap(), v.as_f64().unwrap());
                assert!(
                    (u - v).abs() <= 1e-7 * u.abs().max(1.0),
                    "case {case}: {name}[{i}] {u} vs stored {v}"
                );
            }
        }
    }
    assert_eq!(
        now.as_array().unwrap().len(),
        stored.as_array().unwrap().len()
    );
}
