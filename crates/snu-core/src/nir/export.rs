//! A network as a NIR graph (docs/nir.md). Each layer becomes one node or two:
//!
//! ```text
//! snu, l < 1      Affine(W^T, 0) -> LIF  tau = dt/(1-l), r = 1/(1-l), v_leak = 0,
//!                                          v_threshold = -b, v_reset = 0
//! snu, l = 1      Affine(W^T, 0) -> IF   r = 1/dt, v_threshold = -b, v_reset = 0
//! recurrent snu   Affine(W^T, 0) -> NIRGraph { input -> lif <-> w_rec = Affine(H^T, 0), lif -> output }
//! snuConv2d       Conv2d(W, 0)   -> LIF / IF with [filters, OH, OW] parameters
//! conv2d, dense   Conv2d / Affine (activation none only)
//! pool2d          AvgPool2d / SumPool2d        flatten   Flatten
//! ```
//!
//! With those values, NIR's `tau dv/dt = (v_leak - v) + r I` stepped by Euler over `dt` is
//! `v_t = (1 - dt/tau) v_{t-1} + (dt/tau) r I_t = l v_{t-1} + I_t`: the SNU's
//! `s_t = W x_t + l s_{t-1} (1 - y_{t-1})` with `g` the identity, spiking when `s_t > -b` and
//! resetting to 0. What NIR cannot express is refused, naming the layer and the feature, unless
//! `approximate` is set; then it is written as the nearest NIR node and a warning says what changes.

use super::graph::{Graph, Meta, Node, Tensor};
use crate::bail;
use crate::error::Result;
use crate::layers::activation::{DenseActivation, OutputActivation, StateActivation};
use crate::limits::MAX_NIR_NODES;
use crate::network::Network;
use crate::spec::{LayerSpec, PoolKind, Shape};

/// `dt` written when none is given: snnTorch's, so that its importer maps `l` to `beta` exactly.
pub const DEFAULT_DT: f64 = 1e-4;

#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The time step the neurons' time constants are written for (seconds).
    pub dt: f64,
    /// Write what NIR cannot express as the nearest node instead of refusing it.
    pub approximate: bool,
    /// Write every threshold as 1, each unit's input weights (and input bias) divided by its
    /// threshold `-b`: the same spikes (the state is scaled by a positive factor, and `g` is
    /// positively homogeneous), for importers that take one threshold per layer (snnTorch).
    pub normalize_thresholds: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            dt: DEFAULT_DT,
            approximate: false,
            normalize_thresholds: false,
        }
    }
}

pub struct Exported {
    pub graph: Graph,
    /// What `approximate` changed, one sentence per feature and layer.
    pub warnings: Vec<String>,
}

/// Refusals, or with `approximate`, warnings.
struct Gaps<'a> {
    approximate: bool,
    warnings: &'a mut Vec<String>,
}

impl Gaps<'_> {
    /// `feature` of `layer` cannot be written exactly: an error, or a warning saying `change`.
    fn gap(&mut self, layer: &str, feature: &str, change: &str) -> Result<()> {
        if !self.approximate {
            bail!("nir export: layer {layer:?}: {feature}; NIR cannot express it (to write it anyway, pass approximate: true to toNir or pass --approximate to snu export: {change})");
        }
        self.warnings
            .push(format!("layer {layer:?}: {feature}: {change}"));
        Ok(())
    }
}

