//! A NIR graph as snu layers (docs/nir.md): the graph must be a chain from its `Input` to its
//! `Output` (a recurrent layer's cycle aside), and each stretch of it one of
//!
//! ```text
//! Affine/Linear -> LIF/IF/CubaLIF  snu (recurrent when the neuron has a w_rec cycle)
//! Conv2d -> LIF/IF/CubaLIF         snuConv2d
//! Affine/Linear, Conv2d          dense, conv2d (activation none)
//! SumPool2d, AvgPool2d, Flatten  pool2d, flatten
//! ```
//!
//! A LIF stepped by Euler over `dt` is `v_t = (1 - k) v_{t-1} + k (v_leak + r I_t)` with
//! `k = dt/tau`; an IF is `v_t = v_{t-1} + dt r I_t`. So the SNU gets the decay `l = 1 - k`
//! (1 for IF), its weights are the node's scaled by `kappa = k r` (`dt r` for IF) per neuron, and
//! its bias is `b = -v_threshold`; a constant input current (a bias in the weights' node,
//! `v_leak`) becomes the SNU's input bias `c`. A CubaLIF's synaptic current is the SNU's
//! synapse. A reset potential other than 0 has no SNU counterpart and is refused.

use super::graph::{meta_number, meta_text, Graph, Node};
use crate::bail;
use crate::error::Result;
use crate::layers::activation::{DenseActivation, OutputActivation, StateActivation, Surrogate};
use crate::limits::MAX_WIDTH;
use crate::spec::{
    Conv2dSpec, DenseSpec, FlattenSpec, LayerSpec, Pool2dSpec, PoolKind, Shape, SnuConv2dSpec,
    SnuSpec,
};

#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The time step to run the neurons at (seconds); none: the one the file records.
    pub dt: Option<f64>,
}

/// What a graph becomes: the input, the layers, and the weights to set on the built network.
#[derive(Debug)]
pub struct Imported {
    pub input: Shape,
    pub layers: Vec<LayerSpec>,
    /// `(parameter name, values)` in snu's layouts.
    pub weights: Vec<(String, Vec<f32>)>,
    pub dt: Option<f64>,
}

/// A stretch of the chain: a node, with the weights of its recurrence when it has one, under
/// the name it has in the top-level graph (a nested recurrent graph's name, not its neuron's).
struct Link<'a> {
    name: &'a str,
    node: &'a Node,
    recurrent: Option<&'a Node>,
}

const NEURONS: [&str; 3] = ["LIF", "IF", "CubaLIF"];
const WEIGHTS: [&str; 2] = ["Affine", "Linear"];

pub fn import(graph: &Graph, o: &ImportOptions) -> Result<Imported> {
    graph.check_values("nir import")?;
    let dt = o.dt.or_else(|| meta_number(&graph.metadata, "dt"));
    if let Some(dt) = dt {
        if !(dt.is_finite() && dt > 0.0 && dt <= 1e3) {
            bail!("nir import: dt: expected a time step in (0, 1000] seconds, got {dt}");
        }
    }
    let chain = chain(graph)?;
    let input = match chain.first() {
        Some(l) if l.node.kind == "Input" => shape_of(l.node, "shape")?,
        _ => unreachable!("chain starts at the input"),
    };
    let mut out = Imported {
        input,
        layers: vec![],
        weights: vec![],
        dt,
    };
    let mut shape = input;
    let mut i = 1;
    while i < chain.len() - 1 {
        let link = &chain[i];
        let next = chain
            .get(i + 1)
            .filter(|n| NEURONS.contains(&n.node.kind.as_str()));
        let node = link.node;
        let name = layer_name(next.map_or(link.name, |n| n.name));
        match node.kind.as_str() {
            "Affine" | "Linear" | "Conv2d" if next.is_some() => {
                let neuron = next.unwrap();
                let dt = dt.ok_or_else(|| crate::error::Error(format!("nir import: {} needs a time step, and the file does not record one (NIR files do not): pass dt to loadNir, or pass --dt to snu import (snnTorch writes for dt = 1e-4, Norse for 1e-3, Sinabs and Spyx for 1)", neuron.node.label())))?;
                shape = spiking_layer(&mut out, node, neuron, &name, shape, dt)?;
                i += 2;
                continue;
            }
            "Affine" | "Linear" => shape = dense_layer(&mut out, node, &name, shape)?,
            "Conv2d" => shape = conv_layer(&mut out, node, &name, shape, None)?,
            "SumPool2d" | "AvgPool2d" => shape = pool_layer(&mut out, node, &name, shape)?,
            "Flatten" => shape = flatten_layer(&mut out, node, &name, shape)?,
            "LIF" | "IF" | "CubaLIF" => bail!("nir import: {} is fed by {} directly; snu's spiking layers hold their input weights, so a neuron must follow an Affine, Linear or Conv2d node", node.label(), chain[i - 1].node.label()),
            other => bail!("nir import: {}: snu has no layer for NIR's {other} nodes (it imports Affine, Linear, Conv2d, LIF, IF, CubaLIF, SumPool2d, AvgPool2d and Flatten)", node.label()),
        }
        i += 1;
    }
    let output = chain.last().unwrap().node;
    if let Ok(want) = shape_of(output, "shape") {
        if want.len() != shape.len() {
            bail!("nir import: the output node says {want} but the layers give {shape}");
        }
    }
    Ok(out)
}

