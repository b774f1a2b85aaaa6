//! Embedding: token ids to vectors, `y_t = E[id_t]`; backward `dE[id_t] += dy_t`.
//! The ids arrive as the values of a `[T*B, 1]` input (checked by the network beforehand).

use super::{ensure_len, SeqShape};
use crate::error::Result;
use crate::kernels::rng::Rng;
use crate::params::ParamStore;
use crate::spec::EmbeddingSpec;

/// Initial weights are uniform in `[-INIT_RANGE, INIT_RANGE]` unless the spec sets `initRange`:
/// the usual start for word embeddings (and for a softmax that shares them through weight tying).
pub const INIT_RANGE: f32 = 0.1;

pub struct EmbeddingLayer {
    pub vocab: usize,
    pub units: usize,
    /// Index of `E`, `[vocab, units]`.
    pub e: usize,
    /// Output `[T*B, units]`.
    pub y: Vec<f32>,
}

impl EmbeddingLayer {
    pub fn new(
        spec: &EmbeddingSpec,
        name: &str,
        p: &mut ParamStore,
        rng: &mut Rng,
    ) -> Result<Self> {
        let e = p.add(format!("{name}.E"), vec![spec.vocab_size, spec.units], 0.0)?;
        let range = spec.init_range.unwrap_or(INIT_RANGE);
        p.params[e]
            .value
            .iter_mut()
            .for_each(|v| *v = (rng.uniform() as f32 * 2.0 - 1.0) * range);
        Ok(EmbeddingLayer {
            vocab: spec.vocab_size,
            units: spec.units,
            e,
            y: vec![],
        })
    }

    pub fn forward(&mut self, p: &ParamStore, ids: &[f32], shape: SeqShape) {
        let n = self.units;
        ensure_len(&mut self.y, shape.rows() * n);
        let table = p.value(self.e);
        for (row, &id) in self.y.chunks_exact_mut(n).zip(ids) {
            let id = id as usize;
            row.copy_from_slice(&table[id * n..(id + 1) * n]);
        }
    }

    pub fn backward(&self, p: &mut ParamStore, ids: &[f32], dy: &[f32]) {
        let n = self.units;
        let de = &mut p.grads[self.e];
        for (g, &id) in dy.chunks_exact(n).zip(ids) {
            let id = id as usize;
            de[id * n..(id + 1) * n]
                .iter_mut()
                .zip(g)
                .for_each(|(d, g)| *d += g);
        }
    }
}