pub fn export(net: &Network, o: &ExportOptions) -> Result<Exported> {
    if !(o.dt.is_finite() && o.dt > 0.0 && o.dt <= 1e3) {
        bail!(
            "nir export: dt: expected a time step in (0, 1000] seconds, got {}",
            o.dt
        );
    }
    let shapes = net.spec.shapes()?;
    let mut warnings = vec![];
    let mut gaps = Gaps {
        approximate: o.approximate,
        warnings: &mut warnings,
    };
    let mut nodes = vec![Node::new(
        "input",
        "Input",
        vec![("shape", Tensor::ints(&dims(shapes[0])))],
    )];
    let mut edges = vec![];
    let mut last = "input".to_string();
    for (i, layer) in net.spec.layers.iter().enumerate() {
        let name = &net.layer_names()[i];
        if net.layer_on_crossbar(i) {
            gaps.gap(
                name,
                "its weights live on a simulated PCM crossbar",
                "the ideal weights are written, not the programmed conductances or their noise",
            )?;
        }
        let mut layer_nodes = layer_nodes(net, layer, name, shapes[i], o.dt, &mut gaps)?;
        if o.normalize_thresholds && matches!(layer, LayerSpec::Snu(_) | LayerSpec::SnuConv2d(_)) {
            normalize_thresholds(&mut layer_nodes, name, value(net, name, "b")?)?;
        }
        for node in layer_nodes {
            edges.push((last.clone(), node.name.clone()));
            last = node.name.clone();
            nodes.push(node);
        }
    }
    nodes.push(Node::new(
        "output",
        "Output",
        vec![("shape", Tensor::ints(&dims(*shapes.last().unwrap())))],
    ));
    edges.push((last, "output".to_string()));
    check_node_names(&nodes)?;
    let metadata = vec![
        (
            "dt".to_string(),
            Meta::Array(Tensor {
                dtype: super::graph::DType::Float64,
                shape: vec![],
                data: vec![o.dt],
            }),
        ),
        ("producer".to_string(), Meta::Text("snu".to_string())),
    ];
    let graph = Graph {
        nodes,
        edges,
        metadata,
    };
    graph.check_values("nir export")?;
    Ok(Exported { graph, warnings })
}

fn dims(s: Shape) -> Vec<usize> {
    match s {
        Shape::Flat(n) => vec![n],
        Shape::Image { c, h, w } => vec![c, h, w],
    }
}

/// `W` `[in, n]` as NIR's `[n, in]`.
fn transposed(w: &[f32], rows: usize, cols: usize) -> Tensor {
    Tensor::f32s(
        vec![cols, rows],
        (0..cols).flat_map(|j| (0..rows).map(move |i| w[i * cols + j])),
    )
}

/// A NIR file keeps each node as an HDF5 group named after it: a name holding `/` would be
/// read as a path, and a name used twice would write one node over another. Layer names allow
/// both, and a spiking layer `x` also writes `x_weights`. The nodes of nested graphs count
/// towards `MAX_NIR_NODES`, which readers refuse beyond.
fn check_node_names(nodes: &[Node]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for node in nodes {
        if node.name.contains('/') {
            bail!("nir export: node {:?}: NIR files (HDF5) read '/' in a node's name as a path; rename the layer", node.name);
        }
        if !seen.insert(node.name.as_str()) {
            bail!("nir export: two nodes would be named {:?} (a layer's name is its node's; a spiking layer x also writes x_weights, and \"input\" and \"output\" are the graph's own); rename the layer", node.name);
        }
    }
    fn count(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| 1 + n.graph.as_ref().map_or(0, |g| count(&g.nodes)))
            .sum()
    }
    let total = count(nodes);
    if total > MAX_NIR_NODES {
        bail!("nir export: the graph would hold {total} nodes, more than the {MAX_NIR_NODES} NIR readers take");
    }
    Ok(())
}

fn value<'a>(net: &'a Network, name: &str, key: &str) -> Result<&'a [f32]> {
    Ok(&net.param(&format!("{name}.{key}"))?.value)
}