/// A layer name from a node name: dots (a nested graph's path) become underscores.
fn layer_name(node: &str) -> String {
    node.replace('.', "_")
}

/// The input or output shape a node states: `[n]` or `[C, H, W]`.
fn shape_of(node: &Node, key: &str) -> Result<Shape> {
    let dims = node.ints(key, node.param(key)?.len(), 1)?;
    // Checked before anything is sized by it: a file may state any shape.
    let values: u128 = dims.iter().map(|&d| d as u128).product();
    if values > MAX_WIDTH as u128 {
        bail!("nir import: {}: {key} {dims:?} holds {values} values per step, more than the {MAX_WIDTH} a layer may take", node.label());
    }
    match dims[..] {
        [n] => Ok(Shape::Flat(n)),
        [c, h, w] => Ok(Shape::Image { c, h, w }),
        _ => bail!(
            "nir import: {}: {key} {dims:?}: snu takes flat vectors or [C, H, W] images",
            node.label()
        ),
    }
}

/// The graph as a chain of links from `Input` to `Output`.
fn chain(graph: &Graph) -> Result<Vec<Link<'_>>> {
    let find = |name: &str| graph.nodes.iter().find(|n| n.name == name);
    for (a, b) in &graph.edges {
        for end in [a, b] {
            if find(end).is_none() {
                bail!("nir import: the edge {a:?} -> {b:?} names a node {end:?} the graph does not hold");
            }
        }
    }
    // Recurrences written at the top level (older files): a neuron N and a weights node R with
    // edges N -> R and R -> N, R touching nothing else.
    let mut recurrent: Vec<(&str, &Node)> = vec![];
    for (a, b) in &graph.edges {
        let (Some(na), Some(nb)) = (find(a), find(b)) else {
            continue;
        };
        let touches = |x: &str| graph.edges.iter().filter(|(p, q)| p == x || q == x).count();
        if is_neuron_kind(&na.kind)
            && WEIGHTS.contains(&nb.kind.as_str())
            && graph.edges.contains(&(b.clone(), a.clone()))
            && touches(b) == 2
        {
            recurrent.push((a.as_str(), nb));
        }
    }
    let is_rec = |name: &str| recurrent.iter().any(|(_, r)| r.name == name);
    let inputs: Vec<&Node> = graph.nodes.iter().filter(|n| n.kind == "Input").collect();
    let [start] = inputs[..] else {
        bail!(
            "nir import: the graph has {} Input nodes; snu models take one input",
            inputs.len()
        );
    };
    let mut links = vec![Link {
        name: &start.name,
        node: start,
        recurrent: None,
    }];
    let mut current = start;
    while current.kind != "Output" {
        let next: Vec<&str> = graph
            .edges
            .iter()
            .filter(|(a, b)| a == &current.name && !is_rec(b))
            .map(|(_, b)| b.as_str())
            .collect();
        let [to] = next[..] else {
            if next.is_empty() {
                bail!("nir import: {} feeds no node, so the chain from the input never reaches the output", current.label());
            }
            bail!("nir import: {} feeds {} nodes ({}); snu models are chains of layers, so each node must feed exactly one", current.label(), next.len(), next.join(", "));
        };
        let node = find(to).unwrap();
        if links.iter().any(|l| l.node.name == node.name) {
            bail!("nir import: the chain from the input comes back to {}: a cycle other than a recurrent layer's", node.label());
        }
        let fed_by = graph
            .edges
            .iter()
            .filter(|(a, b)| b == to && !is_rec(a))
            .count();
        if fed_by != 1 {
            bail!("nir import: {} is fed by {fed_by} nodes; snu models are chains of layers, so each node takes one input", node.label());
        }
        let link = match node.graph.as_ref() {
            Some(inner) => nested_recurrent(node, inner)?,
            None => Link {
                name: &node.name,
                node,
                recurrent: recurrent
                    .iter()
                    .find(|(n, _)| *n == node.name)
                    .map(|(_, r)| *r),
            },
        };
        links.push(link);
        current = node;
    }
    let on_chain = |name: &str| {
        links.iter().any(|l| {
            l.name == name
                || (l.node.graph.is_none() && l.recurrent.is_some_and(|r| r.name == name))
        })
    };
    let unused: Vec<&str> = graph
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .filter(|n| !on_chain(n))
        .collect();
    if !unused.is_empty() {
        bail!(
            "nir import: the nodes {} are not on the chain from the input to the output",
            unused.join(", ")
        );
    }
    Ok(links)
}

