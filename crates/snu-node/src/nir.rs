//! NIR graphs between the core (`snu_core::nir`, the mapping) and TypeScript (`ts/nir/`, the
//! HDF5 file): conversion only. A graph crosses flat: every node and edge names the nested
//! graph holding it by its path (`""` for the top level, `"lif1"` inside node `lif1`).

// napi-derive registers the functions only outside `cfg(test)`.
#![cfg_attr(test, allow(dead_code))]

use crate::args;
use crate::guard::{engine, guard};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::limits::{MAX_NIR_DEPTH, MAX_NIR_NODES};
use snu_core::nir::{self, DType, Graph, Meta, Node, Tensor};
use std::collections::{HashMap, HashSet};

/// One array of a node: a parameter, or a numeric metadata entry.
#[napi(object)]
pub struct NirArray {
    pub key: String,
    /// `float32`, `float64` or `int64`, as the file stores it.
    pub dtype: String,
    /// Row-major; empty for a scalar.
    pub shape: Vec<u32>,
    pub data: Float64Array,
}

/// A metadata entry: text or an array.
#[napi(object)]
pub struct NirMeta {
    pub key: String,
    pub text: Option<String>,
    pub array: Option<NirArray>,
}

#[napi(object)]
pub struct NirNodeData {
    /// Path of the graph that holds the node (`""`: the top level; `"a/b"`: node `b` of `a`).
    pub graph: String,
    pub name: String,
    /// NIR's type name: `Affine`, `LIF`, `NIRGraph`, ...
    pub kind: String,
    pub params: Vec<NirArray>,
    pub metadata: Vec<NirMeta>,
}

#[napi(object)]
pub struct NirEdge {
    pub graph: String,
    pub from: String,
    pub to: String,
}

/// A whole NIR file's graph, flat.
#[napi(object)]
pub struct NirGraphData {
    pub nodes: Vec<NirNodeData>,
    pub edges: Vec<NirEdge>,
    /// The top-level graph's metadata.
    pub metadata: Vec<NirMeta>,
}

#[napi(object)]
pub struct NirExportOptions {
    /// Time step the time constants are written for, in seconds (default 1e-4, snnTorch's).
    pub dt: Option<f64>,
    /// Write features NIR cannot express as the nearest node, with a warning, instead of refusing.
    pub approximate: Option<bool>,
    /// Write every threshold as 1, scaling each unit's input weights by 1/threshold (same spikes).
    pub normalize_thresholds: Option<bool>,
}

#[napi(object)]
pub struct NirExport {
    pub graph: NirGraphData,
    pub warnings: Vec<String>,
    /// The time step the file was written for (the one given, or the default).
    pub dt: f64,
}

#[napi(object)]
pub struct NirImportOptions {
    /// Time step to run the neurons at, in seconds; default: the one the file records.
    pub dt: Option<f64>,
}

#[napi(object)]
pub struct NirWeight {
    pub name: String,
    pub values: Float32Array,
}

#[napi(object)]
pub struct NirImport {
    pub input_size: u32,
    /// `[C, H, W]` when the input is images.
    pub input_shape: Option<Vec<u32>>,
    /// The layer specs as JSON (an array of `LayerSpec`).
    pub layers: String,
    pub weights: Vec<NirWeight>,
    /// The time step the network runs at (what the file recorded, or the one given).
    pub dt: Option<f64>,
}

fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::Float32 => "float32",
        DType::Float64 => "float64",
        DType::Int64 => "int64",
    }
}

fn to_array(key: &str, t: &Tensor) -> NirArray {
    NirArray {
        key: key.to_string(),
        dtype: dtype_name(t.dtype).to_string(),
        shape: t.shape.iter().map(|&d| d as u32).collect(),
        data: Float64Array::new(t.data.clone()),
    }
}

fn from_array(a: &NirArray, at: &str) -> Result<Tensor> {
    let dtype = match a.dtype.as_str() {
        "float32" => DType::Float32,
        "float64" => DType::Float64,
        "int64" => DType::Int64,
        other => {
            return Err(args::invalid(format!(
                "{at}.{}: dtype {other:?}: expected float32, float64 or int64",
                a.key
            )))
        }
    };
    let shape: Vec<usize> = a.shape.iter().map(|&d| d as usize).collect();
    let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if count != Some(a.data.len()) {
        return Err(args::invalid(format!(
            "{at}.{}: shape {shape:?} does not hold {} values",
            a.key,
            a.data.len()
        )));
    }
    Ok(Tensor {
        dtype,
        shape,
        data: a.data.to_vec(),
    })
}

fn to_meta(entries: &[(String, Meta)]) -> Vec<NirMeta> {
    entries
        .iter()
        .map(|(k, m)| match m {
            Meta::Text(s) => NirMeta {
                key: k.clone(),
                text: Some(s.clone()),
                array: None,
            },
            Meta::Array(t) => NirMeta {
                key: k.clone(),
                text: None,
                array: Some(to_array(k, t)),
            },
        })
        .collect()
}

fn from_meta(entries: &[NirMeta], at: &str) -> Result<Vec<(String, Meta)>> {
    let mut out = vec![];
    for m in entries {
        match (&m.text, &m.array) {
            (Some(s), _) => out.push((m.key.clone(), Meta::Text(s.clone()))),
            (None, Some(a)) => out.push((
                m.key.clone(),
                Meta::Array(from_array(a, &format!("{at}.metadata"))?),
            )),
            (None, None) => {}
        }
    }
    Ok(out)
}

