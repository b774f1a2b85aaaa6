//! Layers on simulated PCM crossbars inside a network: an ideal crossbar computes what the
//! digital network computes, programming noise and drift change the weights by the amounts of
//! docs/design.md §3, drift compensation restores the output scale, and training with the devices in
//! the loop learns through mixed-precision pulses.
mod common;

use common::Rng;
use snu_core::pcm::PcmConfig;
use snu_core::Batch;
use snu_core::Network;

/// 20 inputs -> SNU 30 -> dense 2 (the JSB shape, small), sum readout.
fn spec(seed: u64) -> String {
    format!(
        r#"{{"inputSize":20,"layers":[
            {{"type":"snu","name":"hidden","units":30,"initialBias":-0.3}},
            {{"type":"dense","name":"out","units":2}}],
          "readout":"sum","loss":{{"kind":"softmaxCrossEntropy"}},"optimizer":{{"kind":"sgd","lr":0.05}},"seed":{seed}}}"#
    )
}

/// A task a small network learns quickly: class 1 when the first half of the inputs spikes
/// more than the second.
fn task(rng: &mut Rng, steps: usize, batch: usize) -> (Vec<f32>, Vec<f32>) {
    let mut x = vec![0f32; steps * batch * 20];
    let mut y = vec![0f32; batch * 2];
    for b in 0..batch {
        let class = rng.below(2);
        y[b * 2 + class] = 1.0;
        for t in 0..steps {
            for i in 0..20 {
                let p = if (i < 10) == (class == 1) { 0.6 } else { 0.1 };
                x[(t * batch + b) * 20 + i] = (rng.uniform() < p) as u8 as f32;
            }
        }
    }
    (x, y)
}

fn mean_abs(v: &[f32]) -> f64 {
    v.iter().map(|&v| v.abs() as f64).sum::<f64>() / v.len() as f64
}

