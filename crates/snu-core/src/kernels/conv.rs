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
use crate::kernels::linalg::{gemm, Mat};
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
    let (n_in, n_out, k, p) = (g.in_len(), g.out_len(), g.patch_len(), g.positions());
    let size = chunk_size(rows);
    let chunks = rows.div_ceil(size);
    let mut partials = vec![0.0f32; chunks * g.out_c * k];
    let mut no_dx = [];
    let (dx, has_dx): (&mut [f32], bool) = match dx {
        Some(d) => (&mut d[..rows * n_in], true),
        None => (&mut no_dx, false),
    };
    let dx_chunks: Vec<&mut [f32]> = if has_dx {
        dx.chunks_mut(size * n_in).collect()
    } else {
        (0..chunks).map(|_| &mut [][..]).collect()
    };
    partials
        .par_chunks_mut(g.out_c * k)
        .zip(x[..rows * n_in].par_chunks(size * n_in))
        .zip(dy[..rows * n_out].par_chunks(size * n_out))
        .zip(dx_chunks)
        .for_each_init(
            || (vec![0.0f32; k * p], vec![0.0f32; k * p]),
            |(cols, dcols), (((part, xs), dys), dxs)| {
                for (r, (xr, dyr)) in xs
                    .chunks_exact(n_in)
                    .zip(dys.chunks_exact(n_out))
                    .enumerate()
                {
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
                    if has_dx {
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
                        let dxr = &mut dxs[r * n_in..(r + 1) * n_in];
                        dxr.fill(0.0);
                        col2im(g, dcols, dxr);
                    }
                }
            },
        );
    for part in partials.chunks_exact(g.out_c * k) {
        dw.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
}
