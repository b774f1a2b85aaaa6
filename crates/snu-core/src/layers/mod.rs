//! Layers over whole sequences. Data is time-major: row `t * B + b` of a `[T*B, n]`
//! matrix is sample `b` at step `t`.

pub mod activation;
pub mod dense;
pub mod embedding;
pub mod product;
pub mod snu;

use crate::params::ParamStore;
use product::{ProductPath, SeqInput};

/// The sequence shape a layer works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqShape {
    pub steps: usize,
    pub batch: usize,
}

impl SeqShape {
    pub fn rows(&self) -> usize {
        self.steps * self.batch
    }
}

// A network holds a handful of layers, built once: the size difference of the variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Layer {
    Snu(snu::SnuLayer),
    Dense(dense::DenseLayer),
    Embedding(embedding::EmbeddingLayer),
}

impl Layer {
    pub fn units(&self) -> usize {
        match self {
            Layer::Snu(l) => l.units,
            Layer::Dense(l) => l.units,
            Layer::Embedding(l) => l.units,
        }
    }

    pub fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        match self {
            Layer::Snu(l) => l.forward(p, x, shape),
            Layer::Dense(l) => l.forward(p, x, shape),
            Layer::Embedding(l) => l.forward(p, token_ids(x), shape),
        }
    }

    /// The last forward's output, `[T*B, units]`: spikes as bits or values.
    pub fn output(&self) -> SeqInput<'_> {
        match self {
            Layer::Snu(l) => l.output(),
            Layer::Dense(l) => SeqInput::Dense(&l.y),
            Layer::Embedding(l) => SeqInput::Dense(&l.y),
        }
    }

    /// The last forward's output as values, `[T*B, units]`.
    pub fn output_values(&self) -> Vec<f32> {
        match self {
            Layer::Snu(l) => l.output_values(),
            Layer::Dense(l) => l.y.clone(),
            Layer::Embedding(l) => l.y.clone(),
        }
    }

    pub fn set_product_path(&mut self, path: ProductPath) {
        match self {
            Layer::Snu(l) => l.set_product_path(path),
            Layer::Dense(l) => l.input.path = path,
            Layer::Embedding(_) => {}
        }
    }

    /// Accumulates parameter gradients and, when `dx` is given, writes `dL/dx`.
    /// `window` truncates BPTT (usize::MAX for none).
    pub fn backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        window: usize,
    ) {
        match self {
            Layer::Snu(l) => l.backward(p, x, dy, dx, shape, window),
            Layer::Dense(l) => l.backward(p, x, dy, dx, shape),
            Layer::Embedding(l) => l.backward(p, token_ids(x), dy),
        }
    }

    /// The feed-forward weight matrix a crossbar can hold: `(products, W's parameter index)`;
    /// none for embeddings and tied dense layers.
    pub fn weight_slot(&mut self) -> Option<(&mut product::InputProducts, usize)> {
        match self {
            Layer::Snu(l) => Some(l.weight_slot()),
            Layer::Dense(l) => l.weight_slot(),
            Layer::Embedding(_) => None,
        }
    }

    /// The SNU layer inside, if this is one.
    pub fn as_snu_mut(&mut self) -> Option<&mut snu::SnuLayer> {
        match self {
            Layer::Snu(l) => Some(l),
            _ => None,
        }
    }

    /// The batch size of a carried state, if the layer holds one.
    pub fn carried_batch(&self) -> Option<usize> {
        match self {
            Layer::Snu(l) => l.carried_batch(),
            _ => None,
        }
    }

    /// The parameter index of an embedding's matrix.
    pub fn embedding_matrix(&self) -> Option<usize> {
        match self {
            Layer::Embedding(l) => Some(l.e),
            _ => None,
        }
    }

    /// Keeps parameters in their domain after an update (the decay in [0, 1)).
    pub fn project(&self, p: &mut ParamStore) {
        if let Layer::Snu(l) = self {
            l.project(p);
        }
    }
}

/// The token ids of an embedding's input (the network never packs them into bits).
fn token_ids<'a>(x: SeqInput<'a>) -> &'a [f32] {
    match x {
        SeqInput::Dense(v) => v,
        SeqInput::Spikes(_) => unreachable!("an embedding's input is never packed into spikes"),
    }
}

/// Resizes a workspace without reallocating when it is already large enough.
pub(crate) fn ensure_len(buf: &mut Vec<f32>, len: usize) {
    if buf.len() != len {
        buf.resize(len, 0.0);
    }
}
