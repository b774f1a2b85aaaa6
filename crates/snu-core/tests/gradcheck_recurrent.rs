//! The RNN, LSTM and GRU layers against the independent f64 reference of
//! `common/reference_gated.rs`: forward outputs, and every parameter gradient against central
//! finite differences of that reference (full BPTT, truncated windows, a carried state, spike
//! inputs on both product paths, and mixed with SNU and dense layers).
//!
//! The reference's quotients are accurate to about 1e-10; the engine computes in f32, whose
//! rounding over these short sequences stays near 1e-6 of the gradient's scale. Bound: 1e-4 of
//! the largest reference gradient, per element. A wrong term (a gate's derivative, a missed
//! carry, `H` transposed, an off-by-one step) is of the size of the gradient itself.

mod common;

use common::reference_gated::{Frozen, GatedState};
use common::*;
use snu_core::layers::product::ProductPath;
use snu_core::Batch;

const RTOL: f64 = 1e-4;

struct Case {
    name: &'static str,
    cfg: ModelCfg,
    steps: usize,
    batch: usize,
}

fn case(
    name: &'static str,
    input: usize,
    layers: Vec<LayerCfg>,
    readout: Readout,
    loss: Loss,
    tbptt: Option<usize>,
) -> Case {
    Case {
        name,
        cfg: ModelCfg {
            tbptt,
            ..ModelCfg::new(input, layers, readout, loss)
        },
        steps: 6,
        batch: 3,
    }
}

fn smooth_ssnu(units: usize) -> LayerCfg {
    LayerCfg::Snu(SnuCfg {
        g: G::Identity,
        recurrent: true,
        trainable_decay: true,
        ..SnuCfg::ssnu(units)
    })
}

fn cases() -> Vec<Case> {
    use Gate::*;
    vec![
        case(
            "rnn / mse / sum",
            3,
            vec![gated(Rnn, 4)],
            Readout::Sum,
            Loss::Mse,
            None,
        ),
        case(
            "lstm + dense / softmax / last",
            3,
            vec![gated(Lstm, 5), dense(3, Act::None)],
            Readout::Last,
            Loss::SoftmaxCe,
            None,
        ),
        case(
            "gru / mse / sequence",
            4,
            vec![gated(Gru, 4)],
            Readout::Sequence,
            Loss::Mse,
            None,
        ),
        case(
            "lstm, gru, rnn / bce-logits / mean",
            3,
            vec![gated(Lstm, 4), gated(Gru, 5), gated(Rnn, 3)],
            Readout::Mean,
            Loss::BceLogits,
            None,
        ),
        case(
            "sSNU, lstm, dense / softmax / sum",
            3,
            vec![smooth_ssnu(5), gated(Lstm, 4), dense(3, Act::None)],
            Readout::Sum,
            Loss::SoftmaxCe,
            None,
        ),
        case(
            "lstm, gru / mse / sequence, tbptt 2",
            3,
            vec![gated(Lstm, 4), gated(Gru, 3)],
            Readout::Sequence,
            Loss::Mse,
            Some(2),
        ),
        case(
            "rnn, dense / bce-logits / sequence, tbptt 4",
            3,
            vec![gated(Rnn, 5), dense(2, Act::None)],
            Readout::Sequence,
            Loss::BceLogits,
            Some(4),
        ),
    ]
}

fn run_of(c: &Case, seed: u64) -> Run {
    prepare(&c.cfg, seed, c.steps, c.batch).expect("gated layers have no branch points")
}