/// The nodes of one layer, in order.
fn layer_nodes(
    net: &Network,
    layer: &LayerSpec,
    name: &str,
    input: Shape,
    dt: f64,
    gaps: &mut Gaps,
) -> Result<Vec<Node>> {
    let weights = format!("{name}_weights");
    Ok(match layer {
        LayerSpec::Snu(s) => {
            let (n_in, n) = (input.len(), s.units);
            let unit = Unit { output: s.output, g: s.g, lateral_inhibition: s.lateral_inhibition };
            unit.check(name, gaps)?;
            // The input bias c is the Affine's bias: (dt/tau) r = 1 passes it on unscaled.
            let c = if s.input_bias { value(net, name, "c")?.to_vec() } else { vec![0.0; n] };
            let affine = Node::new(&weights, "Affine", vec![("weight", transposed(value(net, name, "W")?, n_in, n)), ("bias", Tensor::f32s(vec![n], c))]);
            let dynamics = Dynamics { decay: s.decay, trainable: s.trainable_decay, synapse: s.synapse };
            let mut neuron = neuron_node("lif", net, name, &dynamics, &[n], 1, dt)?;
            neuron.metadata.push(layer_meta(layer));
            if s.recurrent {
                let h = transposed(value(net, name, "H")?, n, n);
                let mut graph_node = Node::new(name, "NIRGraph", vec![]);
                graph_node.graph = Some(Graph {
                    nodes: vec![
                        Node::new("input", "Input", vec![("shape", Tensor::ints(&[n]))]),
                        neuron,
                        Node::new("w_rec", "Affine", vec![("weight", h), ("bias", Tensor::f32s(vec![n], vec![0.0; n]))]),
                        Node::new("output", "Output", vec![("shape", Tensor::ints(&[n]))]),
                    ],
                    edges: [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
                    metadata: vec![],
                });
                vec![affine, graph_node]
            } else {
                let mut neuron = neuron;
                neuron.name = name.to_string();
                vec![affine, neuron]
            }
        }
        LayerSpec::SnuConv2d(s) => {
            let unit = Unit { output: s.output, g: s.g, lateral_inhibition: s.lateral_inhibition };
            unit.check(name, gaps)?;
            let geometry = s.geometry(name, input)?;
            let c = if s.input_bias { Some(value(net, name, "c")?) } else { None };
            let conv = conv_node(&weights, net, name, &geometry, c)?;
            let [oh, ow] = geometry.out_hw();
            let dynamics = Dynamics { decay: s.decay, trainable: s.trainable_decay, synapse: s.synapse };
            let mut neuron = neuron_node("lif", net, name, &dynamics, &[s.filters, oh, ow], oh * ow, dt)?;
            neuron.name = name.to_string();
            neuron.metadata.push(layer_meta(layer));
            vec![conv, neuron]
        }
        LayerSpec::Dense(d) => {
            if d.activation != DenseActivation::None {
                bail!("nir export: layer {name:?}: the {} activation of a dense layer; NIR has no node for it (use activation 'none' or a spiking layer)", activation_name(d.activation));
            }
            let (n_in, n) = (input.len(), d.units);
            let w = match &d.tied_to {
                Some(target) => {
                    // A tied layer uses the transpose of the embedding's [vocab, units] matrix.
                    let e = value(net, target, "E")?;
                    Tensor::f32s(vec![n, n_in], e.iter().copied())
                }
                None => transposed(value(net, name, "W")?, n_in, n),
            };
            let bias = if d.use_bias { value(net, name, "b")?.to_vec() } else { vec![0.0; n] };
            vec![Node::new(name, "Affine", vec![("weight", w), ("bias", Tensor::f32s(vec![n], bias))])]
        }
        LayerSpec::Conv2d(c) => {
            if c.activation != DenseActivation::None {
                bail!("nir export: layer {name:?}: the {} activation of a conv2d layer; NIR has no node for it (use activation 'none' or snuConv2d)", activation_name(c.activation));
            }
            let bias = if c.use_bias { Some(value(net, name, "b")?) } else { None };
            vec![conv_node(name, net, name, &c.geometry(name, input)?, bias)?]
        }
        LayerSpec::Pool2d(p) => {
            let kind = match p.kind {
                PoolKind::Avg => "AvgPool2d",
                PoolKind::Sum => "SumPool2d",
                PoolKind::Max => bail!("nir export: layer {name:?}: max pooling; NIR has sum and average pooling only (use pool2d kind 'sum' or 'avg')"),
            };
            let stride = p.stride.unwrap_or(p.pool_size);
            vec![Node::new(name, kind, vec![("kernel_size", Tensor::ints(&p.pool_size)), ("stride", Tensor::ints(&stride)), ("padding", Tensor::ints(&[0, 0]))])]
        }
        LayerSpec::Flatten(_) => vec![Node::new(
            name,
            "Flatten",
            vec![("start_dim", Tensor::int(0)), ("end_dim", Tensor::int(-1)), ("input_type", Tensor::ints(&dims(input)))],
        )],
        LayerSpec::Embedding(_) => bail!("nir export: layer {name:?}: an embedding (token ids to vectors); NIR has no node for it"),
        LayerSpec::Rnn(_) | LayerSpec::Lstm(_) | LayerSpec::Gru(_) => {
            bail!("nir export: layer {name:?}: a {} layer; NIR has no node for non-spiking recurrent cells", layer.def().kind())
        }
    })
}

/// The layer's snu spec, kept in its neuron's `metadata` (other tools ignore it): an import
/// takes back the training options NIR has no field for (trainable decay, surrogate, dropout).
pub const LAYER_META: &str = "snu_layer";

fn layer_meta(layer: &LayerSpec) -> (String, Meta) {
    (
        LAYER_META.to_string(),
        Meta::Text(serde_json::to_string(layer).expect("a spec serializes")),
    )
}

fn activation_name(a: DenseActivation) -> &'static str {
    match a {
        DenseActivation::None => "none",
        DenseActivation::Relu => "relu",
        DenseActivation::Sigmoid => "sigmoid",
        DenseActivation::Tanh => "tanh",
    }
}

