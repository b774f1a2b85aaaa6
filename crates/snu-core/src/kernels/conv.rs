//! 2-D convolution of channels-first images, one image per row of a `[R, C*H*W]` matrix (a
//! sequence's `R = T*B` rows: every step of every sample), by im2col and the matrix product.
//!
//! ```text
//! y[o, i, j] = sum_{c, u, v} W[o, c, u, v] x[c, i*sh - ph + u*dh, j*sw - pw + v*dw]   (x = 0 outside)
//! ```
//! For one image, `cols = im2col(x)` is `[K, P]` with `K = C*KH*KW` (the row `k = (c, u, v)`)
//! and `P = OH*OW` (the column `q = (i, j)`), so that `y = W cols` with `W` as `[O, K]`.
//! Backward: `dW += dy cols^T`, `dcols = W^T dy`, `dx = col2im(dcols)` (the adjoint of im2col:
//! each column entry is added back to the pixel it was read from).
//!
//! Rows are independent: they are cut into a number of chunks that depends on the row count
//! only, each chunk on one thread with its own `cols` workspace and its own partial `dW`; the
//! partials are summed in chunk order, so results do not depend on the thread count.

use crate::bail;
use crate::error::Result;
use crate::kernels::event::for_each_spike;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::simd::simd_kernel;
use crate::kernels::spikes::SpikeMatrix;
use rayon::prelude::*;

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
    /// Checks that the kernel's extent fits the padded input and every size is at least 1.
    /// `p` names the layer in errors (`model spec: layers[0]`).
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
        Ok(())
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

    /// For kernel offset `u` along `axis` and output index `i`: the input index, if inside.
    #[inline]
    fn source(&self, axis: usize, i: usize, u: usize, size: usize) -> Option<usize> {
        let at = (i * self.stride[axis] + u * self.dilation[axis]) as isize
            - self.padding[axis] as isize;
        (at >= 0 && (at as usize) < size).then_some(at as usize)
    }
}

