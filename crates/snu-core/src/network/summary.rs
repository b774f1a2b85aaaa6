//! What `model.summary()` shows: each layer's name, type, output shape and parameter count, and
//! after a forward pass the firing rate of each spiking layer.

use super::Network;
use crate::layers::activation::OutputActivation;
use crate::layers::product::SeqInput;
use crate::spec::{LayerSpec, Shape};

/// One layer of the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSummary {
    pub name: String,
    /// The spec's `type` (`snu`, `dense`, ...).
    pub kind: &'static str,
    /// What the layer gives per step: `[n]` or `[C, H, W]`.
    pub shape: Vec<usize>,
    pub params: u128,
    /// For a spiking layer (SNU with the step output) after a forward pass: the fraction of its
    /// outputs that are spikes over every step and sample of the last pass (padding included).
    pub firing_rate: Option<f64>,
}

impl Network {
    pub fn summary(&self) -> Vec<LayerSummary> {
        let shapes = self
            .spec
            .shapes()
            .expect("a built network has a valid spec");
        self.spec
            .layers
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let spiking = matches!(spec, LayerSpec::Snu(s) if s.output == OutputActivation::Step)
                    || matches!(spec, LayerSpec::SnuConv2d(s) if s.output == OutputActivation::Step);
                let firing_rate = match (spiking, self.shape, self.layers[i].output()) {
                    (true, Some(_), SeqInput::Spikes(bits)) if bits.rows() > 0 => Some(bits.density()),
                    _ => None,
                };
                LayerSummary {
                    name: self.layer_names[i].clone(),
                    kind: spec.def().kind(),
                    shape: match shapes[i + 1] {
                        Shape::Flat(n) => vec![n],
                        Shape::Image { c, h, w } => vec![c, h, w],
                    },
                    params: spec.param_count(shapes[i]),
                    firing_rate,
                }
            })
            .collect()
    }
}