#[test]
fn an_ideal_crossbar_computes_what_the_digital_network_computes() {
    let mut rng = Rng::new(1);
    let (x, _) = task(&mut rng, 8, 16);
    let mut digital = Network::from_json(&spec(2)).unwrap();
    let want = digital.forward(&Batch::inputs(&x, 8, 16)).unwrap().to_vec();
    let mut analog = Network::from_json(&spec(2)).unwrap();
    analog
        .set_analog("out", Some(PcmConfig::ideal()), 7)
        .unwrap();
    analog
        .set_analog("hidden", Some(PcmConfig::ideal()), 8)
        .unwrap();
    assert_eq!(
        analog.analog_layers(),
        vec!["hidden".to_string(), "out".to_string()]
    );
    let got = analog.forward(&Batch::inputs(&x, 8, 16)).unwrap();
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn programming_noise_and_drift_move_the_weights_and_compensation_restores_the_output_scale() {
    let mut net = Network::from_json(&spec(3)).unwrap();
    let w0 = net.param("out.W").unwrap().value.clone();
    let mut config = PcmConfig::default();
    config.drift_compensation.enabled = false;
    net.set_analog("out", Some(config), 11).unwrap();
    let w_prog = net.param("out.W").unwrap().value.clone();
    // Programming noise: sigma(q) = (0.26348 + 1.9650 q - 1.1731 q^2) µS (gMax = 25) per device;
    // weights are (G+ - G-)/scale with scale = 25 / max|W|. The rms error must be of that order
    // (between the noise of the off device alone and that of two devices at q = 1).
    let scale = 25.0 / w0.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
    let rms = (w0
        .iter()
        .zip(&w_prog)
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum::<f64>()
        / w0.len() as f64)
        .sqrt();
    assert!(
        rms > 0.26348 / scale * 0.8 && rms < 2.0 * 1.06 / scale * 1.2,
        "rms programming error {rms}, scale {scale}"
    );
    // A day of drift shrinks every conductance: mean |W| falls by roughly ((t + t0)/t0)^-nu, nu ≈ 0.05..0.1.
    net.set_analog_time(86_400.0).unwrap();
    let w_day = net.param("out.W").unwrap().value.clone();
    let shrink = mean_abs(&w_day) / mean_abs(&w_prog);
    let (lo, hi) = (
        (86_420.0f64 / 20.0).powf(-0.12),
        (86_420.0f64 / 20.0).powf(-0.03),
    );
    assert!(
        shrink > lo && shrink < hi,
        "mean |W| after a day: x{shrink}, expected between {lo} and {hi}"
    );
    // The network's outputs shrink alike without compensation; with it their scale returns.
    let mut rng = Rng::new(4);
    let (x, _) = task(&mut rng, 10, 64);
    let mut reference = Network::from_json(&spec(3)).unwrap();
    reference
        .set_analog("out", Some(PcmConfig::default()), 11)
        .unwrap();
    let ref_out = mean_abs(reference.forward(&Batch::inputs(&x, 10, 64)).unwrap());
    let drifted = mean_abs(net.forward(&Batch::inputs(&x, 10, 64)).unwrap());
    net.set_drift_compensation(true).unwrap();
    net.set_analog_time(86_400.0).unwrap();
    let compensated = mean_abs(net.forward(&Batch::inputs(&x, 10, 64)).unwrap());
    assert!(drifted < 0.95 * ref_out, "drifted {drifted} vs {ref_out}");
    assert!(
        (compensated / ref_out - 1.0).abs() < 0.1,
        "compensated {compensated} vs {ref_out}"
    );
}

#[test]
fn training_with_the_devices_in_the_loop_learns_by_pulses() {
    let mut net = Network::from_json(&spec(5)).unwrap();
    net.set_analog("hidden", Some(PcmConfig::default()), 21)
        .unwrap();
    net.set_analog("out", Some(PcmConfig::default()), 22)
        .unwrap();
    let mut rng = Rng::new(6);
    let (xt, yt) = task(&mut rng, 10, 200);
    let before = net.loss(&Batch::new(&xt, &yt, 10, 200)).unwrap();
    let mut pulses = 0;
    for _ in 0..150 {
        let (x, y) = task(&mut rng, 10, 32);
        net.train_step(&Batch::new(&x, &y, 10, 32))
            .map(|r| r.loss)
            .unwrap();
        pulses += net.last_update.pulses_plus + net.last_update.pulses_minus;
    }
    let after = net.loss(&Batch::new(&xt, &yt, 10, 200)).unwrap();
    assert!(after < 0.6 * before, "loss {before} -> {after}");
    assert!(pulses > 0);
    let stats = net.analog_stats("out", Some(10)).unwrap();
    assert_eq!(stats.devices, 2 * 30 * 2);
    assert_eq!(
        stats.total_pulses,
        stats
            .pulses_plus
            .iter()
            .chain(&stats.pulses_minus)
            .map(|&p| p as u64)
            .sum::<u64>()
    );
    // The weights the network uses are the devices' weights.
    assert_eq!(
        net.param("out.W").unwrap().value,
        net.tile(1).unwrap().weights()
    );
}

#[test]
fn bad_crossbar_requests_are_refused_with_the_reason() {
    let mut net = Network::from_json(&spec(1)).unwrap();
    let err = net
        .set_analog("nope", Some(PcmConfig::default()), 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown layer \"nope\""), "{err}");
    let err = net.analog_stats("out", Some(10)).unwrap_err().to_string();
    assert!(err.contains("not on a crossbar"), "{err}");
    let mut bad = PcmConfig::default();
    bad.device.g_max = -1.0;
    assert!(net.set_analog("out", Some(bad), 1).is_err());
    let tied = Network::from_json(
        r#"{"inputSize":1,"layers":[{"type":"embedding","name":"e","vocabSize":5,"units":3},{"type":"dense","name":"d","units":5,"tiedTo":"e"}],"readout":"sequence","loss":{"kind":"sparseSoftmaxCrossEntropy"}}"#,
    );
    let mut tied = tied.unwrap();
    assert!(tied.crossbar_capable_layers().is_empty());
    let err = tied
        .set_analog("d", Some(PcmConfig::default()), 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            r#"layer "d" has no weight matrix a crossbar can hold (no layer of this model has one)"#
        ),
        "{err}"
    );
    let mut mixed = Network::from_json(
        r#"{"inputSize":1,"layers":[{"type":"embedding","name":"e","vocabSize":5,"units":3},{"type":"snu","name":"s","units":4},{"type":"dense","name":"o","units":3},{"type":"dense","name":"d","units":5,"tiedTo":"e"}],"readout":"sequence","loss":{"kind":"sparseSoftmaxCrossEntropy"}}"#,
    )
    .unwrap();
    assert_eq!(mixed.crossbar_capable_layers(), ["s", "o"]);
    let err = mixed
        .set_analog("e", Some(PcmConfig::default()), 1)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("(the layers that have one: s, o)"), "{err}");
}
