//! The Neuromorphic Intermediate Representation (NIR; Pedersen et al., Nature Communications
//! 2024): networks out to other libraries and neuromorphic hardware, and back. The mapping and
//! its equations are in docs/nir.md; `graph` is the file's content as data, `export` and
//! `import` map it to and from snu's layers.

pub mod export;
pub mod graph;
pub mod import;

pub use export::{export, ExportOptions, Exported, DEFAULT_DT};
pub use graph::{DType, Graph, Meta, Node, Tensor};
pub use import::{import, ImportOptions, Imported};
