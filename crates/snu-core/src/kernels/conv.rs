//! 2-D convolution of channels-first images, one image per row of a `[R, C*H*W]` matrix (a
//! sequence's `R = T*B` rows: every step of every sample):
//!
//! ```text
//! y[o, i, j] = sum_{c, u, v} W[o, c, u, v] x[c, i*sh - ph + u*dh, j*sw - pw + v*dw]   (x = 0 outside)
//! dW[o, c, u, v] = sum_{r, i, j} dy[r][o, i, j] x[r][c, i*sh - ph + u*dh, j*sw - pw + v*dw]
//! dx[c, y, x] = sum of W[o, c, u, v] dy[o, i, j] over the taps that read x[c, y, x]
//! ```
//!
//! Two ways to compute the dense products (`ConvKernel`): direct kernels for stride 1 on x86-64
//! with AVX2 or AVX-512 (`conv_direct`), and im2col with the matrix product for everything else
//! (`conv_im2col`); event-driven kernels for spike inputs are in `conv_events`.
//!
//! Rows are independent: they are cut into a number of chunks that depends on the row count
//! only, each chunk on one thread with its own workspace and its own partial `dW`; the partials
//! are summed in chunk order, so results do not depend on the thread count.

use super::conv_direct as direct;
use super::conv_im2col as im2col;
use crate::bail;
use crate::error::Result;
use crate::limits::{MAX_VALUES, MAX_WIDTH};

pub use super::conv_direct::Simd;
pub use super::conv_events::{conv_forward_spikes, conv_weight_grad_spikes, transpose_kernel};
pub use super::conv_im2col::{col2im, im2col};

/// The rows are cut into at most this many chunks (the cut depends on the row count only).
const MAX_CHUNKS: usize = 16;

/// The shapes of one convolution: input `[C, H, W]`, `O` output channels, kernel, stride,
/// zero padding and dilation per axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub in_c: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_c: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl ConvGeometry {
    /// Checks that every size is at least 1 and at most `MAX_WIDTH` (padding from 0), that the
    /// kernel's extent fits the padded input, and that im2col's columns for one image fit one
    /// array (`columns_values`). `p` names the layer in errors (`model spec: layers[0]`). The
    /// sizes are bounded first so that none of the products below can wrap.
    pub fn check(&self, p: &str) -> Result<()> {
        for (what, v) in [
            ("filters", self.out_c),
            ("kernelSize", self.kernel[0].min(self.kernel[1])),
            ("stride", self.stride[0].min(self.stride[1])),
            ("dilation", self.dilation[0].min(self.dilation[1])),
        ] {
            if v == 0 {
                bail!("{p}.{what}: expected at least 1, got 0");
            }
        }
        let g = self;
        for (what, values, lo) in [
            ("input", &[g.in_c, g.in_h, g.in_w][..], 1),
            ("filters", &[g.out_c], 1),
            ("kernelSize", &g.kernel, 1),
            ("stride", &g.stride, 1),
            ("padding", &g.padding, 0),
            ("dilation", &g.dilation, 1),
        ] {
            if let Some(v) = values.iter().find(|&&v| !(lo..=MAX_WIDTH).contains(&v)) {
                bail!("{p}.{what}: expected sizes from {lo} to {MAX_WIDTH}, got {v}");
            }
        }
        for axis in 0..2 {
            let (size, name) = if axis == 0 {
                (self.in_h, "height")
            } else {
                (self.in_w, "width")
            };
            let extent = self.dilation[axis] * (self.kernel[axis] - 1) + 1;
            let padded = size + 2 * self.padding[axis];
            if extent > padded {
                bail!(
                    "{p}.kernelSize: the kernel spans {extent} pixels (kernel {} x dilation {}) along the {name}, more than the padded input's {padded} ({size} + 2 x padding {})",
                    self.kernel[axis], self.dilation[axis], self.padding[axis]
                );
            }
        }
        // im2col runs every geometry, on every CPU; the direct kernels take only those whose
        // buffers fit (`conv_direct::applies`). So a geometry is valid on all machines when
        // im2col's columns fit one array.
        let columns = self.columns_values();
        if columns > MAX_VALUES as u128 {
            let [oh, ow] = self.out_hw();
            bail!(
                "{p}: im2col's columns for one image would hold {columns} values ({} taps x {oh} x {ow} outputs), more than the {MAX_VALUES} one array may hold; use a smaller kernel or a stride",
                self.patch_len()
            );
        }
        Ok(())
    }

    /// Values of im2col's `K x P` columns for one image, in u128 (`check` bounds them).
    pub fn columns_values(&self) -> u128 {
        self.patch_len() as u128 * self.positions() as u128
    }

    /// Output height and width: `(size + 2 pad - dil (k - 1) - 1) / stride + 1`.
    pub fn out_hw(&self) -> [usize; 2] {
        let out = |axis: usize, size: usize| {
            (size + 2 * self.padding[axis] - self.dilation[axis] * (self.kernel[axis] - 1) - 1)
                / self.stride[axis]
                + 1
        };
        [out(0, self.in_h), out(1, self.in_w)]
    }

    /// Values of one input image, `C*H*W`.
    pub fn in_len(&self) -> usize {
        self.in_c * self.in_h * self.in_w
    }

    /// Output positions of one image, `P = OH*OW`.
    pub fn positions(&self) -> usize {
        let [h, w] = self.out_hw();
        h * w
    }

    /// Values of one output image, `O*OH*OW`.
    pub fn out_len(&self) -> usize {
        self.out_c * self.positions()
    }

    /// Rows of `cols` (and columns of `W`): `K = C*KH*KW`.
    pub fn patch_len(&self) -> usize {
        self.in_c * self.kernel[0] * self.kernel[1]
    }
}