fn is_neuron_kind(kind: &str) -> bool {
    NEURONS.contains(&kind)
}

/// A nested graph that is a recurrent layer: `input -> neuron <-> w_rec, neuron -> output`.
fn nested_recurrent<'a>(node: &'a Node, inner: &'a Graph) -> Result<Link<'a>> {
    let neurons: Vec<&Node> = inner
        .nodes
        .iter()
        .filter(|n| is_neuron_kind(&n.kind))
        .collect();
    let weights: Vec<&Node> = inner
        .nodes
        .iter()
        .filter(|n| WEIGHTS.contains(&n.kind.as_str()))
        .collect();
    let (neuron, w) = match (&neurons[..], &weights[..]) {
        ([neuron], [w]) if inner.nodes.len() == 4 => (*neuron, *w),
        _ => bail!("nir import: {}: snu imports a nested graph only as a recurrent layer (Input, one neuron, one Affine or Linear on a cycle with it, Output)", node.label()),
    };
    let has = |a: &str, b: &str| inner.edges.iter().any(|(p, q)| p == a && q == b);
    if !(has(&neuron.name, &w.name) && has(&w.name, &neuron.name)) {
        bail!(
            "nir import: {}: its {} and {} are not on a cycle, so it is not a recurrent layer",
            node.label(),
            neuron.label(),
            w.label()
        );
    }
    Ok(Link {
        name: &node.name,
        node: neuron,
        recurrent: Some(w),
    })
}

/// `W` of a weights node `[out, in]`, scaled per output by `kappa`, as snu's `[in, out]`.
fn scaled_weights(node: &Node, n_in: usize, kappa: &[f64]) -> Result<Vec<f32>> {
    let w = node.param("weight")?;
    let n = kappa.len();
    if w.shape != [n, n_in] {
        bail!("nir import: {}: weight has shape {:?}, expected [{n}, {n_in}] ({n} outputs of {n_in} inputs)", node.label(), w.shape);
    }
    let mut out = vec![0.0f32; n_in * n];
    for j in 0..n {
        for i in 0..n_in {
            out[i * n + j] = (w.data[j * n_in + i] * kappa[j]) as f32;
        }
    }
    Ok(out)
}

/// The bias of an Affine node (zeros for Linear), `n` values.
fn bias(node: &Node, n: usize) -> Result<Vec<f64>> {
    if node.kind == "Linear" {
        return Ok(vec![0.0; n]);
    }
    node.per_unit("bias", n)
}

/// The neuron's dynamics per neuron: decay `l`, the synapse's `α` (0 without one), input scale
/// `kappa`, threshold, and the constant current `k v_leak` it adds to the membrane per step.
struct Dynamics {
    decay: Vec<f64>,
    synapse: Vec<f64>,
    kappa: Vec<f64>,
    threshold: Vec<f64>,
    leak_current: Vec<f64>,
}

/// `dt / tau`, which must be at most 1 for the Euler step not to overshoot.
fn step_fraction(node: &Node, what: &str, tau: f64, dt: f64) -> Result<f64> {
    let k = dt / tau;
    if !(tau > 0.0 && k <= 1.0) {
        bail!("nir import: {}: {what} {tau} is not at least dt = {dt}; the Euler step would overshoot (pass a smaller dt)", node.label());
    }
    Ok(k)
}