/// Divides each unit's input weights and input bias (the rows of the weights node and of a
/// recurrent `w_rec`) by its threshold `theta = -b` and sets every threshold to 1: the state is
/// scaled by `1/theta`, which leaves `s > theta` and the reset to 0 unchanged. `b` holds one
/// value per weights row (per unit, or per filter of a convolution).
fn normalize_thresholds(nodes: &mut [Node], layer: &str, b: &[f32]) -> Result<()> {
    if let Some(j) = b.iter().position(|&b| b >= 0.0) {
        bail!("nir export: layer {layer:?}: unit {j} has the threshold {} (b = {}), not above 0, so it cannot be scaled to 1", -b[j], b[j]);
    }
    let scale_rows = |t: &mut Tensor| {
        let per_row = t.data.len() / b.len();
        for (row, &bj) in t.data.chunks_exact_mut(per_row).zip(b) {
            row.iter_mut().for_each(|v| *v /= -(bj as f64));
        }
    };
    let mut scale_node = |node: &mut Node| {
        for (key, t) in &mut node.params {
            match (node.kind.as_str(), key.as_str()) {
                ("Affine" | "Conv2d", "weight" | "bias") => scale_rows(t),
                (_, "v_threshold") => t.data.iter_mut().for_each(|v| *v = 1.0),
                _ => {}
            }
        }
    };
    for node in nodes.iter_mut() {
        match &mut node.graph {
            Some(inner) => inner.nodes.iter_mut().for_each(&mut scale_node),
            None => scale_node(node),
        }
    }
    Ok(())
}

/// The SNU options that decide whether the unit is a NIR LIF.
struct Unit {
    output: OutputActivation,
    g: StateActivation,
    lateral_inhibition: bool,
}

impl Unit {
    fn check(&self, name: &str, gaps: &mut Gaps) -> Result<()> {
        match self.g {
            StateActivation::Identity => {}
            StateActivation::Relu => gaps.gap(
                name,
                "g is relu (the membrane state is clipped at 0)",
                "the LIF's membrane can go below 0 where this layer's state stays at 0",
            )?,
            StateActivation::LeakyRelu { .. } => gaps.gap(
                name,
                "g is leakyRelu (the negative state is scaled)",
                "the LIF's membrane is not scaled below 0",
            )?,
        }
        if self.output == OutputActivation::Sigmoid {
            gaps.gap(
                name,
                "the sigmoid output of an sSNU (a rate, not a spike)",
                "the neuron spikes (0 or 1) where this layer gives sigmoid(s + b)",
            )?;
        }
        if self.lateral_inhibition {
            gaps.gap(
                name,
                "lateral inhibition (any spike resets the whole layer)",
                "each neuron resets on its own spike only",
            )?;
        }
        Ok(())
    }
}

/// The time constants of an SNU layer: its decay (fixed, or the trainable values) and synapse.
struct Dynamics {
    decay: f32,
    trainable: bool,
    synapse: f32,
}

