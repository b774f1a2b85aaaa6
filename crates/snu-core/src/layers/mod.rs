//! Layers over whole sequences. Data is time-major: row `t * B + b` of a `[T*B, n]`
//! matrix is sample `b` at step `t`.

pub mod activation;
pub mod conv2d;
pub mod conv_product;
pub mod dense;
pub mod embedding;
pub mod flatten;
pub mod pool2d;
pub mod product;
pub mod recurrent;
pub mod snu;

use crate::error::Result;
use crate::kernels::rng::Rng;
use crate::params::ParamStore;
use crate::pcm::AnalogTile;
use crate::spec::{LayerSpec, Shape};
use product::{InputProducts, ProductPath, SeqInput};
use recurrent::{gru, gru::Gru, lstm, lstm::Lstm, rnn, rnn::Rnn, RecurrentLayer};

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

/// A layer over whole sequences: everything the network asks of a layer type. A new layer type
/// implements this in its own file and adds one arm to `build`; nothing else in the network
/// names layer types.
pub trait SeqLayer: Send {
    fn units(&self) -> usize;

    /// Runs the layer over the whole sequence `x` (`[T*B, inputs]`).
    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape);

    /// The last forward's output, `[T*B, units]`: spikes as bits or values.
    fn output(&self) -> SeqInput<'_>;

    /// The last forward's internal state sequence `[T*B, units]`, for layers that have one (the
    /// SNU's `s_t`); valid until a backward pass reuses the buffer.
    fn states(&self) -> Option<&[f32]> {
        None
    }

    /// The last forward's output as values, `[T*B, units]`.
    fn output_values(&self) -> Vec<f32> {
        match self.output() {
            SeqInput::Dense(v) => v.to_vec(),
            SeqInput::Spikes(bits) => {
                let mut v = vec![0.0; bits.rows() * bits.cols()];
                bits.unpack(&mut v);
                v
            }
        }
    }

    /// Accumulates parameter gradients and, when `dx` is given, writes `dL/dx`.
    /// `window` truncates BPTT (usize::MAX for none).
    fn backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        window: usize,
    );

    /// Forces the dense or the event-driven product for spike inputs (default: by density).
    fn set_product_path(&mut self, _path: ProductPath) {}

    /// The feed-forward weight matrix a crossbar can hold: `(products, W's parameter index)`.
    fn weight_slot(&mut self) -> Option<(&mut InputProducts, usize)> {
        None
    }

    /// The crossbar the weights live on, if any.
    fn tile(&self) -> Option<&AnalogTile> {
        None
    }

    /// Carry the last state into the next call (layers with a state over time).
    fn set_carry_state(&mut self, _on: bool) {}

    /// Forgets any carried state.
    fn reset_state(&mut self) {}

    /// The batch size of a carried state, if the layer holds one.
    fn carried_batch(&self) -> Option<usize> {
        None
    }

    /// The parameter index of a matrix a tied dense layer can share (an embedding's `E`).
    fn shared_matrix(&self) -> Option<usize> {
        None
    }

    /// Keeps parameters in their domain after an update (the decay in [0, 1)).
    fn project(&self, _p: &mut ParamStore) {}

    /// Why the layer cannot learn by OSTL (`network/ostl.rs`), or `None` when it can. A layer
    /// type opts in: without state over time its `backward` is OSTL's exactly (see
    /// `ostl_backward`); a layer with state needs eligibility traces of its own.
    fn ostl_refusal(&self) -> Option<String> {
        Some("it has no online learning rule: OSTL trains SNU layers (without lateral inhibition or a convolution) and layers without state over time".into())
    }

    /// OSTL's backward pass over the last forward window: adds the parameter gradients
    /// `Σ_t dy_t ⊙ ∂y_t/∂θ` (the layer's eligibility traces carry `∂y_t/∂θ` forward in time), and
    /// writes into `dx` the spatial learning signal of the layer below, `dy_t ∂y_t/∂x_t` through
    /// step `t` alone. A layer without state over time has no traces: that is its `backward`.
    fn ostl_backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
    ) {
        self.backward(p, x, dy, dx, shape, usize::MAX)
    }

    /// Values the layer's eligibility traces hold for a batch of `batch` sequences.
    fn ostl_trace_values(&self, _batch: usize) -> usize {
        0
    }

    /// Forgets the eligibility traces: new sequences start.
    fn reset_traces(&mut self) {}

    /// Allocates zeroed eligibility traces for a batch of `batch` new sequences, or says that
    /// the memory cannot be had (before any window runs).
    fn ostl_prepare(&mut self, _batch: usize) -> Result<()> {
        Ok(())
    }
}

/// A built layer of any type.
pub type Layer = Box<dyn SeqLayer>;

/// What building one layer needs.
pub struct BuildContext<'a> {
    /// The layer's resolved name (parameters are `<name>.W`, ...).
    pub name: &'a str,
    /// Values per step of the layer's input (`in_shape.len()`).
    pub in_size: usize,
    /// The layer's input: a flat vector or channels-first images.
    pub in_shape: Shape,
    /// The layer's path in errors (`model spec: layers[2]`).
    pub path: String,
    pub store: &'a mut ParamStore,
    /// Draws the initial weights (seeded from the spec, layer after layer).
    pub rng: &'a mut Rng,
    /// The layers built before this one, with their names (weight tying refers to them).
    pub earlier: &'a [(String, Layer)],
}

impl BuildContext<'_> {
    /// The shared matrix of the earlier layer `name` (validation checked that it exists).
    pub fn shared_matrix(&self, name: &str) -> Option<usize> {
        let (_, layer) = self.earlier.iter().find(|(n, _)| n == name)?;
        layer.shared_matrix()
    }
}

/// Builds the layer a spec describes: its parameters (initialised from the context's RNG) and
/// workspaces.
pub fn build(spec: &LayerSpec, cx: BuildContext) -> Result<Layer> {
    Ok(match spec {
        LayerSpec::Snu(s) => Box::new(snu::SnuLayer::new(s, cx)?),
        LayerSpec::Dense(d) => Box::new(dense::DenseLayer::new(d, cx)?),
        LayerSpec::Embedding(e) => Box::new(embedding::EmbeddingLayer::new(e, cx)?),
        LayerSpec::Conv2d(c) => Box::new(conv2d::Conv2dLayer::new(c, cx)?),
        LayerSpec::SnuConv2d(c) => Box::new(snu::SnuLayer::conv(c, cx)?),
        LayerSpec::Pool2d(p) => Box::new(pool2d::Pool2dLayer::new(p, cx)?),
        LayerSpec::Flatten(_) => Box::new(flatten::FlattenLayer::new(cx)),
        LayerSpec::Rnn(r) => Box::new(RecurrentLayer::<Rnn>::new(
            r.units,
            rnn::initial_bias(r.units),
            cx,
        )?),
        LayerSpec::Lstm(l) => Box::new(RecurrentLayer::<Lstm>::new(
            l.units,
            lstm::initial_bias(l.units, l.forget_bias),
            cx,
        )?),
        LayerSpec::Gru(g) => Box::new(RecurrentLayer::<Gru>::new(
            g.units,
            gru::initial_bias(g.units),
            cx,
        )?),
    })
}

/// Resizes a workspace without reallocating when it is already large enough.
pub(crate) fn ensure_len(buf: &mut Vec<f32>, len: usize) {
    if buf.len() != len {
        crate::error::resize_or_oom(buf, len, 0.0);
    }
}
