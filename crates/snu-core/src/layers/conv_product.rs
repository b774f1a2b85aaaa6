//! The convolution of a layer's input sequence, choosing per call between the event-driven path
//! for sparse spike inputs and im2col with the matrix product (`kernels/conv.rs`), as
//! `product.rs` does for `x W`. The crossover densities were measured with
//! `cargo run --release -p snu-core --example conv_crossover` (docs/benchmarks.md): the forward
//! pass adds a tap's `O` weights per spike and wins below about 8 % density when `O` is small
//! (16 filters on MNIST's input) and below 20-25 % with 32 filters; the weight gradient wins below
//! about 25-30 % on every measured shape.

use super::ensure_len;
use super::product::{ProductPath, SeqInput};
use crate::kernels::conv::{
    conv_forward, conv_forward_spikes, conv_input_grad, conv_weight_grad, conv_weight_grad_spikes,
    transpose_kernel, ConvGeometry,
};

/// Spike inputs at or below this density are convolved event-driven in the forward pass.
pub const CONV_EVENT_FORWARD_MAX_DENSITY: f64 = 0.08;
/// Spike inputs at or below this density give the weight gradient event-driven.
pub const CONV_EVENT_WEIGHT_GRAD_MAX_DENSITY: f64 = 0.25;

/// One layer's convolution: its geometry, the path setting, and a spike input unpacked to values
/// once per input when a dense product needs it.
pub struct ConvProducts {
    pub geometry: ConvGeometry,
    pub path: ProductPath,
    values: Vec<f32>,
    /// `values` holds the spike input of the current forward pass.
    unpacked: bool,
}

impl ConvProducts {
    pub fn new(geometry: ConvGeometry) -> Self {
        ConvProducts {
            geometry,
            path: ProductPath::Auto,
            values: vec![],
            unpacked: false,
        }
    }

    fn events(&self, x: SeqInput, max_density: f64) -> bool {
        match (x, self.path) {
            (SeqInput::Dense(_), _) | (_, ProductPath::Dense) => false,
            (SeqInput::Spikes(_), ProductPath::EventDriven) => true,
            (SeqInput::Spikes(s), ProductPath::Auto) => s.density() <= max_density,
        }
    }

    /// The input as values (spikes unpacked once per forward pass).
    fn values<'a>(values: &'a mut Vec<f32>, unpacked: &mut bool, x: SeqInput<'a>) -> &'a [f32] {
        match x {
            SeqInput::Dense(v) => v,
            SeqInput::Spikes(bits) => {
                if !*unpacked {
                    ensure_len(values, bits.rows() * bits.cols());
                    bits.unpack(values);
                    *unpacked = true;
                }
                values
            }
        }
    }

    /// `y[r] = conv(x[r], W)` for all `rows` (`y` overwritten); starts a new input.
    pub fn forward(&mut self, x: SeqInput, rows: usize, w: &[f32], y: &mut [f32]) {
        self.unpacked = false;
        if let (true, SeqInput::Spikes(bits)) = (self.events(x, CONV_EVENT_FORWARD_MAX_DENSITY), x)
        {
            conv_forward_spikes(
                &self.geometry,
                bits,
                &transpose_kernel(&self.geometry, w),
                y,
            );
        } else {
            let xv = Self::values(&mut self.values, &mut self.unpacked, x);
            conv_forward(&self.geometry, xv, rows, w, y);
        }
    }

    /// `dw += sum_r dy[r] im2col(x[r])^T` and, when given, `dx[r] = col2im(W^T dy[r])`, for the
    /// input of the last `forward`.
    pub fn backward(
        &mut self,
        x: SeqInput,
        rows: usize,
        w: &[f32],
        dy: &[f32],
        dw: &mut [f32],
        dx: Option<&mut [f32]>,
    ) {
        if let (true, SeqInput::Spikes(bits)) =
            (self.events(x, CONV_EVENT_WEIGHT_GRAD_MAX_DENSITY), x)
        {
            conv_weight_grad_spikes(&self.geometry, bits, dy, dw);
        } else {
            let xv = Self::values(&mut self.values, &mut self.unpacked, x);
            conv_weight_grad(&self.geometry, xv, rows, dy, dw);
        }
        if let Some(dx) = dx {
            conv_input_grad(&self.geometry, w, dy, rows, dx);
        }
    }
}
