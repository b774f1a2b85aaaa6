//! Embedding: token ids to vectors, `y_t = E[id_t]`; backward `dE[id_t] += dy_t`.
//! The ids arrive as the values of a `[T*B, 1]` input (checked by the network beforehand).

use super::product::SeqInput;
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
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
    pub fn new(spec: &EmbeddingSpec, cx: BuildContext) -> Result<Self> {
        let BuildContext {
            name,
            store: p,
            rng,
            ..
        } = cx;
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
}

/// The token ids of an embedding's input (the network never packs them into bits).
fn token_ids<'a>(x: SeqInput<'a>) -> &'a [f32] {
    match x {
        SeqInput::Dense(v) => v,
        SeqInput::Spikes(_) => unreachable!("an embedding's input is never packed into spikes"),
    }
}

impl SeqLayer for EmbeddingLayer {
    /// No state over time: OSTL's gradient is this layer's backward pass.
    fn ostl_refusal(&self) -> Option<String> {
        None
    }

    fn units(&self) -> usize {
        self.units
    }

    fn output(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.y)
    }

    /// `E`, which a tied dense layer uses transposed.
    fn shared_matrix(&self) -> Option<usize> {
        Some(self.e)
    }

    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let ids = token_ids(x);
        let n = self.units;
        ensure_len(&mut self.y, shape.rows() * n);
        let table = p.value(self.e);
        for (row, &id) in self.y.chunks_exact_mut(n).zip(ids) {
            let id = id as usize;
            row.copy_from_slice(&table[id * n..(id + 1) * n]);
        }
    }

    /// The ids are not differentiable: no `dx`; no state over time, so no window.
    fn backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        _dx: Option<&mut [f32]>,
        _shape: SeqShape,
        _window: usize,
    ) {
        let ids = token_ids(x);
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