/// Appends `graph`'s nodes and edges under `path`, nested graphs after their node.
fn flatten(graph: &Graph, path: &str, out: &mut NirGraphData) {
    for node in &graph.nodes {
        out.nodes.push(NirNodeData {
            graph: path.to_string(),
            name: node.name.clone(),
            kind: node.kind.clone(),
            params: node.params.iter().map(|(k, t)| to_array(k, t)).collect(),
            metadata: to_meta(&node.metadata),
        });
        if let Some(inner) = &node.graph {
            let inner_path = if path.is_empty() {
                node.name.clone()
            } else {
                format!("{path}/{}", node.name)
            };
            flatten(inner, &inner_path, out);
        }
    }
    for (from, to) in &graph.edges {
        out.edges.push(NirEdge {
            graph: path.to_string(),
            from: from.clone(),
            to: to.clone(),
        });
    }
}

/// The flat lists' nodes and edges by the path of the graph they belong to.
#[derive(Default)]
struct ByGraph<'a> {
    nodes: HashMap<&'a str, Vec<&'a NirNodeData>>,
    edges: HashMap<&'a str, Vec<&'a NirEdge>>,
}

/// The nested graph rebuilt from the flat lists. Refused before anything is built: more than
/// `MAX_NIR_NODES` nodes; a node name that is empty, holds the path separator `/` or is used
/// twice in one graph (so that every nested graph has one path and is built once, whatever
/// the lists hold).
fn unflatten_all(data: &NirGraphData) -> Result<Graph> {
    if data.nodes.len() > MAX_NIR_NODES {
        return Err(args::invalid(format!(
            "graph: {} nodes, more than the {MAX_NIR_NODES} a NIR graph may hold",
            data.nodes.len()
        )));
    }
    let mut by = ByGraph::default();
    let mut seen = HashSet::new();
    for n in &data.nodes {
        if n.name.is_empty() || n.name.contains('/') {
            return Err(args::invalid(format!(
                "graph node {:?} in graph {:?}: expected a non-empty name without '/'",
                n.name, n.graph
            )));
        }
        if !seen.insert((n.graph.as_str(), n.name.as_str())) {
            return Err(args::invalid(format!(
                "graph node {:?}: the name is used twice in graph {:?}",
                n.name, n.graph
            )));
        }
        by.nodes.entry(n.graph.as_str()).or_default().push(n);
    }
    for e in &data.edges {
        by.edges.entry(e.graph.as_str()).or_default().push(e);
    }
    unflatten(&by, "", 0)
}

/// The nested graph at `path`.
fn unflatten(by: &ByGraph, path: &str, depth: usize) -> Result<Graph> {
    if depth > MAX_NIR_DEPTH {
        return Err(args::invalid(format!(
            "graph: nested more than {MAX_NIR_DEPTH} graphs deep"
        )));
    }
    let mut graph = Graph::default();
    for n in by.nodes.get(path).into_iter().flatten() {
        let at = format!("graph node {:?}", n.name);
        let mut node = Node {
            name: n.name.clone(),
            kind: n.kind.clone(),
            params: n
                .params
                .iter()
                .map(|a| Ok((a.key.clone(), from_array(a, &at)?)))
                .collect::<Result<_>>()?,
            metadata: from_meta(&n.metadata, &at)?,
            graph: None,
        };
        if n.kind == "NIRGraph" {
            let inner_path = if path.is_empty() {
                n.name.clone()
            } else {
                format!("{path}/{}", n.name)
            };
            node.graph = Some(unflatten(by, &inner_path, depth + 1)?);
        }
        graph.nodes.push(node);
    }
    graph.edges = by
        .edges
        .get(path)
        .into_iter()
        .flatten()
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    Ok(graph)
}

pub fn export(net: &snu_core::Network, options: Option<NirExportOptions>) -> Result<NirExport> {
    let mut o = nir::ExportOptions::default();
    if let Some(given) = options {
        o.dt = given.dt.unwrap_or(o.dt);
        o.approximate = given.approximate.unwrap_or(o.approximate);
        o.normalize_thresholds = given.normalize_thresholds.unwrap_or(o.normalize_thresholds);
    }
    let exported = nir::export(net, &o).map_err(engine)?;
    let mut graph = NirGraphData {
        nodes: vec![],
        edges: vec![],
        metadata: to_meta(&exported.graph.metadata),
    };
    flatten(&exported.graph, "", &mut graph);
    Ok(NirExport {
        graph,
        warnings: exported.warnings,
        dt: o.dt,
    })
}

/// The layers and weights of a NIR graph (read from a file by `ts/nir/hdf5.ts`), for
/// `loadNir` to build a model from.
#[napi]
pub fn import_nir(graph: NirGraphData, options: Option<NirImportOptions>) -> Result<NirImport> {
    guard("importNir", || {
        let mut g = unflatten_all(&graph)?;
        g.metadata = from_meta(&graph.metadata, "graph")?;
        let o = nir::ImportOptions {
            dt: options.and_then(|o| o.dt),
        };
        let imported = nir::import(&g, &o).map_err(engine)?;
        let layers = serde_json::to_string(&imported.layers)
            .map_err(|e| Error::from_reason(e.to_string()))?;
        let (input_size, input_shape) = match imported.input {
            snu_core::spec::Shape::Flat(n) => (n as u32, None),
            snu_core::spec::Shape::Image { c, h, w } => {
                ((c * h * w) as u32, Some(vec![c as u32, h as u32, w as u32]))
            }
        };
        Ok(NirImport {
            input_size,
            input_shape,
            layers,
            weights: imported
                .weights
                .into_iter()
                .map(|(name, values)| NirWeight {
                    name,
                    values: Float32Array::new(values),
                })
                .collect(),
            dt: imported.dt,
        })
    })
}