#[test]
fn forward_outputs_match_the_reference() {
    for c in cases() {
        let mut run = run_of(&c, 3);
        let out = run
            .net
            .forward(&Batch::inputs(&run.x, c.steps, c.batch))
            .unwrap()
            .to_vec();
        assert_eq!(out.len(), run.trace.out.len(), "{}", c.name);
        for (k, (&e, &r)) in out.iter().zip(&run.trace.out).enumerate() {
            assert!(
                (e as f64 - r).abs() <= 1e-5 * r.abs().max(1.0),
                "{}: output {k}: engine {e} vs reference {r}",
                c.name
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences_of_the_reference() {
    for c in cases() {
        for seed in [1, 2] {
            let mut run = run_of(&c, seed);
            let loss = run
                .net
                .compute_gradients(&Batch::new(&run.x, &run.target, c.steps, c.batch))
                .unwrap();
            let (ref_loss, fd) = run
                .reference
                .gradients(&run.trace, &run.target, c.cfg.tbptt);
            let what = format!("{} (seed {seed})", c.name);
            assert!(
                (loss - ref_loss).abs() <= 1e-5 * ref_loss.abs().max(1.0),
                "{what}: loss {loss} vs {ref_loss}"
            );
            assert_grads_close(&engine_grads(&run.net), &fd, RTOL, &what);
        }
    }
}

#[test]
fn a_truncation_window_is_not_full_bptt() {
    // The windowed cases above match the frozen-state reference; here the cut must matter.
    for c in cases().into_iter().filter(|c| c.cfg.tbptt.is_some()) {
        let mut run = run_of(&c, 4);
        run.net
            .compute_gradients(&Batch::new(&run.x, &run.target, c.steps, c.batch))
            .unwrap();
        let (_, full) = run.reference.gradients(&run.trace, &run.target, None);
        let diff = relative_error(&engine_grads(&run.net), &full);
        assert!(
            diff > 1e-2,
            "{}: the window changed nothing ({diff:.2e})",
            c.name
        );
    }
}

#[test]
fn spike_inputs_give_the_same_gradients_on_both_product_paths() {
    // 0/1 inputs are packed as spikes: the input product runs event-driven or dense.
    let c = case(
        "lstm, gru on spikes",
        8,
        vec![gated(Gate::Lstm, 4), gated(Gate::Gru, 3)],
        Readout::Sum,
        Loss::SoftmaxCe,
        None,
    );
    let mut run = run_of(&c, 5);
    let mut rng = Rng::new(77);
    run.x
        .iter_mut()
        .for_each(|v| *v = (rng.uniform() < 0.2) as u8 as f32);
    let trace = run.reference.forward(&run.x, c.steps, c.batch);
    let (_, fd) = run.reference.gradients(&trace, &run.target, None);
    let mut results = vec![];
    for path in [ProductPath::EventDriven, ProductPath::Dense] {
        run.net.set_product_path(path);
        run.net
            .compute_gradients(&Batch::new(&run.x, &run.target, c.steps, c.batch))
            .unwrap();
        let g = engine_grads(&run.net);
        assert_grads_close(&g, &fd, RTOL, &format!("{path:?}"));
        results.push(g);
    }
}

#[test]
fn a_carried_state_continues_the_sequence_and_is_held_fixed_in_the_gradient() {
    let c = case(
        "lstm, gru, rnn carried",
        3,
        vec![
            gated(Gate::Lstm, 4),
            gated(Gate::Gru, 3),
            gated(Gate::Rnn, 3),
        ],
        Readout::Sequence,
        Loss::Mse,
        None,
    );
    let mut run = run_of(&c, 6);
    let mut rng = Rng::new(12);
    let x2 = rng.vec(4 * c.batch * c.cfg.input_size, 0.0, 1.5);
    let y2 = c.cfg.random_target(&mut rng, 4, c.batch);
    run.net.set_carry_state(true);
    run.net
        .forward(&Batch::inputs(&run.x, c.steps, c.batch))
        .unwrap();
    run.net
        .compute_gradients(&Batch::new(&x2, &y2, 4, c.batch))
        .unwrap();
    let out2 = run.net.last_output().to_vec();
    // Reference: the first call's last states are the second call's constant initial states.
    let (n, b) = (c.steps - 1, c.batch);
    let initial: Vec<Option<GatedState>> = run
        .trace
        .layers
        .iter()
        .zip(&c.cfg.layers)
        .map(|(lt, l)| {
            let u = l.units();
            let last = n * b * u..(n + 1) * b * u;
            Some((lt.y[last.clone()].to_vec(), lt.s[last].to_vec()))
        })
        .collect();
    let frozen = Frozen {
        initial: Some(&initial),
        windows: None,
    };
    let x2f: Vec<f64> = x2.iter().map(|&v| v as f64).collect();
    let trace2 = run.reference.forward_with(&x2f, 4, b, &frozen);
    for (k, (&e, &r)) in out2.iter().zip(&trace2.out).enumerate() {
        assert!(
            (e as f64 - r).abs() <= 1e-5,
            "output {k}: engine {e} vs reference {r}"
        );
    }
    let (_, fd) = run.reference.fd_gradients(&trace2, &y2, None, &frozen);
    assert_grads_close(&engine_grads(&run.net), &fd, RTOL, "second call");
    // The carried state matters: from zeros the output differs.
    let fresh = run.reference.forward_with(&x2f, 4, b, &Frozen::NONE);
    let moved = fresh
        .out
        .iter()
        .zip(&trace2.out)
        .any(|(a, b)| (a - b).abs() > 1e-3);
    assert!(moved, "the carried state changed nothing");
}

#[test]
fn parameters_are_named_shaped_and_initialised_as_documented() {
    let json = r#"{"inputSize": 3, "layers": [
        {"type": "lstm", "units": 4, "forgetBias": 1.5},
        {"type": "gru", "units": 2, "name": "g"},
        {"type": "rnn", "units": 5}],
        "loss": {"kind": "mse"}}"#;
    let net = snu_core::Network::from_json(json).unwrap();
    let shapes: Vec<(String, Vec<usize>)> = net
        .params()
        .iter()
        .map(|p| (p.name.clone(), p.shape.clone()))
        .collect();
    let want = [
        ("lstm_0.W", vec![3, 16]),
        ("lstm_0.H", vec![4, 16]),
        ("lstm_0.b", vec![16]),
        ("g.W", vec![4, 6]),
        ("g.H", vec![2, 6]),
        ("g.b", vec![6]),
        ("g.bh", vec![2]),
        ("rnn_2.W", vec![2, 5]),
        ("rnn_2.H", vec![5, 5]),
        ("rnn_2.b", vec![5]),
    ];
    let want: Vec<(String, Vec<usize>)> = want
        .iter()
        .map(|(n, s)| (n.to_string(), s.clone()))
        .collect();
    assert_eq!(shapes, want);
    // The forget gate (second block) starts at forgetBias, the others at 0.
    let b = &net.param("lstm_0.b").unwrap().value;
    assert_eq!(
        b,
        &[0., 0., 0., 0., 1.5, 1.5, 1.5, 1.5, 0., 0., 0., 0., 0., 0., 0., 0.]
    );
    // Glorot-uniform per gate block: |W| < sqrt(6 / (in + n)), |H| < sqrt(6 / (2n)).
    let w = &net.param("lstm_0.W").unwrap().value;
    let h = &net.param("lstm_0.H").unwrap().value;
    assert!(w.iter().all(|v| v.abs() < (6.0f32 / 7.0).sqrt()) && w.iter().any(|&v| v != 0.0));
    assert!(h.iter().all(|v| v.abs() < (6.0f32 / 8.0).sqrt()) && h.iter().any(|&v| v != 0.0));
}

#[test]
fn gradients_do_not_depend_on_the_thread_count() {
    // Large enough for the parallel paths: the per-step products split over threads and the
    // cells' rows go to several tasks.
    let cfg = ModelCfg::new(
        40,
        vec![
            gated(Gate::Lstm, 128),
            gated(Gate::Gru, 96),
            gated(Gate::Rnn, 64),
            dense(5, Act::None),
        ],
        Readout::Sum,
        Loss::SoftmaxCe,
    );
    let (steps, batch) = (6, 64);
    let mut rng = Rng::new(21);
    let x = rng.vec(steps * batch * 40, 0.0, 1.0);
    let y = cfg.random_target(&mut rng, steps, batch);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut net = cfg.build();
            net.compute_gradients(&Batch::new(&x, &y, steps, batch))
                .unwrap();
            engine_grads(&net)
        })
    };
    assert_eq!(run(1), run(3));
}
