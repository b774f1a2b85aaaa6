//! 2-D pooling applied at every time step of channels-first images (`kernels/pooling.rs`):
//! sum, mean or max over windows that tile each channel. No parameters.

use super::product::SeqInput;
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
use crate::kernels::pooling::{pool_backward, pool_forward, PoolGeometry, PoolKind};
use crate::params::ParamStore;
use crate::spec::{self, Pool2dSpec};

pub struct Pool2dLayer {
    geometry: PoolGeometry,
    kind: PoolKind,
    /// Output `[T*B, C*OH*OW]`.
    y: Vec<f32>,
    /// For max: each output's source index within its row.
    argmax: Vec<u32>,
    /// Spike inputs as values.
    x_values: Vec<f32>,
}

impl Pool2dLayer {
    pub fn new(spec: &Pool2dSpec, cx: BuildContext) -> Result<Self> {
        Ok(Pool2dLayer {
            geometry: spec.geometry(&cx.path, cx.in_shape)?,
            kind: match spec.kind {
                spec::PoolKind::Avg => PoolKind::Avg,
                spec::PoolKind::Max => PoolKind::Max,
                spec::PoolKind::Sum => PoolKind::Sum,
            },
            y: vec![],
            argmax: vec![],
            x_values: vec![],
        })
    }
}

impl SeqLayer for Pool2dLayer {
    /// No state over time: OSTL's gradient is this layer's backward pass.
    fn ostl_refusal(&self) -> Option<String> {
        None
    }

    fn units(&self) -> usize {
        self.geometry.out_len()
    }

    fn output(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.y)
    }

    fn forward(&mut self, _p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (rows, n) = (shape.rows(), self.units());
        ensure_len(&mut self.y, rows * n);
        if self.kind == PoolKind::Max {
            crate::error::resize_or_oom(&mut self.argmax, rows * n, 0);
        }
        let xv = match x {
            SeqInput::Dense(v) => v,
            SeqInput::Spikes(bits) => {
                ensure_len(&mut self.x_values, bits.rows() * bits.cols());
                bits.unpack(&mut self.x_values);
                &self.x_values
            }
        };
        pool_forward(
            &self.geometry,
            self.kind,
            xv,
            rows,
            &mut self.y,
            &mut self.argmax,
        );
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
            pool_backward(
                &self.geometry,
                self.kind,
                dy,
                shape.rows(),
                &self.argmax,
                dx,
            );
        }
    }
}
