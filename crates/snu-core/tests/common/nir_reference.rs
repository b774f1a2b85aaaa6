//! An independent simulator of a NIR graph, written from the NIR node definitions
//! (neuromorphs/NIR, `nir/ir/*.py`) and nothing of snu: every node's equation is stepped by
//! Euler over `dt` in f64, nested graphs are inlined, and an edge that closes a cycle carries
//! the previous step's value (a recurrent connection).
//!
//! ```text
//! Affine   y = W x + b              Linear   y = W x
//! LIF      v += dt/tau (v_leak - v + r I); z = v > v_threshold; v = v_reset where z
//! IF       v += dt r I;                     z = v > v_threshold; v = v_reset where z
//! CubaLIF  I += dt/tau_syn (w_in S - I); then v as the LIF's with that I (snnTorch's order)
//! Conv2d   y[o,i,j] = b[o] + sum_{c,u,v} W[o,c,u,v] x[c, i s - p + u d, j s - p + v d]
//! SumPool2d / AvgPool2d over windows of kernel_size, moved by stride;  Flatten: the same values
//! ```
#![allow(clippy::needless_range_loop)]

use snu_core::nir::{Graph, Node};
use std::collections::HashMap;

struct Flat {
    nodes: HashMap<String, Node>,
    edges: Vec<(String, String)>,
}

/// Inlines nested graphs: node `b` of graph `a` becomes `a.b`; edges into `a` go to
/// `a.input`, edges out of `a` leave from `a.output`.
fn flatten(graph: &Graph, prefix: &str, out: &mut Flat) {
    let full = |n: &str| {
        if prefix.is_empty() {
            n.to_string()
        } else {
            format!("{prefix}.{n}")
        }
    };
    let nested: Vec<&str> = graph
        .nodes
        .iter()
        .filter(|n| n.graph.is_some())
        .map(|n| n.name.as_str())
        .collect();
    for node in &graph.nodes {
        match &node.graph {
            Some(inner) => flatten(inner, &full(&node.name), out),
            None => {
                out.nodes.insert(full(&node.name), node.clone());
            }
        }
    }
    for (a, b) in &graph.edges {
        let from = if nested.contains(&a.as_str()) {
            format!("{}.output", full(a))
        } else {
            full(a)
        };
        let to = if nested.contains(&b.as_str()) {
            format!("{}.input", full(b))
        } else {
            full(b)
        };
        out.edges.push((from, to));
    }
}

fn param<'a>(node: &'a Node, key: &str) -> &'a [f64] {
    &node
        .params
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{} has no {key}", node.name))
        .1
        .data
}

fn shape(node: &Node, key: &str) -> Vec<usize> {
    node.params
        .iter()
        .find(|(k, _)| k == key)
        .unwrap()
        .1
        .shape
        .clone()
}

/// `[C, H, W]` of a value, when it is an image.
type Dims = Vec<usize>;

pub struct Simulator {
    flat: Flat,
    order: Vec<String>,
    /// Edges that close a cycle: they carry the previous step's value.
    back: Vec<(String, String)>,
    state: HashMap<String, Vec<f64>>,
    prev: HashMap<String, (Vec<f64>, Dims)>,
    dt: f64,
}

impl Simulator {
    pub fn new(graph: &Graph, dt: f64) -> Simulator {
        let mut flat = Flat {
            nodes: HashMap::new(),
            edges: vec![],
        };
        flatten(graph, "", &mut flat);
        // Depth-first from the input: an edge to a node on the current path closes a cycle.
        let mut order = vec![];
        let mut back = vec![];
        let mut done = std::collections::HashSet::new();
        fn visit(
            n: &str,
            flat: &Flat,
            path: &mut Vec<String>,
            done: &mut std::collections::HashSet<String>,
            order: &mut Vec<String>,
            back: &mut Vec<(String, String)>,
        ) {
            path.push(n.to_string());
            for (a, b) in flat.edges.iter().filter(|(a, _)| a == n) {
                if path.contains(b) {
                    back.push((a.clone(), b.clone()));
                } else if !done.contains(b) {
                    visit(b, flat, path, done, order, back);
                }
            }
            path.pop();
            done.insert(n.to_string());
            order.push(n.to_string());
        }
        visit(
            "input",
            &flat,
            &mut vec![],
            &mut done,
            &mut order,
            &mut back,
        );
        order.reverse();
        Simulator {
            flat,
            order,
            back,
            state: HashMap::new(),
            prev: HashMap::new(),
            dt,
        }
    }

    /// One step: the input `x` (with its dims) in, the `output` node's value out.
    pub fn step(&mut self, x: &[f64], x_dims: &[usize]) -> Vec<f64> {
        let mut now: HashMap<String, (Vec<f64>, Dims)> = HashMap::new();
        for name in self.order.clone() {
            let node = self.flat.nodes[&name].clone();
            let sources: Vec<(Vec<f64>, Dims)> = self
                .flat
                .edges
                .iter()
                .filter(|(_, b)| b == &name)
                .filter_map(|(a, b)| {
                    if self.back.contains(&(a.clone(), b.clone())) {
                        self.prev.get(a).cloned()
                    } else {
                        now.get(a).cloned()
                    }
                })
                .collect();
            let (input, dims) = if name == "input" {
                (x.to_vec(), x_dims.to_vec())
            } else if sources.is_empty() {
                continue; // only reached through a cycle, at the first step
            } else {
                let mut sum = vec![0.0; sources[0].0.len()];
                for (v, _) in &sources {
                    for (s, a) in sum.iter_mut().zip(v) {
                        *s += a;
                    }
                }
                (sum, sources[0].1.clone())
            };
            let out = self.node(&name, &node, &input, &dims);
            now.insert(name, out);
        }
        let out = now["output"].0.clone();
        self.prev = now;
        out
    }

