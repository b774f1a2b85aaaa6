//! A NIR graph as plain data, the shape of the HDF5 file `nir.write` produces (docs/nir.md):
//! every node a `type` and its parameters, each parameter an array; a graph also holds its
//! nodes and its edges. The file itself is read and written outside the core (ts/nir/hdf5.ts);
//! this is what crosses between them.

use crate::bail;
use crate::error::Result;
use crate::limits::MAX_NIR_VALUES;

/// How a parameter is stored in the file (NIR keeps numpy's dtype).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    Float32,
    Float64,
    Int64,
}

/// One parameter: an array of `shape` (empty: a scalar), row-major. Values are kept as f64,
/// which holds float32, float64 and the int64 sizes NIR stores exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Tensor {
    pub fn f32s(shape: Vec<usize>, data: impl IntoIterator<Item = f32>) -> Tensor {
        Tensor {
            dtype: DType::Float32,
            shape,
            data: data.into_iter().map(f64::from).collect(),
        }
    }
    pub fn ints(values: &[usize]) -> Tensor {
        Tensor {
            dtype: DType::Int64,
            shape: vec![values.len()],
            data: values.iter().map(|&v| v as f64).collect(),
        }
    }
    pub fn int(value: i64) -> Tensor {
        Tensor {
            dtype: DType::Int64,
            shape: vec![],
            data: vec![value as f64],
        }
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A `metadata` entry: NIR writes a string as a string dataset, anything else as an array.
#[derive(Clone, Debug, PartialEq)]
pub enum Meta {
    Text(String),
    Array(Tensor),
}

/// A node: its NIR `type` (`Affine`, `LIF`, `NIRGraph`, ...), its parameters by name, its
/// `metadata` group, and for a `NIRGraph` the nested graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub name: String,
    pub kind: String,
    pub params: Vec<(String, Tensor)>,
    pub metadata: Vec<(String, Meta)>,
    pub graph: Option<Graph>,
}

/// A graph: named nodes and directed edges between their names (a dotted name `a.b` reaches
/// node `b` of the nested graph `a`, as older files write recurrent layers).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<(String, String)>,
    pub metadata: Vec<(String, Meta)>,
}

impl Graph {
    /// The values a NIR file of this graph holds in its datasets, counted as readers count them
    /// against `MAX_NIR_VALUES`: one per node (its type), each number of its arrays, one per
    /// text entry, two per edge, nested graphs included.
    pub fn values(&self) -> usize {
        fn meta(entries: &[(String, Meta)]) -> usize {
            entries
                .iter()
                .map(|(_, m)| match m {
                    Meta::Text(_) => 1,
                    Meta::Array(t) => t.len(),
                })
                .sum()
        }
        let nodes: usize = self
            .nodes
            .iter()
            .map(|n| {
                1 + n.params.iter().map(|(_, t)| t.len()).sum::<usize>()
                    + meta(&n.metadata)
                    + n.graph.as_ref().map_or(0, Graph::values)
            })
            .sum();
        nodes + 2 * self.edges.len() + meta(&self.metadata)
    }

    /// Refuses a graph whose file would hold more than `MAX_NIR_VALUES` values, the most NIR
    /// readers take (`what` begins the message: `nir export`, `nir import`).
    pub fn check_values(&self, what: &str) -> Result<()> {
        let values = self.values();
        if values > MAX_NIR_VALUES {
            bail!("{what}: the graph holds {values} values, more than the {MAX_NIR_VALUES} a NIR file may hold");
        }
        Ok(())
    }
}

impl Node {
    pub fn new(name: impl Into<String>, kind: &str, params: Vec<(&str, Tensor)>) -> Node {
        Node {
            name: name.into(),
            kind: kind.to_string(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            metadata: vec![],
            graph: None,
        }
    }

    /// The node as errors name it: `node "fc1" (Affine)`.
    pub fn label(&self) -> String {
        format!("node {:?} ({})", self.name, self.kind)
    }

    pub fn find(&self, key: &str) -> Option<&Tensor> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, t)| t)
    }

    /// Parameter `key`, or an error naming the node.
    pub fn param(&self, key: &str) -> Result<&Tensor> {
        match self.find(key) {
            Some(t) if t.data.iter().all(|v| v.is_finite()) => Ok(t),
            Some(_) => bail!(
                "nir: {}: {key} holds a value that is not finite",
                self.label()
            ),
            None => bail!("nir: {}: the parameter {key} is missing", self.label()),
        }
    }

    /// Parameter `key` as exactly `n` values: an array of `n`, or a scalar repeated.
    pub fn per_unit(&self, key: &str, n: usize) -> Result<Vec<f64>> {
        let t = self.param(key)?;
        match t.data.len() {
            1 => Ok(vec![t.data[0]; n]),
            len if len == n => Ok(t.data.clone()),
            len => bail!(
                "nir: {}: {key} holds {len} values, expected {n} (one per neuron) or one",
                self.label()
            ),
        }
    }

    /// Parameter `key` as integers of the given count (a scalar repeats), each at least `min`.
    pub fn ints(&self, key: &str, count: usize, min: i64) -> Result<Vec<usize>> {
        let t = self.param(key)?;
        let values = match t.data.len() {
            1 => vec![t.data[0]; count],
            len if len == count => t.data.clone(),
            len => bail!(
                "nir: {}: {key} holds {len} values, expected {count}",
                self.label()
            ),
        };
        values
            .iter()
            .map(|&v| {
                if v.fract() != 0.0 || v < min as f64 || v > (1u64 << 31) as f64 {
                    bail!(
                        "nir: {}: {key} must hold integers of at least {min}, got {v}",
                        self.label()
                    );
                }
                Ok(v as usize)
            })
            .collect()
    }
}

/// Metadata entry `key` as one number, if it is one.
pub fn meta_number(metadata: &[(String, Meta)], key: &str) -> Option<f64> {
    metadata
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, m)| match m {
            Meta::Array(t) if t.data.len() == 1 => Some(t.data[0]),
            _ => None,
        })
}

/// Metadata entry `key` as text, if it is text.
pub fn meta_text<'a>(metadata: &'a [(String, Meta)], key: &str) -> Option<&'a str> {
    metadata
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, m)| match m {
            Meta::Text(s) => Some(s.as_str()),
            _ => None,
        })
}
