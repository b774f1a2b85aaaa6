//! The SNU's input bias `c` and synaptic current (NIR's CubaLIF):
//!
//! ```text
//! u_t = x_t W + y_{t-1} H + c,   i_t = α i_{t-1} + u_t,   a_t = i_t + l ⊙ s_{t-1} ⊙ (1 - y_{t-1})
//! ```
//!
//! The forward pass against an independent f64 reference written here from those equations;
//! the BPTT gradient (every parameter, dense and convolutional, with and without truncation)
//! against central finite differences of the engine's loss; the current carried across passes;
//! a convolution covering its image against the dense layer; OSTL's refusal.

mod common;

use common::conv_as_dense::copy_conv_into_dense;
use common::finite_differences::gradcheck;
use snu_core::{Batch, Network, TrainingMethod};

fn net(json: &str) -> Network {
    Network::from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

fn data(len: usize, seed: u64, lo: f64, hi: f64) -> Vec<f32> {
    let mut rng = snu_core::kernels::rng::Rng::new(seed);
    (0..len).map(|_| rng.uniform_range(lo, hi) as f32).collect()
}

/// One SNU layer in f64: `[T*B, n]` outputs. `w` `[m, n]`, `h` `[n, n]` (empty: none).
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[f32],
    steps: usize,
    batch: usize,
    m: usize,
    w: &[f32],
    h: &[f32],
    c: &[f32],
    alpha: f64,
    l: &[f32],
    b: &[f32],
    sigmoid: bool,
) -> Vec<f64> {
    let n = b.len();
    let mut y = vec![0.0f64; steps * batch * n];
    let mut s_prev = vec![0.0f64; batch * n];
    let mut i_prev = vec![0.0f64; batch * n];
    for t in 0..steps {
        let mut s_now = vec![0.0f64; batch * n];
        for bi in 0..batch {
            for j in 0..n {
                let mut u = c.get(j).map_or(0.0, |&v| v as f64);
                for k in 0..m {
                    u += x[(t * batch + bi) * m + k] as f64 * w[k * n + j] as f64;
                }
                if t > 0 && !h.is_empty() {
                    for k in 0..n {
                        u += y[((t - 1) * batch + bi) * n + k] * h[k * n + j] as f64;
                    }
                }
                let i = alpha * i_prev[bi * n + j] + u;
                i_prev[bi * n + j] = i;
                let reset = if t > 0 {
                    1.0 - y[((t - 1) * batch + bi) * n + j]
                } else {
                    0.0
                };
                let a = i + l[j] as f64 * s_prev[bi * n + j] * reset;
                s_now[bi * n + j] = a; // g = identity
                let z = a + b[j] as f64;
                y[(t * batch + bi) * n + j] = if sigmoid {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    (z > 0.0) as u8 as f64
                };
            }
        }
        s_prev = s_now;
    }
    y
}

fn layer_json(units: usize, extra: &str) -> String {
    format!(
        r#"{{"type":"snu","units":{units},"g":{{"kind":"identity"}},"initialBias":-0.4{extra}}}"#
    )
}

#[test]
fn the_forward_pass_follows_the_equations() {
    let (steps, batch, m, n) = (7, 3, 5, 4);
    for (sigmoid, recurrent, alpha, input_bias, trainable) in [
        (true, false, 0.6, true, false),
        (false, true, 0.55, true, true),
        (false, false, 0.0, true, false),
        (true, true, 0.9, false, true),
    ] {
        let extra = format!(
            r#","output":"{}","recurrent":{recurrent},"synapse":{alpha},"inputBias":{input_bias},"trainableDecay":{trainable},"decay":0.7"#,
            if sigmoid { "sigmoid" } else { "step" }
        );
        let mut e = net(&format!(
            r#"{{"inputSize":{m},"layers":[{}],"readout":"sequence","loss":{{"kind":"mse"}},"seed":2}}"#,
            layer_json(n, &extra)
        ));
        if input_bias {
            e.set_param("snu_0.c", &data(n, 3, -0.3, 0.5)).unwrap();
        }
        if trainable {
            e.set_param("snu_0.decay", &data(n, 4, 0.3, 0.95)).unwrap();
        }
        let x: Vec<f32> = data(steps * batch * m, 5, 0.0, 1.0)
            .iter()
            .map(|v| (*v > 0.6) as u8 as f32)
            .collect();
        let ours = e
            .forward(&Batch::inputs(&x, steps, batch))
            .unwrap()
            .to_vec();
        let p = |k: &str| {
            e.param(&format!("snu_0.{k}"))
                .map(|p| p.value.clone())
                .unwrap_or_default()
        };
        let l = if trainable { p("decay") } else { vec![0.7; n] };
        let want = reference(
            &x,
            steps,
            batch,
            m,
            &p("W"),
            &p("H"),
            &p("c"),
            alpha,
            &l,
            &p("b"),
            sigmoid,
        );
        let fired = ours.iter().filter(|&&v| v == 1.0).count();
        if !sigmoid {
            assert!(
                fired > 0 && fired < ours.len(),
                "spiking case fires {fired} of {}",
                ours.len()
            );
        }
        for (k, (a, b)) in ours.iter().zip(&want).enumerate() {
            assert!(
                (*a as f64 - b).abs() < 1e-5,
                "alpha {alpha} recurrent {recurrent}: output {k}: engine {a}, reference {b}"
            );
        }
    }
}