/// How `rows` images are cut into chunks: `size` rows each (the last may be shorter).
pub(crate) fn chunk_size(rows: usize) -> usize {
    rows.div_ceil(rows.clamp(1, MAX_CHUNKS))
}

/// How the dense convolution products are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvKernel {
    /// im2col and the matrix product: any geometry, any CPU.
    Im2col,
    /// `conv_direct` with these instructions: stride 1, buffers that fit (`conv_direct::applies`).
    Direct(Simd),
}

impl ConvKernel {
    /// The fastest kernel for `g` on this CPU: direct where it applies and the CPU has AVX2 or
    /// AVX-512 (measured on the mnist-conv shapes: 2x the im2col path; conv_step_timing example).
    pub fn best(g: &ConvGeometry) -> Self {
        match direct::best_simd() {
            Some(simd) if direct::applies(g) => ConvKernel::Direct(simd),
            _ => ConvKernel::Im2col,
        }
    }
}

/// `y[r] = conv(x[r], W)` for every row: `x` is `[rows, C*H*W]`, `w` is `[O, K]`, `y` is
/// `[rows, O*P]` (overwritten).
pub fn conv_forward(g: &ConvGeometry, x: &[f32], rows: usize, w: &[f32], y: &mut [f32]) {
    conv_forward_with(ConvKernel::best(g), g, x, rows, w, y)
}

/// `conv_forward` with the given kernel (a direct one must apply to `g`).
pub fn conv_forward_with(
    kernel: ConvKernel,
    g: &ConvGeometry,
    x: &[f32],
    rows: usize,
    w: &[f32],
    y: &mut [f32],
) {
    match kernel {
        ConvKernel::Im2col => im2col::forward(g, x, rows, w, y),
        ConvKernel::Direct(simd) => {
            direct::forward(simd, g, x, rows, &direct::pack_weights(g, w), y)
        }
    }
}

/// Backward of `conv_forward` for the rows `x` and output gradients `dy` (`[rows, O*P]`):
/// `dw += dL/dW` (`[O, K]`) and, when given, `dx = dL/dx` (overwritten).
pub fn conv_backward(
    g: &ConvGeometry,
    x: &[f32],
    rows: usize,
    w: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    let kernel = ConvKernel::best(g);
    conv_weight_grad_with(kernel, g, x, rows, dy, dw);
    if let Some(dx) = dx {
        conv_input_grad_with(kernel, g, w, dy, rows, dx);
    }
}

/// `dw += sum_r dy[r] im2col(x[r])^T` (`[O, K]`).
pub fn conv_weight_grad(g: &ConvGeometry, x: &[f32], rows: usize, dy: &[f32], dw: &mut [f32]) {
    conv_weight_grad_with(ConvKernel::best(g), g, x, rows, dy, dw)
}

/// `conv_weight_grad` with the given kernel (a direct one must apply to `g`).
pub fn conv_weight_grad_with(
    kernel: ConvKernel,
    g: &ConvGeometry,
    x: &[f32],
    rows: usize,
    dy: &[f32],
    dw: &mut [f32],
) {
    match kernel {
        ConvKernel::Im2col => im2col::weight_grad(g, x, rows, dy, dw),
        ConvKernel::Direct(simd) => direct::weight_grad(simd, g, x, rows, dy, dw),
    }
}

/// `dx[r] = col2im(W^T dy[r])` for every row (overwritten).
pub fn conv_input_grad(g: &ConvGeometry, w: &[f32], dy: &[f32], rows: usize, dx: &mut [f32]) {
    conv_input_grad_with(ConvKernel::best(g), g, w, dy, rows, dx)
}

/// `conv_input_grad` with the given kernel. The direct one runs the forward kernel on `dy`
/// with the flipped kernel (`conv_direct::input_grad_geometry`); where that geometry does not
/// exist (padding beyond the kernel's extent), im2col.
pub fn conv_input_grad_with(
    kernel: ConvKernel,
    g: &ConvGeometry,
    w: &[f32],
    dy: &[f32],
    rows: usize,
    dx: &mut [f32],
) {
    match (kernel, direct::input_grad_geometry(g)) {
        (ConvKernel::Direct(simd), Some(back)) => {
            let wp = direct::pack_weights(&back, &direct::flip_kernel(g, w));
            direct::forward(simd, &back, dy, rows, &wp, dx);
        }
        _ => im2col::input_grad(g, w, dy, rows, dx),
    }
}