/// The Euler steps of NIR's neurons over `dt`, per neuron:
/// ```text
/// LIF      v_t = (1 - k) v_{t-1} + k (v_leak + r I_t)                       k = dt/tau
/// IF       v_t = v_{t-1} + dt r I_t
/// CubaLIF  I_t = (1 - k_s) I_{t-1} + k_s w_in S_t;  v_t as the LIF's with I_t   k_s = dt/tau_syn
/// ```
/// so `l = 1 - k`, `α = 1 - k_s`, and the input scale is `k r` (`dt r`; `k r k_s w_in`).
fn dynamics(node: &Node, n: usize, dt: f64) -> Result<Dynamics> {
    let threshold = node.per_unit("v_threshold", n)?;
    if let Some(reset) = node.find("v_reset") {
        if reset.data.iter().any(|&v| v != 0.0) {
            bail!(
                "nir import: {}: v_reset is not 0; the SNU resets its state to 0",
                node.label()
            );
        }
    }
    let r = node.per_unit("r", n)?;
    let mut d = Dynamics {
        decay: vec![],
        synapse: vec![0.0; n],
        kappa: vec![],
        threshold,
        leak_current: vec![0.0; n],
    };
    if node.kind == "IF" {
        d.decay = vec![1.0; n];
        d.kappa = r.iter().map(|r| dt * r).collect();
        return Ok(d);
    }
    let cuba = node.kind == "CubaLIF";
    let tau = node.per_unit(if cuba { "tau_mem" } else { "tau" }, n)?;
    let v_leak = node.per_unit("v_leak", n)?;
    let (tau_syn, w_in) = if cuba {
        (node.per_unit("tau_syn", n)?, node.per_unit("w_in", n)?)
    } else {
        (vec![], vec![])
    };
    for j in 0..n {
        let k = step_fraction(node, if cuba { "tau_mem" } else { "tau" }, tau[j], dt)?;
        d.decay.push(1.0 - k);
        d.leak_current[j] = k * v_leak[j];
        if cuba {
            let k_s = step_fraction(node, "tau_syn", tau_syn[j], dt)?;
            d.synapse[j] = 1.0 - k_s;
            d.kappa.push(k * r[j] * k_s * w_in[j]);
        } else {
            d.kappa.push(k * r[j]);
        }
    }
    if cuba && d.leak_current.iter().any(|&c| c != 0.0) {
        bail!("nir import: {}: v_leak is not 0; into a CubaLIF it is a constant current on the membrane, past the synapse, which the SNU does not have", node.label());
    }
    Ok(d)
}

/// The layer's one synaptic `α`, or an error if its neurons differ.
fn synapse_of(d: &Dynamics, neuron: &Node) -> Result<f32> {
    let first = d.synapse.first().copied().unwrap_or(0.0);
    if d.synapse.iter().any(|&a| (a - first).abs() > 1e-7) {
        bail!(
            "nir import: {}: tau_syn differs between neurons; snu gives a layer one synapse",
            neuron.label()
        );
    }
    Ok(first as f32)
}

/// The constant input current per step, `c = kappa ⊙ (bias of the weights) + k v_leak`: the
/// layer's input bias, if any value is not 0.
fn input_current(bias_current: &[f64], leak_current: &[f64]) -> Option<Vec<f32>> {
    let c: Vec<f32> = bias_current
        .iter()
        .zip(leak_current)
        .map(|(b, l)| (b + l) as f32)
        .collect();
    c.iter().any(|&v| v != 0.0).then_some(c)
}

