//! `[C, H, W]` images as flat vectors of `C*H*W` values: the data are already stored that way
//! (channels-first, row-major), so the layer passes its input on and its gradient back.

use super::product::SeqInput;
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::params::ParamStore;

pub struct FlattenLayer {
    units: usize,
    /// The input as values (a spike input is unpacked; a later layer reads values or bits alike).
    y: Vec<f32>,
}

impl FlattenLayer {
    pub fn new(cx: BuildContext) -> Self {
        FlattenLayer {
            units: cx.in_size,
            y: vec![],
        }
    }
}

impl SeqLayer for FlattenLayer {
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

    fn forward(&mut self, _p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let len = shape.rows() * self.units;
        match x {
            SeqInput::Dense(v) => {
                self.y.clear();
                self.y.extend_from_slice(&v[..len]);
            }
            SeqInput::Spikes(bits) => {
                ensure_len(&mut self.y, len);
                bits.unpack(&mut self.y);
            }
        }
    }

    fn backward(
        &mut self,
        _p: &mut ParamStore,
        _x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        _window: usize,
    ) {
        if let Some(dx) = dx {
            let len = shape.rows() * self.units;
            dx[..len].copy_from_slice(&dy[..len]);
        }
    }
}