#[test]
fn bptt_through_the_synapse_and_the_input_bias_matches_finite_differences() {
    let (steps, batch) = (6, 2);
    for second in [
        r#","synapse":0.5"#,
        r#","synapse":0.3,"inputBias":true"#,
        "",
    ] {
        let first = r#","output":"sigmoid","recurrent":true,"synapse":0.7,"inputBias":true,"trainableDecay":true"#;
        let mut n = net(&format!(
            r#"{{"inputSize":3,"layers":[{},{}],"readout":"mean","loss":{{"kind":"mse"}},"seed":4}}"#,
            layer_json(4, first),
            layer_json(2, &format!(r#","output":"sigmoid"{second}"#)),
        ));
        n.set_param("snu_0.c", &data(4, 6, -0.5, 0.5)).unwrap();
        let x = data(steps * batch * 3, 7, -1.0, 1.0);
        let y = data(batch * 2, 8, 0.0, 1.0);
        let checked = gradcheck(n, &x, &y, steps, batch);
        assert!(checked > 40);
    }
}

#[test]
fn a_convolution_with_a_synapse_and_an_input_bias_matches_finite_differences_and_the_dense_layer() {
    let opts = r#""trainableDecay":true,"initialBias":-0.3,"decay":0.7,"synapse":0.6,"inputBias":true,"g":{"kind":"identity"},"output":"sigmoid""#;
    let conv_json = |kernel: &str, shape: &str, size: usize| {
        format!(
            r#"{{"inputSize":{size},"inputShape":{shape},"layers":[{{"type":"snuConv2d","filters":3,"kernelSize":{kernel},{opts}}},{{"type":"flatten"}},{{"type":"dense","units":2}}],"readout":"sum","loss":{{"kind":"mse"}},"seed":3}}"#
        )
    };
    // Several positions per filter: c and the decay are shared by a filter's positions.
    let mut n = net(&conv_json("[2,2]", "[1,3,3]", 9));
    n.set_param("snuConv2d_0.c", &[0.2, -0.1, 0.3]).unwrap();
    let (steps, batch) = (4, 2);
    let x = data(steps * batch * 9, 9, -1.0, 1.0);
    let y = data(batch * 2, 10, -1.0, 1.0);
    assert!(gradcheck(n, &x, &y, steps, batch) > 30);
    // One position per filter: the dense SNU layer with the same weights computes the same.
    let mut conv = net(&conv_json("[2,3]", "[2,2,3]", 12));
    let mut dense = net(&format!(
        r#"{{"inputSize":12,"layers":[{{"type":"snu","units":3,{opts}}},{{"type":"dense","units":2}}],"readout":"sum","loss":{{"kind":"mse"}},"seed":3}}"#
    ));
    conv.set_param("snuConv2d_0.c", &[0.1, -0.2, 0.25]).unwrap();
    copy_conv_into_dense(&conv, &mut dense, 3, 12, &["b", "decay", "c"]);
    let x = data(5 * 3 * 12, 11, 0.0, 1.5);
    let y = data(3 * 2, 12, -1.0, 1.0);
    let b = Batch::new(&x, &y, 5, 3);
    let (a, d) = (
        conv.forward(&b).unwrap().to_vec(),
        dense.forward(&b).unwrap().to_vec(),
    );
    for (p, q) in a.iter().zip(&d) {
        assert!((p - q).abs() < 1e-5, "{p} vs {q}");
    }
    conv.compute_gradients(&b).unwrap();
    dense.compute_gradients(&b).unwrap();
    for k in ["c", "decay", "b"] {
        let (gc, gd) = (
            conv.grad(&format!("snuConv2d_0.{k}")).unwrap(),
            dense.grad(&format!("snu_0.{k}")).unwrap(),
        );
        for (p, q) in gc.iter().zip(gd) {
            assert!((p - q).abs() < 1e-5 * (1.0 + q.abs()), "{k}: {p} vs {q}");
        }
    }
}

#[test]
fn truncated_bptt_cuts_the_synaptic_gradient_at_window_starts() {
    // With tbptt k over 2k steps, the gradient is that of the first window alone plus that of
    // the second run on the carried state (no gradient flows into a carried state), each loss a
    // mean over its own k steps: g = (g1 + g2) / 2.
    let (k, batch) = (4, 3);
    let spec = |tbptt: &str| {
        format!(
            r#"{{"inputSize":3,"layers":[{},{}],"readout":"sequence","loss":{{"kind":"mse"}},"tbptt":{tbptt},"seed":8}}"#,
            layer_json(
                5,
                r#","output":"sigmoid","recurrent":true,"synapse":0.7,"inputBias":true,"trainableDecay":true"#
            ),
            layer_json(2, r#","output":"sigmoid","synapse":0.4"#),
        )
    };
    let x = data(2 * k * batch * 3, 14, -1.0, 1.0);
    let y = data(2 * k * batch * 2, 15, 0.0, 1.0);
    let mut whole = net(&spec(&k.to_string()));
    whole.set_param("snu_0.c", &data(5, 16, -0.5, 0.5)).unwrap();
    whole
        .compute_gradients(&Batch::new(&x, &y, 2 * k, batch))
        .unwrap();
    let mut windows = net(&spec("null"));
    windows
        .set_param("snu_0.c", &whole.param("snu_0.c").unwrap().value.clone())
        .unwrap();
    windows.set_carry_state(true);
    let (hx, hy) = (x.len() / 2, y.len() / 2);
    windows
        .compute_gradients(&Batch::new(&x[..hx], &y[..hy], k, batch))
        .unwrap();
    let first: Vec<(String, Vec<f32>)> = windows
        .param_names()
        .into_iter()
        .map(|n| (n.clone(), windows.grad(&n).unwrap().to_vec()))
        .collect();
    windows
        .compute_gradients(&Batch::new(&x[hx..], &y[hy..], k, batch))
        .unwrap();
    for (name, g1) in first {
        let g2 = windows.grad(&name).unwrap();
        for (i, (&g, (a, b))) in whole
            .grad(&name)
            .unwrap()
            .iter()
            .zip(g1.iter().zip(g2))
            .enumerate()
        {
            let want = (a + b) / 2.0;
            assert!(
                (g - want).abs() <= 1e-5 + 1e-4 * want.abs(),
                "{name}[{i}]: tbptt {g}, windows {want}"
            );
        }
    }
}

#[test]
fn the_synaptic_current_is_carried_into_the_next_window() {
    // T steps at once, or T/2 and T/2 with carried state: the same outputs.
    let json = format!(
        r#"{{"inputSize":4,"layers":[{}],"readout":"sequence","loss":{{"kind":"mse"}},"seed":6}}"#,
        layer_json(5, r#","recurrent":true,"synapse":0.8,"inputBias":true"#)
    );
    let (steps, batch) = (10, 3);
    let x: Vec<f32> = data(steps * batch * 4, 13, 0.0, 1.0)
        .iter()
        .map(|v| (*v > 0.5) as u8 as f32)
        .collect();
    let mut whole = net(&json);
    let all = whole
        .forward(&Batch::inputs(&x, steps, batch))
        .unwrap()
        .to_vec();
    let mut halves = net(&json);
    halves.set_carry_state(true);
    let half = x.len() / 2;
    let mut parts = halves
        .forward(&Batch::inputs(&x[..half], steps / 2, batch))
        .unwrap()
        .to_vec();
    parts.extend_from_slice(
        halves
            .forward(&Batch::inputs(&x[half..], steps / 2, batch))
            .unwrap(),
    );
    assert!(all.contains(&1.0), "the layer fires");
    assert_eq!(parts, all);
    // Without carrying the current (a fresh network for the second half), the outputs differ.
    let mut fresh = net(&json);
    let second = fresh
        .forward(&Batch::inputs(&x[half..], steps / 2, batch))
        .unwrap()
        .to_vec();
    assert_ne!(second, all[all.len() / 2..].to_vec());
}

#[test]
fn options_out_of_range_and_ostl_are_refused() {
    for bad in ["1", "-0.1", "1.5"] {
        let e = Network::from_json(&format!(
            r#"{{"inputSize":2,"layers":[{}],"loss":{{"kind":"mse"}}}}"#,
            layer_json(2, &format!(r#","synapse":{bad}"#))
        ))
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("layers[0].synapse: expected a number in [0, 1)"),
            "{e}"
        );
    }
    for extra in [r#","synapse":0.5"#, r#","inputBias":true"#] {
        let mut n = net(&format!(
            r#"{{"inputSize":2,"layers":[{}],"readout":"sequence","loss":{{"kind":"mse"}}}}"#,
            layer_json(2, extra)
        ));
        let e = n
            .set_training_method(TrainingMethod::Ostl { update_every: None })
            .expect_err("OSTL refused")
            .to_string();
        assert!(e.contains("OSTL has no trace"), "{e}");
    }
}
