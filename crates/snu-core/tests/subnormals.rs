//! Saturated sSNUs feed no subnormal numbers into the matrix products of training: subnormals
//! make those products many times slower on x86 (a PTB model trained 3x slower), and the
//! values they stand for are below 1.2e-38.

mod common;

use common::Rng;
use snu_core::Batch;
use snu_core::{ModelSpec, Network};

/// 5 inputs -> sSNU 6 (bias `bias`) -> dense 3; softmax cross-entropy.
fn network(bias: f32) -> Network {
    let spec = format!(
        r#"{{"inputSize":5,"layers":[
            {{"type":"snu","units":6,"output":"sigmoid","g":{{"kind":"identity"}},"recurrent":true,"initialBias":{bias}}},
            {{"type":"dense","units":3}}],
          "readout":"sum","loss":{{"kind":"softmaxCrossEntropy"}},"optimizer":{{"kind":"sgd","lr":0.1}},"seed":2}}"#
    );
    Network::new(ModelSpec::from_json(&spec).unwrap()).unwrap()
}

fn no_subnormals(what: &str, v: &[f32]) {
    if let Some(x) = v.iter().find(|x| x.is_subnormal()) {
        panic!("{what} holds the subnormal {x:e}");
    }
}

fn batch() -> (Vec<f32>, Vec<f32>, usize, usize) {
    let (steps, batch) = (4, 3);
    let mut rng = Rng::new(8);
    let x = rng.vec(steps * batch * 5, 0.0, 0.1);
    let mut y = vec![0f32; batch * 3];
    for r in 0..batch {
        y[r * 3 + r % 3] = 1.0;
    }
    (x, y, steps, batch)
}

#[test]
fn a_unit_saturated_below_the_smallest_normal_outputs_zero() {
    let (x, y, steps, batch) = batch();
    // sigma(s - 100) is about 4e-44: a subnormal unless flushed.
    let mut net = network(-100.0);
    net.compute_gradients(&Batch::new(&x, &y, steps, batch))
        .unwrap();
    let outputs = net.layer_outputs();
    assert!(
        outputs[0].iter().all(|&v| v == 0.0),
        "{:?}",
        &outputs[0][..6]
    );
    no_subnormals("the dense output", &outputs[1]);
}

#[test]
fn the_state_gradient_entering_the_weight_products_has_no_subnormals() {
    let (x, y, steps, batch) = batch();
    // sigma(s - 87) is about 1.6e-38, just normal; dL/da = dL/dy sigma (1 - sigma) is then
    // subnormal for every unit, flushed to 0, so the products x^T da and y^T da are exactly 0.
    let mut net = network(-87.0);
    net.compute_gradients(&Batch::new(&x, &y, steps, batch))
        .unwrap();
    no_subnormals("the sSNU output", &net.layer_outputs()[0]);
    assert!(
        net.layer_outputs()[0].iter().any(|&v| v > 0.0),
        "some outputs are normal, not 0"
    );
    for name in ["snu_0.W", "snu_0.H"] {
        let g = &net.store.grads[net.param_names().iter().position(|n| n == name).unwrap()];
        assert!(g.iter().all(|&v| v == 0.0), "{name}: {:?}", &g[..6]);
    }
}