/// An `Affine/Linear -> neuron` or `Conv2d -> neuron` pair as an snu or snuConv2d layer.
fn spiking_layer(
    out: &mut Imported,
    weights: &Node,
    neuron: &Link,
    name: &str,
    input: Shape,
    dt: f64,
) -> Result<Shape> {
    if weights.kind == "Conv2d" {
        return conv_layer(out, weights, name, input, Some((neuron, dt)));
    }
    let n = weights.param("weight")?.shape.first().copied().unwrap_or(0);
    if let Shape::Image { .. } = input {
        bail!(
            "nir import: {} takes [C, H, W] images; put a Flatten node before it",
            weights.label()
        );
    }
    let d = dynamics(neuron.node, n, dt)?;
    let mut current: Vec<f64> = bias(weights, n)?
        .iter()
        .zip(&d.kappa)
        .map(|(b, k)| b * k)
        .collect();
    let w = scaled_weights(weights, input.len(), &d.kappa)?;
    out.weights.push((format!("{name}.W"), w));
    if let Some(rec) = neuron.recurrent {
        out.weights
            .push((format!("{name}.H"), scaled_weights(rec, n, &d.kappa)?));
        for (c, (b, k)) in current.iter_mut().zip(bias(rec, n)?.iter().zip(&d.kappa)) {
            *c += b * k;
        }
    }
    let u = unit_params(
        out,
        name,
        neuron.node,
        &d,
        &d.decay,
        &d.threshold,
        &current,
        &d.leak_current,
    )?;
    out.layers.push(LayerSpec::Snu(SnuSpec {
        units: n,
        name: Some(name.to_string()),
        output: OutputActivation::Step,
        g: StateActivation::Identity,
        recurrent: neuron.recurrent.is_some(),
        decay: u.decay,
        trainable_decay: u.trainable_decay,
        surrogate: u.training.surrogate,
        detach_reset: u.training.detach_reset,
        lateral_inhibition: false,
        initial_bias: u.training.initial_bias,
        input_bias: u.input_bias,
        synapse: u.synapse,
        dropout: u.training.dropout,
    }));
    Ok(Shape::Flat(n))
}

/// What an SNU layer takes from its neuron besides the weights: its options, and its
/// parameters pushed onto `out` (a trainable decay, `b = -v_threshold`, the input bias `c`),
/// one value per entry of `decay` and `threshold` (per unit, or per filter of snuConv2d).
struct UnitParams {
    decay: f32,
    trainable_decay: bool,
    input_bias: bool,
    synapse: f32,
    training: Training,
}

#[allow(clippy::too_many_arguments)]
fn unit_params(
    out: &mut Imported,
    name: &str,
    neuron: &Node,
    d: &Dynamics,
    decay: &[f64],
    threshold: &[f64],
    bias_current: &[f64],
    leak_current: &[f64],
) -> Result<UnitParams> {
    let c = input_current(bias_current, leak_current);
    let synapse = synapse_of(d, neuron)?;
    let training = training_options(neuron);
    let (decay_value, trainable_decay) = decay_of(decay, neuron, training.trainable_decay)?;
    if trainable_decay {
        out.weights.push((
            format!("{name}.decay"),
            decay.iter().map(|&l| l as f32).collect(),
        ));
    }
    out.weights.push((
        format!("{name}.b"),
        threshold.iter().map(|&t| -t as f32).collect(),
    ));
    let input_bias = c.is_some();
    if let Some(c) = c {
        out.weights.push((format!("{name}.c"), c));
    }
    Ok(UnitParams {
        decay: decay_value,
        trainable_decay,
        input_bias,
        synapse,
        training,
    })
}

/// Training options NIR has no field for, from the `snu_layer` metadata snu writes on a
/// layer's neuron (`export::LAYER_META`); defaults for files from elsewhere.
struct Training {
    trainable_decay: bool,
    surrogate: Surrogate,
    detach_reset: bool,
    dropout: f32,
    initial_bias: f32,
}

fn training_options(neuron: &Node) -> Training {
    let spec = meta_text(&neuron.metadata, super::export::LAYER_META)
        .and_then(|json| serde_json::from_str::<LayerSpec>(json).ok());
    match spec {
        Some(LayerSpec::Snu(s)) => Training {
            trainable_decay: s.trainable_decay,
            surrogate: s.surrogate,
            detach_reset: s.detach_reset,
            dropout: s.dropout,
            initial_bias: s.initial_bias,
        },
        Some(LayerSpec::SnuConv2d(s)) => Training {
            trainable_decay: s.trainable_decay,
            surrogate: s.surrogate,
            detach_reset: s.detach_reset,
            dropout: s.dropout,
            initial_bias: s.initial_bias,
        },
        _ => Training {
            trainable_decay: false,
            surrogate: Surrogate::default(),
            detach_reset: false,
            dropout: 0.0,
            initial_bias: 0.0,
        },
    }
}