/// The neuron node of an SNU layer named `layer` whose neurons have `shape`: a LIF, an IF for
/// `l = 1`, a CubaLIF with a synapse. A trainable decay and the bias hold one value per `shared`
/// neurons (a conv filter's positions).
fn neuron_node(
    node: &str,
    net: &Network,
    layer: &str,
    d: &Dynamics,
    shape: &[usize],
    shared: usize,
    dt: f64,
) -> Result<Node> {
    let count: usize = shape.iter().product();
    let b = value(net, layer, "b")?;
    let decays: Vec<f64> = if d.trainable {
        value(net, layer, "decay")?
            .iter()
            .map(|&l| l as f64)
            .collect()
    } else {
        vec![d.decay as f64; b.len()]
    };
    let per_neuron = |per: &dyn Fn(usize) -> f64| {
        Tensor::f32s(shape.to_vec(), (0..count).map(|i| per(i / shared) as f32))
    };
    let threshold = per_neuron(&|u| -(b[u] as f64));
    let zeros = per_neuron(&|_| 0.0);
    let no_leak = decays.iter().all(|&l| l == 1.0);
    if no_leak && d.synapse > 0.0 {
        bail!("nir export: layer {layer:?}: a synaptic current into neurons without leak (decay 1); NIR has no current-based IF");
    }
    if no_leak {
        // No leak: NIR's IF, dv/dt = r I, stepped over dt: v_t = v_{t-1} + dt r I_t.
        return Ok(Node::new(
            node,
            "IF",
            vec![
                ("r", per_neuron(&|_| 1.0 / dt)),
                ("v_threshold", threshold),
                ("v_reset", zeros),
            ],
        ));
    }
    // tau = dt / (1 - l), r = 1 / (1 - l): dt/tau = 1 - l and (dt/tau) r = 1.
    let tau = per_neuron(&|u| dt / (1.0 - decays[u]).max(f64::MIN_POSITIVE));
    let r = per_neuron(&|u| 1.0 / (1.0 - decays[u]).max(f64::MIN_POSITIVE));
    if d.synapse > 0.0 {
        // CubaLIF: tau_syn dI/dt = -I + w_in S stepped over dt is I_t = α I_{t-1} + S_t with
        // tau_syn = dt / (1 - α), w_in = 1 / (1 - α); then v as for the LIF, fed by I_t.
        let alpha = d.synapse as f64;
        return Ok(Node::new(
            node,
            "CubaLIF",
            vec![
                ("tau_syn", per_neuron(&|_| dt / (1.0 - alpha))),
                ("tau_mem", tau),
                ("r", r),
                ("v_leak", zeros.clone()),
                ("v_threshold", threshold),
                ("v_reset", zeros.clone()),
                ("w_in", per_neuron(&|_| 1.0 / (1.0 - alpha))),
            ],
        ));
    }
    Ok(Node::new(
        node,
        "LIF",
        vec![
            ("tau", tau),
            ("r", r),
            ("v_leak", zeros.clone()),
            ("v_threshold", threshold),
            ("v_reset", zeros),
        ],
    ))
}

/// A Conv2d node of layer `layer`'s kernels, with `bias` per filter (zeros if none).
fn conv_node(
    node: &str,
    net: &Network,
    layer: &str,
    g: &crate::kernels::conv::ConvGeometry,
    bias: Option<&[f32]>,
) -> Result<Node> {
    let w = value(net, layer, "W")?;
    let bias = bias.map_or_else(|| vec![0.0; g.out_c], <[f32]>::to_vec);
    Ok(Node::new(
        node,
        "Conv2d",
        vec![
            (
                "weight",
                Tensor::f32s(
                    vec![g.out_c, g.in_c, g.kernel[0], g.kernel[1]],
                    w.iter().copied(),
                ),
            ),
            ("bias", Tensor::f32s(vec![g.out_c], bias)),
            ("stride", Tensor::ints(&g.stride)),
            ("padding", Tensor::ints(&g.padding)),
            ("dilation", Tensor::ints(&g.dilation)),
            ("groups", Tensor::int(1)),
            ("input_shape", Tensor::ints(&[g.in_h, g.in_w])),
        ],
    ))
}