    fn node(&mut self, name: &str, node: &Node, x: &[f64], dims: &[usize]) -> (Vec<f64>, Dims) {
        match node.kind.as_str() {
            "Input" | "Output" => (x.to_vec(), dims.to_vec()),
            "Affine" | "Linear" => {
                let w = param(node, "weight");
                let n = shape(node, "weight")[0];
                let m = x.len();
                let mut y: Vec<f64> = if node.kind == "Affine" {
                    param(node, "bias").to_vec()
                } else {
                    vec![0.0; n]
                };
                for j in 0..n {
                    for i in 0..m {
                        y[j] += w[j * m + i] * x[i];
                    }
                }
                (y, vec![n])
            }
            "LIF" | "IF" | "CubaLIF" => {
                let mut input = x.to_vec();
                if node.kind == "CubaLIF" {
                    let current = self
                        .state
                        .entry(format!("{name}#I"))
                        .or_insert_with(|| vec![0.0; x.len()]);
                    for j in 0..x.len() {
                        current[j] += self.dt / param(node, "tau_syn")[j]
                            * (param(node, "w_in")[j] * x[j] - current[j]);
                    }
                    input.copy_from_slice(current);
                }
                let x = &input;
                let v = self
                    .state
                    .entry(name.to_string())
                    .or_insert_with(|| vec![0.0; x.len()]);
                let thr = param(node, "v_threshold");
                let reset = param(node, "v_reset");
                let r = param(node, "r");
                let mut z = vec![0.0; x.len()];
                for j in 0..x.len() {
                    if node.kind != "IF" {
                        let tau =
                            param(node, if node.kind == "LIF" { "tau" } else { "tau_mem" })[j];
                        let leak = param(node, "v_leak")[j];
                        v[j] += self.dt / tau * (leak - v[j] + r[j] * x[j]);
                    } else {
                        v[j] += self.dt * r[j] * x[j];
                    }
                    if v[j] > thr[j] {
                        z[j] = 1.0;
                        v[j] = reset[j];
                    }
                }
                (z, dims.to_vec())
            }
            "Conv2d" => {
                let w = param(node, "weight");
                let b = param(node, "bias");
                let ws = shape(node, "weight");
                let (o, c, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
                let (h, wd) = (dims[1], dims[2]);
                let s = param(node, "stride");
                let p = param(node, "padding");
                let d = param(node, "dilation");
                let (s, p, d) = (
                    [s[0] as isize, s[1] as isize],
                    [p[0] as isize, p[1] as isize],
                    [d[0] as isize, d[1] as isize],
                );
                let oh =
                    ((h as isize + 2 * p[0] - d[0] * (kh as isize - 1) - 1) / s[0] + 1) as usize;
                let ow =
                    ((wd as isize + 2 * p[1] - d[1] * (kw as isize - 1) - 1) / s[1] + 1) as usize;
                let mut y = vec![0.0; o * oh * ow];
                for f in 0..o {
                    for i in 0..oh {
                        for j in 0..ow {
                            let mut acc = b[f];
                            for ch in 0..c {
                                for u in 0..kh {
                                    for v in 0..kw {
                                        let yy = i as isize * s[0] - p[0] + u as isize * d[0];
                                        let xx = j as isize * s[1] - p[1] + v as isize * d[1];
                                        if yy >= 0
                                            && xx >= 0
                                            && (yy as usize) < h
                                            && (xx as usize) < wd
                                        {
                                            acc += w[((f * c + ch) * kh + u) * kw + v]
                                                * x[(ch * h + yy as usize) * wd + xx as usize];
                                        }
                                    }
                                }
                            }
                            y[(f * oh + i) * ow + j] = acc;
                        }
                    }
                }
                (y, vec![o, oh, ow])
            }
            "SumPool2d" | "AvgPool2d" => {
                let k = param(node, "kernel_size");
                let s = param(node, "stride");
                let (k, s) = (
                    [k[0] as usize, k[1] as usize],
                    [s[0] as usize, s[1] as usize],
                );
                let (c, h, w) = (dims[0], dims[1], dims[2]);
                let (oh, ow) = ((h - k[0]) / s[0] + 1, (w - k[1]) / s[1] + 1);
                let scale = if node.kind == "AvgPool2d" {
                    1.0 / (k[0] * k[1]) as f64
                } else {
                    1.0
                };
                let mut y = vec![0.0; c * oh * ow];
                for ch in 0..c {
                    for i in 0..oh {
                        for j in 0..ow {
                            let mut acc = 0.0;
                            for u in 0..k[0] {
                                for v in 0..k[1] {
                                    acc += x[(ch * h + i * s[0] + u) * w + j * s[1] + v];
                                }
                            }
                            y[(ch * oh + i) * ow + j] = acc * scale;
                        }
                    }
                }
                (y, vec![c, oh, ow])
            }
            "Flatten" => (x.to_vec(), vec![x.len()]),
            other => panic!("the reference has no {other} node"),
        }
    }
}
