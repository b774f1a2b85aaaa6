//! The convolution of a layer's input sequence, choosing per call between the event-driven path
//! for sparse spike inputs and the dense kernels (`kernels/conv.rs`), as `product.rs` does for
//! `x W`. Where the events pay was measured with
//! `cargo run --release -p snu-core --example conv_crossover` (docs/benchmarks.md): against the
//! direct kernel (stride 1 with AVX2 or AVX-512) the forward pass pays below about 5 % spikes and
//! the weight gradient below about 10 %; against im2col below about 12 % and 20 %; and on inputs
//! of few channels (MNIST's single one: 25 taps per output) hardly ever, as each image's fixed
//! cost (clearing and transposing its outputs) outweighs the few products it saves.

use super::ensure_len;
use super::product::{ProductPath, SeqInput};
use crate::kernels::conv::{
    conv_forward, conv_forward_spikes, conv_input_grad, conv_weight_grad, conv_weight_grad_spikes,
    transpose_kernel, ConvGeometry, ConvKernel,
};

/// Inputs with fewer taps per output (`C*KH*KW`) than this are never convolved event-driven.
pub const CONV_EVENT_MIN_TAPS: usize = 100;

/// The pass of a convolution whose event-driven path is being chosen.
#[derive(Clone, Copy)]
enum Pass {
    Forward,
    WeightGrad,
}

/// The spike density at or below which `pass` runs event-driven, given the dense kernel it
/// would otherwise use.
fn event_max_density(kernel: ConvKernel, pass: Pass) -> f64 {
    match (kernel, pass) {
        (ConvKernel::Direct(_), Pass::Forward) => 0.05,
        (ConvKernel::Direct(_), Pass::WeightGrad) => 0.10,
        (ConvKernel::Im2col, Pass::Forward) => 0.12,
        (ConvKernel::Im2col, Pass::WeightGrad) => 0.20,
    }
}

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

    fn events(&self, x: SeqInput, pass: Pass) -> bool {
        let g = &self.geometry;
        match (x, self.path) {
            (SeqInput::Dense(_), _) | (_, ProductPath::Dense) => false,
            (SeqInput::Spikes(_), ProductPath::EventDriven) => true,
            (SeqInput::Spikes(s), ProductPath::Auto) => {
                g.patch_len() >= CONV_EVENT_MIN_TAPS
                    && s.density() <= event_max_density(ConvKernel::best(g), pass)
            }
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
        if let (true, SeqInput::Spikes(bits)) = (self.events(x, Pass::Forward), x) {
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

    /// `dw += dL/dW` and, when given, `dx = dL/dx` (overwritten), for the input of the last
    /// `forward`.
    pub fn backward(
        &mut self,
        x: SeqInput,
        rows: usize,
        w: &[f32],
        dy: &[f32],
        dw: &mut [f32],
        dx: Option<&mut [f32]>,
    ) {
        if let (true, SeqInput::Spikes(bits)) = (self.events(x, Pass::WeightGrad), x) {
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