/// One decay for all neurons, or (when they differ, or the file says it was trained) a
/// trainable decay per neuron, which must then be below 1.
fn decay_of(decays: &[f64], neuron: &Node, trainable: bool) -> Result<(f32, bool)> {
    let first = decays.first().copied().unwrap_or(0.0);
    if !trainable
        && decays
            .iter()
            .all(|&l| (l - first).abs() <= 1e-7 * first.abs().max(1e-30))
    {
        return Ok((first as f32, false));
    }
    if decays.iter().any(|&l| l >= 1.0) {
        bail!("nir import: {}: neurons without leak mixed with leaky ones; snu gives a layer one decay, or trainable ones below 1", neuron.label());
    }
    Ok((
        decays.iter().sum::<f64>() as f32 / decays.len() as f32,
        true,
    ))
}

fn dense_layer(out: &mut Imported, node: &Node, name: &str, input: Shape) -> Result<Shape> {
    if let Shape::Image { .. } = input {
        bail!(
            "nir import: {} takes [C, H, W] images; put a Flatten node before it",
            node.label()
        );
    }
    let n = node.param("weight")?.shape.first().copied().unwrap_or(0);
    out.weights.push((
        format!("{name}.W"),
        scaled_weights(node, input.len(), &vec![1.0; n])?,
    ));
    let use_bias = node.kind == "Affine";
    if use_bias {
        out.weights.push((
            format!("{name}.b"),
            bias(node, n)?.iter().map(|&b| b as f32).collect(),
        ));
    }
    out.layers.push(LayerSpec::Dense(DenseSpec {
        units: n,
        name: Some(name.to_string()),
        activation: DenseActivation::None,
        use_bias,
        tied_to: None,
        dropout: 0.0,
    }));
    Ok(Shape::Flat(n))
}

/// A Conv2d node as a conv2d layer, or with a neuron after it as an snuConv2d layer.
fn conv_layer(
    out: &mut Imported,
    node: &Node,
    name: &str,
    input: Shape,
    neuron: Option<(&Link, f64)>,
) -> Result<Shape> {
    let Shape::Image { c, h, w } = input else {
        bail!(
            "nir import: {} takes [C, H, W] images but receives {input}",
            node.label()
        );
    };
    let weight = node.param("weight")?;
    let [f, wc, kh, kw] = weight.shape[..] else {
        bail!(
            "nir import: {}: weight has shape {:?}, expected [filters, channels, KH, KW]",
            node.label(),
            weight.shape
        );
    };
    if node.find("groups").is_some() && node.ints("groups", 1, 1)? != [1] {
        bail!("nir import: {}: grouped convolution (groups > 1); snu convolutions connect every input channel", node.label());
    }
    if wc != c {
        bail!(
            "nir import: {}: weight has {wc} input channels but receives {c}",
            node.label()
        );
    }
    let stride = node.ints("stride", 2, 1)?;
    let padding = node.ints("padding", 2, 0)?;
    let dilation = node.ints("dilation", 2, 1)?;
    if let Some(v) = [&stride, &padding, &dilation]
        .iter()
        .flat_map(|v| v.iter())
        .find(|&&v| v > MAX_WIDTH)
    {
        bail!("nir import: {}: a stride, padding or dilation of {v}, more than the {MAX_WIDTH} an image side may be", node.label());
    }
    let geometry = crate::kernels::conv::ConvGeometry {
        in_c: c,
        in_h: h,
        in_w: w,
        out_c: f,
        kernel: [kh, kw],
        stride: [stride[0], stride[1]],
        padding: [padding[0], padding[1]],
        dilation: [dilation[0], dilation[1]],
    };
    geometry.check(&format!("nir import: {}", node.label()))?;
    if geometry.out_len() > MAX_WIDTH {
        bail!(
            "nir import: {}: gives {} values per step, more than the {MAX_WIDTH} a layer may give",
            node.label(),
            geometry.out_len()
        );
    }
    let [oh, ow] = geometry.out_hw();
    let positions = oh * ow;
    let bias = node.per_unit("bias", f)?;
    let w_of = |kappa: &[f64]| -> Vec<f32> {
        weight
            .data
            .iter()
            .enumerate()
            .map(|(i, &v)| (v * kappa[i / (c * kh * kw)]) as f32)
            .collect()
    };
    let shape = Shape::Image { c: f, h: oh, w: ow };
    let Some((link, dt)) = neuron else {
        out.weights.push((format!("{name}.W"), w_of(&vec![1.0; f])));
        out.weights.push((
            format!("{name}.b"),
            bias.iter().map(|&b| b as f32).collect(),
        ));
        out.layers.push(LayerSpec::Conv2d(Conv2dSpec {
            filters: f,
            kernel_size: [kh, kw],
            name: Some(name.to_string()),
            stride: geometry.stride,
            padding: geometry.padding,
            dilation: geometry.dilation,
            activation: DenseActivation::None,
            use_bias: true,
            dropout: 0.0,
        }));
        return Ok(shape);
    };
    if link.recurrent.is_some() {
        bail!("nir import: {}: a recurrent convolutional neuron; snu's snuConv2d has no recurrent weights", link.node.label());
    }
    let d = dynamics(link.node, f * positions, dt)?;
    // snuConv2d shares decay and bias across a filter's positions: they must agree there.
    let per_filter = |values: &[f64], what: &str| -> Result<Vec<f64>> {
        (0..f)
            .map(|k| {
                let s = &values[k * positions..(k + 1) * positions];
                if s.iter().any(|&v| (v - s[0]).abs() > 1e-7 * s[0].abs().max(1e-30)) {
                    bail!("nir import: {}: {what} differs between the positions of filter {k}; snuConv2d holds one per filter", link.node.label());
                }
                Ok(s[0])
            })
            .collect()
    };
    let decay = per_filter(&d.decay, "the time constant")?;
    let kappa = per_filter(&d.kappa, "the input scale (r and tau)")?;
    let threshold = per_filter(&d.threshold, "v_threshold")?;
    let current: Vec<f64> = bias.iter().zip(&kappa).map(|(b, k)| b * k).collect();
    let leak = per_filter(&d.leak_current, "v_leak")?;
    out.weights.push((format!("{name}.W"), w_of(&kappa)));
    let u = unit_params(
        out, name, link.node, &d, &decay, &threshold, &current, &leak,
    )?;
    out.layers.push(LayerSpec::SnuConv2d(SnuConv2dSpec {
        filters: f,
        kernel_size: [kh, kw],
        name: Some(name.to_string()),
        stride: geometry.stride,
        padding: geometry.padding,
        dilation: geometry.dilation,
        output: OutputActivation::Step,
        g: StateActivation::Identity,
        decay: u.decay,
        trainable_decay: u.trainable_decay,
        surrogate: u.training.surrogate,
        detach_reset: u.training.detach_reset,
        lateral_inhibition: false,
        initial_bias: u.training.initial_bias,
        input_bias: u.input_bias,
        synapse: u.synapse,
        dropout: u.training.dropout,
    }));
    Ok(shape)
}

