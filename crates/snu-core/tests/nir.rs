//! NIR export and import (`snu_core::nir`): an exported graph, simulated by an independent NIR
//! reference (`common/nir_reference.rs`), spikes as the network does; export then import gives
//! back a network with the same outputs; and every feature NIR cannot express, and every graph
//! snu cannot take, is refused with an error naming the layer or node.

mod common;

use common::nir_reference::Simulator;
use common::Rng;
use snu_core::nir::{self, DType, ExportOptions, Graph, ImportOptions, Meta, Node, Tensor};
use snu_core::spec::{ModelSpec, Shape};
use snu_core::{Batch, Network};

fn net(input: &str, layers: &str, seed: u64) -> Network {
    Network::from_json(&format!(r#"{{{input},"layers":[{layers}],"readout":"sequence","loss":{{"kind":"mse"}},"seed":{seed}}}"#)).unwrap_or_else(|e| panic!("{e}"))
}

/// Weights large enough, and thresholds spread enough, that every layer spikes sometimes.
fn randomize(n: &mut Network, rng: &mut Rng) {
    for name in n.param_names() {
        let len = n.param(&name).unwrap().value.len();
        let values = if name.ends_with(".b") {
            rng.vec(len, -1.5, -0.3)
        } else if name.ends_with(".c") {
            rng.vec(len, -0.2, 0.3)
        } else if name.ends_with(".decay") {
            rng.vec(len, 0.2, 0.95)
        } else {
            rng.vec(len, -1.0, 1.2)
        };
        n.set_param(&name, &values).unwrap();
    }
}

fn spikes(rng: &mut Rng, len: usize, p: f64) -> Vec<f32> {
    (0..len)
        .map(|_| if rng.uniform() < p { 1.0 } else { 0.0 })
        .collect()
}

fn input_dims(n: &Network) -> Vec<usize> {
    match n.spec.shapes().unwrap()[0] {
        Shape::Flat(k) => vec![k],
        Shape::Image { c, h, w } => vec![c, h, w],
    }
}

/// The network's output over `steps` for one sample, and the reference's for its export.
fn both(n: &mut Network, graph: &Graph, dt: f64, x: &[f32], steps: usize) -> (Vec<f32>, Vec<f32>) {
    let ours = n.forward(&Batch::inputs(x, steps, 1)).unwrap().to_vec();
    let dims = input_dims(n);
    let k = x.len() / steps;
    let mut sim = Simulator::new(graph, dt);
    let theirs = (0..steps)
        .flat_map(|t| {
            sim.step(
                &x[t * k..(t + 1) * k]
                    .iter()
                    .map(|&v| v as f64)
                    .collect::<Vec<_>>(),
                &dims,
            )
        })
        .map(|v| v as f32)
        .collect();
    (ours, theirs)
}

const CASES: [(&str, &str); 6] = [
    (
        r#""inputSize":12"#,
        r#"{"type":"snu","units":9,"g":{"kind":"identity"}},{"type":"snu","units":5,"g":{"kind":"identity"},"decay":0.5}"#,
    ),
    (
        r#""inputSize":12"#,
        r#"{"type":"snu","units":9,"g":{"kind":"identity"},"recurrent":true},{"type":"snu","units":5,"g":{"kind":"identity"},"trainableDecay":true}"#,
    ),
    (
        r#""inputSize":12"#,
        r#"{"type":"snu","units":9,"g":{"kind":"identity"},"decay":1},{"type":"dense","units":4}"#,
    ),
    (
        r#""inputSize":12"#,
        r#"{"type":"snu","units":9,"g":{"kind":"identity"},"recurrent":true,"synapse":0.6,"inputBias":true},{"type":"snu","units":5,"g":{"kind":"identity"},"synapse":0.3,"trainableDecay":true}"#,
    ),
    (
        r#""inputSize":72,"inputShape":[2,6,6]"#,
        r#"{"type":"snuConv2d","filters":3,"kernelSize":[3,3],"padding":[1,1],"g":{"kind":"identity"},"decay":1},{"type":"pool2d","kind":"sum","poolSize":[2,2]},{"type":"snuConv2d","filters":4,"kernelSize":[2,2],"stride":[1,1],"dilation":[2,1],"g":{"kind":"identity"},"trainableDecay":true},{"type":"flatten"},{"type":"snu","units":6,"g":{"kind":"identity"}}"#,
    ),
    (
        r#""inputSize":50,"inputShape":[2,5,5]"#,
        r#"{"type":"conv2d","filters":3,"kernelSize":[2,2],"stride":[2,2],"padding":[1,1]},{"type":"pool2d","kind":"avg","poolSize":[3,3]},{"type":"flatten"},{"type":"snu","units":4,"g":{"kind":"identity"},"decay":0.3}"#,
    ),
];

#[test]
fn the_export_spikes_as_the_network_does_in_an_independent_nir_simulator() {
    for (case, (input, layers)) in CASES.iter().enumerate() {
        for dt in [1e-4, 1e-3, 1.0] {
            let mut rng = Rng::new(case as u64 + 11);
            let mut n = net(input, layers, 5);
            randomize(&mut n, &mut rng);
            // At dt 1e-3 the thresholds are normalised to 1 (the weights scaled): the same spikes.
            let normalize = dt == 1e-3;
            let graph = nir::export(
                &n,
                &ExportOptions {
                    dt,
                    approximate: false,
                    normalize_thresholds: normalize,
                },
            )
            .unwrap()
            .graph;
            if normalize {
                let thresholds: Vec<f64> = graph
                    .nodes
                    .iter()
                    .flat_map(|node| {
                        node.graph
                            .as_ref()
                            .map_or(vec![node], |g| g.nodes.iter().collect())
                    })
                    .filter_map(|node| node.find("v_threshold"))
                    .flat_map(|t| t.data.clone())
                    .collect();
                assert!(
                    !thresholds.is_empty() && thresholds.iter().all(|&v| v == 1.0),
                    "case {case}: thresholds {thresholds:?}"
                );
            }
            let steps = 12;
            let x = spikes(&mut rng, steps * n.spec.input_size, 0.4);
            let (ours, theirs) = both(&mut n, &graph, dt, &x, steps);
            let fired = ours.iter().filter(|&&v| v == 1.0).count();
            if n.spec.layers.last().map(|l| l.def().kind()) == Some("snu") {
                assert!(fired > 0 && fired < ours.len(), "case {case}: the output fires {fired} of {} times: the comparison would be empty", ours.len());
            }
            let differ = ours
                .iter()
                .zip(&theirs)
                .filter(|(a, b)| (*a - *b).abs() > 1e-4 * b.abs().max(1.0))
                .count();
            assert_eq!(differ, 0, "case {case}, dt {dt}: {differ} of {} outputs differ\nsnu:       {ours:?}\nreference: {theirs:?}", ours.len());
        }
    }
}

#[test]
fn export_then_import_gives_the_same_network() {
    for (case, (input, layers)) in CASES.iter().enumerate() {
        let mut rng = Rng::new(case as u64 + 40);
        let mut n = net(input, layers, 7);
        randomize(&mut n, &mut rng);
        let graph = nir::export(&n, &ExportOptions::default()).unwrap().graph;
        let back = nir::import(&graph, &ImportOptions::default()).unwrap();
        assert_eq!(back.dt, Some(nir::DEFAULT_DT), "the file records its dt");
        assert_eq!(back.input, n.spec.shapes().unwrap()[0]);
        let spec = ModelSpec {
            layers: back.layers.clone(),
            ..n.spec.clone()
        };
        let mut m = Network::new(spec).unwrap_or_else(|e| panic!("case {case}: {e}"));
        for (name, values) in &back.weights {
            m.set_param(name, values)
                .unwrap_or_else(|e| panic!("case {case}: {name}: {e}"));
        }
        assert_eq!(
            m.param_names(),
            n.param_names(),
            "case {case}: the same parameters"
        );
        for name in n.param_names() {
            let (a, b) = (
                &n.param(&name).unwrap().value,
                &m.param(&name).unwrap().value,
            );
            let worst = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max);
            assert!(worst <= 1e-6, "case {case}: {name} comes back {worst} away");
        }
        let steps = 15;
        let x = spikes(&mut rng, steps * 3 * n.spec.input_size, 0.4);
        let a = n.forward(&Batch::inputs(&x, steps, 3)).unwrap().to_vec();
        let b = m.forward(&Batch::inputs(&x, steps, 3)).unwrap().to_vec();
        assert_eq!(
            a, b,
            "case {case}: the imported network computes something else"
        );
    }
}

#[test]
fn what_nir_cannot_express_is_refused_naming_the_layer_or_written_with_a_warning() {
    let refused = [
        (r#"{"type":"snu","units":3}"#, "g is relu", true),
        (
            r#"{"type":"snu","units":3,"g":{"kind":"leakyRelu","alpha":0.1}}"#,
            "g is leakyRelu",
            true,
        ),
        (
            r#"{"type":"snu","units":3,"g":{"kind":"identity"},"output":"sigmoid"}"#,
            "sigmoid output",
            true,
        ),
        (
            r#"{"type":"snu","units":3,"g":{"kind":"identity"},"lateralInhibition":true}"#,
            "lateral inhibition",
            true,
        ),
        (
            r#"{"type":"dense","units":3,"activation":"relu"}"#,
            "relu activation",
            false,
        ),
        (r#"{"type":"lstm","units":3}"#, "lstm layer", false),
    ];
    for (layer, feature, approximable) in refused {
        let n = net(r#""inputSize":4"#, layer, 1);
        let e = nir::export(&n, &ExportOptions::default())
            .err()
            .unwrap_or_else(|| panic!("{layer} exported"))
            .to_string();
        assert!(
            e.contains("layer \"") && e.contains(feature),
            "{layer}: {e}"
        );
        let approx = nir::export(
            &n,
            &ExportOptions {
                approximate: true,
                ..Default::default()
            },
        );
        match approx {
            Ok(x) => {
                assert!(approximable, "{layer}: exported approximately");
                assert!(
                    x.warnings.iter().any(|w| w.contains(feature)),
                    "{layer}: warnings {:?}",
                    x.warnings
                );
            }
            Err(_) => assert!(!approximable, "{layer}: refused even with approximate"),
        }
    }
    let max_pool = net(
        r#""inputSize":16,"inputShape":[1,4,4]"#,
        r#"{"type":"pool2d","kind":"max","poolSize":[2,2]}"#,
        1,
    );
    assert!(nir::export(&max_pool, &ExportOptions::default())
        .err()
        .unwrap()
        .to_string()
        .contains("max pooling"));
    let n = net(
        r#""inputSize":4"#,
        r#"{"type":"snu","units":3,"g":{"kind":"identity"}}"#,
        1,
    );
    for dt in [0.0, -1.0, f64::NAN, 1e4] {
        assert!(
            nir::export(
                &n,
                &ExportOptions {
                    dt,
                    ..Default::default()
                }
            )
            .err()
            .unwrap()
            .to_string()
            .contains("dt"),
            "dt {dt}"
        );
    }
}

// --- Graphs that snu cannot take ------------------------------------------------------------

fn f32s(shape: &[usize], v: f64) -> Tensor {
    Tensor {
        dtype: DType::Float32,
        shape: shape.to_vec(),
        data: vec![v; shape.iter().product()],
    }
}

fn lif(name: &str, n: usize) -> Node {
    Node::new(
        name,
        "LIF",
        vec![
            ("tau", f32s(&[n], 1e-3)),
            ("r", f32s(&[n], 1.0)),
            ("v_leak", f32s(&[n], 0.0)),
            ("v_threshold", f32s(&[n], 1.0)),
            ("v_reset", f32s(&[n], 0.0)),
        ],
    )
}

fn affine(name: &str, n: usize, m: usize, bias: f64) -> Node {
    Node::new(
        name,
        "Affine",
        vec![("weight", f32s(&[n, m], 0.5)), ("bias", f32s(&[n], bias))],
    )
}

fn chain(nodes: Vec<Node>) -> Graph {
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let mut all = vec![Node::new(
        "input",
        "Input",
        vec![("shape", Tensor::ints(&[3]))],
    )];
    all.extend(nodes);
    all.push(Node::new(
        "output",
        "Output",
        vec![("shape", Tensor::ints(&[2]))],
    ));
    let mut edges = vec![];
    let mut last = "input".to_string();
    for n in names.into_iter().chain(["output".to_string()]) {
        edges.push((last, n.clone()));
        last = n;
    }
    Graph {
        nodes: all,
        edges,
        metadata: vec![],
    }
}

fn import_err(g: &Graph, dt: Option<f64>) -> String {
    nir::import(g, &ImportOptions { dt })
        .expect_err("refused")
        .to_string()
}

#[test]
fn a_chain_of_affine_and_lif_imports_with_the_euler_mapping() {
    let g = chain(vec![affine("fc", 2, 3, 0.0), lif("lif", 2)]);
    let got = nir::import(&g, &ImportOptions { dt: Some(1e-4) }).unwrap();
    let snu_core::spec::LayerSpec::Snu(s) = &got.layers[0] else {
        panic!("{:?}", got.layers)
    };
    // l = 1 - dt/tau = 0.9, kappa = r dt/tau = 0.1, b = -v_threshold.
    assert!((s.decay - 0.9).abs() < 1e-6 && s.name.as_deref() == Some("lif"));
    let w = &got.weights.iter().find(|(n, _)| n == "lif.W").unwrap().1;
    assert!(w.iter().all(|&v| (v - 0.05).abs() < 1e-7), "{w:?}");
    assert_eq!(
        got.weights.iter().find(|(n, _)| n == "lif.b").unwrap().1,
        vec![-1.0, -1.0]
    );
}

#[test]
fn biases_and_v_leak_become_the_input_bias_and_cubalif_the_synapse() {
    // LIF at dt 1e-4, tau 1e-3: k = 0.1, kappa = k r = 0.1; c = kappa b + k v_leak.
    let mut leak = lif("lif", 2);
    leak.params[2].1 = f32s(&[2], 0.2);
    let got = nir::import(
        &chain(vec![affine("fc", 2, 3, 0.3), leak]),
        &ImportOptions { dt: Some(1e-4) },
    )
    .unwrap();
    let snu_core::spec::LayerSpec::Snu(s) = &got.layers[0] else {
        panic!()
    };
    assert!(s.input_bias && s.synapse == 0.0);
    let c = &got.weights.iter().find(|(n, _)| n == "lif.c").unwrap().1;
    assert!(
        c.iter()
            .all(|&v| (v - (0.1 * 0.3 + 0.1 * 0.2)).abs() < 1e-7),
        "{c:?}"
    );
    // CubaLIF (the braille network's lif2 constants): k_s = 0.5, alpha = 0.5, kappa = k r k_s w_in = 1.
    let cuba = Node::new(
        "syn",
        "CubaLIF",
        vec![
            ("tau_syn", f32s(&[2], 2e-4)),
            ("tau_mem", f32s(&[2], 1e-3)),
            ("r", f32s(&[2], 10.0)),
            ("v_leak", f32s(&[2], 0.0)),
            ("v_threshold", f32s(&[2], 1.0)),
            ("w_in", f32s(&[2], 2.0)),
        ],
    );
    let got = nir::import(
        &chain(vec![affine("fc", 2, 3, 0.0), cuba]),
        &ImportOptions { dt: Some(1e-4) },
    )
    .unwrap();
    let snu_core::spec::LayerSpec::Snu(s) = &got.layers[0] else {
        panic!()
    };
    assert!(
        (s.synapse - 0.5).abs() < 1e-6 && (s.decay - 0.9).abs() < 1e-6 && !s.input_bias,
        "{s:?}"
    );
    let w = &got.weights.iter().find(|(n, _)| n == "syn.W").unwrap().1;
    assert!(w.iter().all(|&v| (v - 0.5).abs() < 1e-6), "kappa 1: {w:?}");
}

#[test]
fn graphs_snu_cannot_take_are_refused_naming_the_node() {
    let ok = || chain(vec![affine("fc", 2, 3, 0.0), lif("lif", 2)]);
    assert!(import_err(&ok(), None).contains("pass dt"));
    assert!(import_err(&ok(), Some(0.0)).contains("dt"));
    assert!(
        import_err(&ok(), Some(1e-2)).contains("tau"),
        "tau below dt"
    );
    let cuba = |name: &str, n: usize, v_leak: f64| {
        Node::new(
            name,
            "CubaLIF",
            vec![
                ("tau_syn", f32s(&[n], 2e-4)),
                ("tau_mem", f32s(&[n], 1e-3)),
                ("r", f32s(&[n], 10.0)),
                ("v_leak", f32s(&[n], v_leak)),
                ("v_threshold", f32s(&[n], 1.0)),
                ("w_in", f32s(&[n], 2.0)),
            ],
        )
    };
    assert!(import_err(
        &chain(vec![affine("fc", 2, 3, 0.0), cuba("syn", 2, 0.3)]),
        Some(1e-4)
    )
    .contains("past the synapse"));
    let mut uneven = cuba("syn", 2, 0.0);
    uneven.params[0].1.data[1] = 3e-4;
    assert!(
        import_err(&chain(vec![affine("fc", 2, 3, 0.0), uneven]), Some(1e-4))
            .contains("tau_syn differs")
    );
    let mut reset = lif("lif", 2);
    reset.params[4].1 = f32s(&[2], 0.5);
    assert!(
        import_err(&chain(vec![affine("fc", 2, 3, 0.0), reset]), Some(1e-4)).contains("v_reset")
    );
    assert!(import_err(
        &chain(vec![Node::new(
            "s",
            "Scale",
            vec![("scale", f32s(&[3], 2.0))]
        )]),
        Some(1e-4)
    )
    .contains("Scale"));
    assert!(import_err(&chain(vec![lif("lif", 3)]), Some(1e-4)).contains("fed by"));
    let mut branch = ok();
    branch.nodes.push(affine("side", 2, 3, 0.0));
    branch.edges.push(("input".into(), "side".into()));
    assert!(import_err(&branch, Some(1e-4)).contains("feeds 2 nodes"));
    let mut stray = ok();
    stray.nodes.push(affine("stray", 2, 3, 0.0));
    assert!(import_err(&stray, Some(1e-4)).contains("stray"));
    let mut dangling = ok();
    dangling.edges.push(("lif".into(), "nowhere".into()));
    assert!(import_err(&dangling, Some(1e-4)).contains("nowhere"));
    // Shapes a file states are checked before anything is sized by them.
    let mut huge = ok();
    huge.nodes[0].params[0].1 = Tensor::ints(&[1 << 20, 1 << 20, 1 << 20]);
    assert!(import_err(&huge, Some(1e-4)).contains("more than the"));
    let mut wrong = chain(vec![affine("fc", 2, 4, 0.0), lif("lif", 2)]);
    wrong.nodes[0].params[0].1 = Tensor::ints(&[3]);
    assert!(
        import_err(&wrong, Some(1e-4)).contains("[2, 3]"),
        "weight shape against the input"
    );
}

#[test]
fn layer_names_a_nir_file_cannot_keep_are_refused_on_export() {
    let input = r#""inputSize":4"#;
    let snu = |name: &str| {
        format!(r#"{{"type":"snu","name":"{name}","units":3,"g":{{"kind":"identity"}}}}"#)
    };
    let dense = |name: &str| format!(r#"{{"type":"dense","name":"{name}","units":2}}"#);
    let e = |layers: String| {
        nir::export(&net(input, &layers, 1), &ExportOptions::default())
            .err()
            .unwrap_or_else(|| panic!("{layers} exported"))
            .to_string()
    };
    assert_eq!(
        e(snu("a/b")),
        "nir export: node \"a/b_weights\": NIR files (HDF5) read '/' in a node's name as a path; rename the layer"
    );
    for layers in [
        snu("output"),
        format!("{},{}", snu("x"), dense("x_weights")),
        dense("input"),
    ] {
        assert!(
            e(layers.clone()).starts_with("nir export: two nodes would be named"),
            "{layers}"
        );
    }
    assert!(nir::export(
        &net(input, &format!("{},{}", snu("x"), dense("y")), 1),
        &ExportOptions::default()
    )
    .is_ok());
    // 2,048 spiking layers: an Affine and a LIF node each, with input and output 4,098 nodes.
    let deep: Vec<String> = (0..2048).map(|i| snu(&format!("l{i}"))).collect();
    assert_eq!(
        e(deep.join(",")),
        "nir export: the graph would hold 4098 nodes, more than the 4096 NIR readers take"
    );
}

#[test]
fn a_graph_counts_its_values_as_nir_readers_do() {
    // What a file of this graph holds: "a" its type, 6 + 2 numbers and 1 + 4 in metadata (14);
    // "g" its type and its nested graph: a node's type, its shape [3] (1 number), one edge of
    // two names (5); one edge at the top (2), and the graph's dt (1).
    let mut a = affine("a", 2, 3, 0.0);
    a.metadata = vec![
        (
            "note".into(),
            Meta::Text("a long text is one string".into()),
        ),
        ("scale".into(), Meta::Array(f32s(&[2, 2], 1.0))),
    ];
    let mut g = Node::new("g", "NIRGraph", vec![]);
    g.graph = Some(Graph {
        nodes: vec![Node::new("x", "Input", vec![("shape", Tensor::ints(&[3]))])],
        edges: vec![("x".into(), "x".into())],
        metadata: vec![],
    });
    let graph = Graph {
        nodes: vec![a, g],
        edges: vec![("a".into(), "g".into())],
        metadata: vec![("dt".into(), Meta::Array(f32s(&[], 1e-4)))],
    };
    assert_eq!(graph.values(), 14 + 5 + 2 + 1);
}