/// `cols[k, q] = x[c, i*sh - ph + u*dh, j*sw - pw + v*dw]` (0 outside) for one image.
pub fn im2col(g: &ConvGeometry, x: &[f32], cols: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    let p = oh * ow;
    let (kh, kw) = (g.kernel[0], g.kernel[1]);
    for c in 0..g.in_c {
        let plane = &x[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for u in 0..kh {
            for v in 0..kw {
                let k = (c * kh + u) * kw + v;
                let row = &mut cols[k * p..(k + 1) * p];
                for i in 0..oh {
                    let out = &mut row[i * ow..(i + 1) * ow];
                    match g.source(0, i, u, g.in_h) {
                        None => out.fill(0.0),
                        Some(y) => {
                            let line = &plane[y * g.in_w..(y + 1) * g.in_w];
                            for (j, o) in out.iter_mut().enumerate() {
                                *o = g.source(1, j, v, g.in_w).map_or(0.0, |x| line[x]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: `dx[c, y, x] += cols[k, q]` for every entry read from that pixel.
pub fn col2im(g: &ConvGeometry, cols: &[f32], dx: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    let p = oh * ow;
    let (kh, kw) = (g.kernel[0], g.kernel[1]);
    for c in 0..g.in_c {
        let plane = &mut dx[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for u in 0..kh {
            for v in 0..kw {
                let k = (c * kh + u) * kw + v;
                let row = &cols[k * p..(k + 1) * p];
                for i in 0..oh {
                    let Some(y) = g.source(0, i, u, g.in_h) else {
                        continue;
                    };
                    let line = &mut plane[y * g.in_w..(y + 1) * g.in_w];
                    for (j, &d) in row[i * ow..(i + 1) * ow].iter().enumerate() {
                        if let Some(x) = g.source(1, j, v, g.in_w) {
                            line[x] += d;
                        }
                    }
                }
            }
        }
    }
}

/// How `rows` images are cut into chunks: `size` rows each (the last may be shorter).
fn chunk_size(rows: usize) -> usize {
    rows.div_ceil(rows.clamp(1, MAX_CHUNKS))
}

/// `y[r] = W im2col(x[r])` for every row: `x` is `[rows, C*H*W]`, `w` is `[O, K]`, `y` is
/// `[rows, O*P]` (overwritten).
pub fn conv_forward(g: &ConvGeometry, x: &[f32], rows: usize, w: &[f32], y: &mut [f32]) {
    let (n_in, n_out, k, p) = (g.in_len(), g.out_len(), g.patch_len(), g.positions());
    let size = chunk_size(rows);
    x[..rows * n_in]
        .par_chunks(size * n_in)
        .zip(y[..rows * n_out].par_chunks_mut(size * n_out))
        .for_each_init(
            || vec![0.0f32; k * p],
            |cols, (xs, ys)| {
                for (xr, yr) in xs.chunks_exact(n_in).zip(ys.chunks_exact_mut(n_out)) {
                    im2col(g, xr, cols);
                    gemm(
                        1.0,
                        Mat::new(w, g.out_c, k),
                        false,
                        Mat::new(cols, k, p),
                        false,
                        0.0,
                        yr,
                    );
                }
            },
        );
}

/// Backward of `conv_forward` for the rows `x` and output gradients `dy` (`[rows, O*P]`):
/// `dw += sum_r dy[r] im2col(x[r])^T` (`[O, K]`) and, when given, `dx[r] = col2im(W^T dy[r])`
/// (overwritten).
pub fn conv_backward(
    g: &ConvGeometry,
    x: &[f32],
    rows: usize,
    w: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    conv_weight_grad(g, x, rows, dy, dw);
    if let Some(dx) = dx {
        conv_input_grad(g, w, dy, rows, dx);
    }
}

/// `dw += sum_r dy[r] im2col(x[r])^T` (`[O, K]`), chunk by chunk, the partials summed in order.
pub fn conv_weight_grad(g: &ConvGeometry, x: &[f32], rows: usize, dy: &[f32], dw: &mut [f32]) {
    let (n_in, n_out, k, p) = (g.in_len(), g.out_len(), g.patch_len(), g.positions());
    let size = chunk_size(rows);
    let mut partials = vec![0.0f32; rows.div_ceil(size) * g.out_c * k];
    partials
        .par_chunks_mut(g.out_c * k)
        .zip(x[..rows * n_in].par_chunks(size * n_in))
        .zip(dy[..rows * n_out].par_chunks(size * n_out))
        .for_each_init(
            || vec![0.0f32; k * p],
            |cols, ((part, xs), dys)| {
                for (xr, dyr) in xs.chunks_exact(n_in).zip(dys.chunks_exact(n_out)) {
                    im2col(g, xr, cols);
                    // dW_part += dy[r] (O x P) cols^T (P x K).
                    gemm(
                        1.0,
                        Mat::new(dyr, g.out_c, p),
                        false,
                        Mat::new(cols, k, p),
                        true,
                        1.0,
                        part,
                    );
                }
            },
        );
    for part in partials.chunks_exact(g.out_c * k) {
        dw.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
}

/// `dx[r] = col2im(W^T dy[r])` for every row (overwritten).
pub fn conv_input_grad(g: &ConvGeometry, w: &[f32], dy: &[f32], rows: usize, dx: &mut [f32]) {
    let (n_in, n_out, k, p) = (g.in_len(), g.out_len(), g.patch_len(), g.positions());
    dx[..rows * n_in]
        .par_chunks_mut(n_in)
        .zip(dy[..rows * n_out].par_chunks(n_out))
        .for_each_init(
            || vec![0.0f32; k * p],
            |dcols, (dxr, dyr)| {
                // dcols = W^T (K x O) dy[r] (O x P); dx[r] = col2im(dcols).
                gemm(
                    1.0,
                    Mat::new(w, g.out_c, k),
                    true,
                    Mat::new(dyr, g.out_c, p),
                    false,
                    0.0,
                    dcols,
                );
                dxr.fill(0.0);
                col2im(g, dcols, dxr);
            },
        );
}

// ---------------------------------------------------------------------------------------
// Event-driven: spike inputs (0/1 as bits), where only the taps a spike reaches are added.
//
//     y[:, i, j] += W[:, c, u, v]    for each spike x[c, yy, xx] and each (u, v) with
//                                    yy = i*sh - ph + u*dh, xx = j*sw - pw + v*dw
//
// costs `spikes x KH x KW x O` additions against `O x K x P` multiply-adds for im2col + the
// product: about the density of the input times the dense work (for stride 1).

/// The output positions `(q, k)` spike `(c, yy, xx)` reaches: `q = i*OW + j`, `k = (c*KH + u)*KW + v`.
#[inline]
fn reach(g: &ConvGeometry, c: usize, yy: usize, xx: usize, mut f: impl FnMut(usize, usize)) {
    let [oh, ow] = g.out_hw();
    let tap = |axis: usize, at: usize, u: usize, out: usize| -> Option<usize> {
        let t = (at + g.padding[axis]) as isize - (u * g.dilation[axis]) as isize;
        if t < 0 || !(t as usize).is_multiple_of(g.stride[axis]) {
            return None;
        }
        let i = t as usize / g.stride[axis];
        (i < out).then_some(i)
    };
    for u in 0..g.kernel[0] {
        let Some(i) = tap(0, yy, u, oh) else { continue };
        for v in 0..g.kernel[1] {
            let Some(j) = tap(1, xx, v, ow) else { continue };
            f(i * ow + j, (c * g.kernel[0] + u) * g.kernel[1] + v);
        }
    }
}

/// `(c, yy, xx)` of input index `idx` of a `[C, H, W]` image.
#[inline]
fn pixel(g: &ConvGeometry, idx: usize) -> (usize, usize, usize) {
    let plane = g.in_h * g.in_w;
    (idx / plane, (idx % plane) / g.in_w, idx % g.in_w)
}

/// `W` (`[O, K]`) as `[K, O]`, so that a tap's weights over the filters are contiguous.
pub fn transpose_kernel(g: &ConvGeometry, w: &[f32]) -> Vec<f32> {
    let (o, k) = (g.out_c, g.patch_len());
    let mut t = vec![0.0f32; k * o];
    for (f, row) in w[..o * k].chunks_exact(k).enumerate() {
        for (kk, &v) in row.iter().enumerate() {
            t[kk * o + f] = v;
        }
    }
    t
}

/// `conv_forward` for spike rows: `y[r]` (`[O*P]`, overwritten) from the spikes of `x` row `r`
/// and `wt`, `W` as `[K, O]` (`transpose_kernel`).
pub fn conv_forward_spikes(g: &ConvGeometry, x: &SpikeMatrix, wt: &[f32], y: &mut [f32]) {
    let (rows, n_out, o, p) = (x.rows(), g.out_len(), g.out_c, g.positions());
    y[..rows * n_out]
        .par_chunks_mut(n_out)
        .enumerate()
        .for_each_init(
            || vec![0.0f32; p * o],
            |acc, (r, yr)| {
                acc.fill(0.0);
                for_each_spike(x.row(r), |idx| {
                    let (c, yy, xx) = pixel(g, idx);
                    reach(g, c, yy, xx, |q, k| {
                        add_row(&mut acc[q * o..(q + 1) * o], &wt[k * o..(k + 1) * o])
                    });
                });
                // [P, O] -> [O, P].
                for (q, values) in acc.chunks_exact(o).enumerate() {
                    for (f, &v) in values.iter().enumerate() {
                        yr[f * p + q] = v;
                    }
                }
            },
        );
}

/// `conv_weight_grad` for spike rows: `dw += sum_r dy[r] im2col(x[r])^T`, adding `dy[:, q]` to
/// `dW[:, k]` for each tap `(q, k)` of each spike; chunked and summed in order as the dense one.
pub fn conv_weight_grad_spikes(g: &ConvGeometry, x: &SpikeMatrix, dy: &[f32], dw: &mut [f32]) {
    let (rows, n_out, o, k, p) = (x.rows(), g.out_len(), g.out_c, g.patch_len(), g.positions());
    let size = chunk_size(rows);
    let chunks = rows.div_ceil(size);
    // Partials as [K, O]: a tap's gradient over the filters is contiguous.
    let mut partials = vec![0.0f32; chunks * k * o];
    partials.par_chunks_mut(k * o).enumerate().for_each_init(
        || vec![0.0f32; p * o],
        |dyt, (c, part)| {
            for r in c * size..((c + 1) * size).min(rows) {
                // dy[r] as [P, O].
                let dyr = &dy[r * n_out..(r + 1) * n_out];
                for (f, values) in dyr.chunks_exact(p).enumerate() {
                    for (q, &v) in values.iter().enumerate() {
                        dyt[q * o + f] = v;
                    }
                }
                for_each_spike(x.row(r), |idx| {
                    let (ch, yy, xx) = pixel(g, idx);
                    reach(g, ch, yy, xx, |q, kk| {
                        add_row(&mut part[kk * o..(kk + 1) * o], &dyt[q * o..(q + 1) * o])
                    });
                });
            }
        },
    );
    for part in partials.chunks_exact(k * o) {
        for (kk, grads) in part.chunks_exact(o).enumerate() {
            for (f, &v) in grads.iter().enumerate() {
                dw[f * k + kk] += v;
            }
        }
    }
}

simd_kernel! {
    /// `acc += row`.
    fn add_row(acc: &mut [f32], row: &[f32]) {
        acc.iter_mut().zip(row).for_each(|(a, b)| *a += b);
    }
}