fn pool_layer(out: &mut Imported, node: &Node, name: &str, input: Shape) -> Result<Shape> {
    let Shape::Image { c, .. } = input else {
        bail!(
            "nir import: {} takes [C, H, W] images but receives {input}",
            node.label()
        );
    };
    let k = node.ints("kernel_size", 2, 1)?;
    let stride = node.ints("stride", 2, 1)?;
    if node.ints("padding", 2, 0)? != [0, 0] {
        bail!(
            "nir import: {}: padded pooling; snu's pooling windows tile the unpadded input",
            node.label()
        );
    }
    let kind = if node.kind == "SumPool2d" {
        PoolKind::Sum
    } else {
        PoolKind::Avg
    };
    let spec = Pool2dSpec {
        kind,
        pool_size: [k[0], k[1]],
        stride: Some([stride[0], stride[1]]),
        name: Some(name.to_string()),
    };
    let geometry = spec.geometry(&format!("nir import: {}", node.label()), input)?;
    let [oh, ow] = geometry.out_hw();
    out.layers.push(LayerSpec::Pool2d(spec));
    Ok(Shape::Image { c, h: oh, w: ow })
}

fn flatten_layer(out: &mut Imported, node: &Node, name: &str, input: Shape) -> Result<Shape> {
    let Shape::Image { .. } = input else {
        bail!(
            "nir import: {} receives a flat vector already",
            node.label()
        );
    };
    let start = node
        .param("start_dim")?
        .data
        .first()
        .copied()
        .unwrap_or(0.0);
    let end = node.param("end_dim")?.data.first().copied().unwrap_or(-1.0);
    if start != 0.0 || !(end == -1.0 || end == 2.0) {
        bail!("nir import: {}: flattens dims {start} to {end}; snu flattens whole [C, H, W] images (start_dim 0, end_dim -1)", node.label());
    }
    out.layers.push(LayerSpec::Flatten(FlattenSpec {
        name: Some(name.to_string()),
    }));
    Ok(Shape::Flat(input.len()))
}
