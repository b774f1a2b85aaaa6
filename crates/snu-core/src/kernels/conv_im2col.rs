//! Convolution by im2col and the matrix product, for any stride (`conv.rs` picks it where the
//! direct kernels do not apply). For one image, `cols = im2col(x)` is `[K, P]` with
//! `K = C*KH*KW` (the row `k = (c, u, v)`) and `P = OH*OW` (the column `q = (i, j)`), so that
//! `y = W cols` with `W` as `[O, K]`. Backward: `dW += dy cols^T`, `dcols = W^T dy`,
//! `dx = col2im(dcols)` (the adjoint of im2col: each column entry is added back to the pixel it
//! was read from).
//!
//! The products are one image each, on the chunk's thread (`gemm_serial`): measured on the
//! mnist-conv shapes, side-by-side groups of images in one larger product were no faster (their
//! columns fall out of cache before they are packed), and a product split over the threads
//! inside an already parallel loop repacks `W` in every block.

use super::conv::{chunk_size, ConvGeometry};
use super::linalg::{gemm_serial, Mat};
use rayon::prelude::*;

/// Where tap `(u, v)` of output `(i, j)` reads.
trait Sources {
    /// For kernel offset `u` along `axis` and output index `i`: the input index, if inside.
    fn source(&self, axis: usize, i: usize, u: usize, size: usize) -> Option<usize>;
    /// For kernel offset `v` along the width: the output columns whose source is inside.
    fn inside_columns(&self, v: usize) -> InsideColumns;
}

impl Sources for ConvGeometry {
    /// For kernel offset `u` along `axis` and output index `i`: the input index, if inside.
    #[inline]
    fn source(&self, axis: usize, i: usize, u: usize, size: usize) -> Option<usize> {
        let at = (i * self.stride[axis] + u * self.dilation[axis]) as isize
            - self.padding[axis] as isize;
        (at >= 0 && (at as usize) < size).then_some(at as usize)
    }

    /// For kernel offset `v` along the width: the output columns `j0..j1` whose source
    /// `j*sw - pw + v*dw` lies inside the input row, and that source for `j0`.
    fn inside_columns(&self, v: usize) -> InsideColumns {
        let (s, ow) = (self.stride[1] as isize, self.out_hw()[1] as isize);
        let off = (v * self.dilation[1]) as isize - self.padding[1] as isize;
        // j*s + off >= 0  <=>  j >= ceil(-off / s);   j*s + off < W  <=>  j < ceil((W - off) / s).
        let j1 = ((self.in_w as isize - off + s - 1) / s).clamp(0, ow);
        let j0 = (((-off).max(0) + s - 1) / s).min(j1);
        InsideColumns {
            j0: j0 as usize,
            j1: j1 as usize,
            // Clamped for an empty range, which reads nothing.
            first: (j0 * s + off).clamp(0, self.in_w as isize) as usize,
        }
    }
}

/// The output columns `j0..j1` of one kernel column that read inside the input, the first
/// of them reading input column `first` (then every `stride`-th).
#[derive(Clone, Copy)]
struct InsideColumns {
    j0: usize,
    j1: usize,
    first: usize,
}

/// For each kernel column `v`, its `InsideColumns` (computed once per image, not per tap).
fn inside_columns(g: &ConvGeometry) -> Vec<InsideColumns> {
    (0..g.kernel[1]).map(|v| g.inside_columns(v)).collect()
}

/// `cols[k, q] = x[c, i*sh - ph + u*dh, j*sw - pw + v*dw]` (0 outside) for one image: `cols` is
/// `[K, P]`, row `k = (c, u, v)`, column `q = (i, j)`.
pub fn im2col(g: &ConvGeometry, x: &[f32], cols: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    let (kh, kw, sw) = (g.kernel[0], g.kernel[1], g.stride[1]);
    let inside = inside_columns(g);
    let mut rows = cols.chunks_exact_mut(oh * ow);
    for plane in x.chunks_exact(g.in_h * g.in_w).take(g.in_c) {
        for u in 0..kh {
            for &InsideColumns { j0, j1, first } in &inside[..kw] {
                let row = rows.next().expect("cols holds K rows of P");
                for (i, out) in row.chunks_exact_mut(ow).enumerate() {
                    let Some(y) = g.source(0, i, u, g.in_h) else {
                        out.fill(0.0);
                        continue;
                    };
                    let line = &plane[y * g.in_w..(y + 1) * g.in_w];
                    out[..j0].fill(0.0);
                    out[j1..].fill(0.0);
                    let out = &mut out[j0..j1];
                    if sw == 1 {
                        out.copy_from_slice(&line[first..first + out.len()]);
                    } else {
                        let src = line[first..].iter().step_by(sw);
                        out.iter_mut().zip(src).for_each(|(o, &v)| *o = v);
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: `dx[c, y, x] += cols[k, q]` for every entry read from that pixel.
pub fn col2im(g: &ConvGeometry, cols: &[f32], dx: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    let (kh, kw, sw) = (g.kernel[0], g.kernel[1], g.stride[1]);
    let inside = inside_columns(g);
    let mut rows = cols.chunks_exact(oh * ow);
    for plane in dx.chunks_exact_mut(g.in_h * g.in_w).take(g.in_c) {
        for u in 0..kh {
            for &InsideColumns { j0, j1, first } in &inside[..kw] {
                let row = rows.next().expect("cols holds K rows of P");
                for (i, from) in row.chunks_exact(ow).enumerate() {
                    let Some(y) = g.source(0, i, u, g.in_h) else {
                        continue;
                    };
                    let line = &mut plane[y * g.in_w..(y + 1) * g.in_w];
                    let from = &from[j0..j1];
                    if sw == 1 {
                        let to = &mut line[first..first + from.len()];
                        to.iter_mut().zip(from).for_each(|(t, &d)| *t += d);
                    } else {
                        let to = line[first..].iter_mut().step_by(sw);
                        to.zip(from).for_each(|(t, &d)| *t += d);
                    }
                }
            }
        }
    }
}

/// `y[r] = W im2col(x[r])` for every row (`conv::conv_forward`), for any stride.
pub fn forward(g: &ConvGeometry, x: &[f32], rows: usize, w: &[f32], y: &mut [f32]) {
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
                    let (w, cols) = (Mat::new(w, g.out_c, k), Mat::new(cols, k, p));
                    gemm_serial(1.0, w, false, cols, false, 0.0, yr);
                }
            },
        );
}

/// `dw += sum_r dy[r] im2col(x[r])^T` (`conv::conv_weight_grad`), chunk by chunk, the partials
/// summed in order.
pub fn weight_grad(g: &ConvGeometry, x: &[f32], rows: usize, dy: &[f32], dw: &mut [f32]) {
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
                    let (dyr, cols) = (Mat::new(dyr, g.out_c, p), Mat::new(cols, k, p));
                    gemm_serial(1.0, dyr, false, cols, true, 1.0, part);
                }
            },
        );
    for part in partials.chunks_exact(g.out_c * k) {
        dw.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
}

/// `dx[r] = col2im(W^T dy[r])` for every row (`conv::conv_input_grad`), overwritten.
pub fn input_grad(g: &ConvGeometry, w: &[f32], dy: &[f32], rows: usize, dx: &mut [f32]) {
    let (n_in, n_out, k, p) = (g.in_len(), g.out_len(), g.patch_len(), g.positions());
    let size = chunk_size(rows);
    dx[..rows * n_in]
        .par_chunks_mut(size * n_in)
        .zip(dy[..rows * n_out].par_chunks(size * n_out))
        .for_each_init(
            || vec![0.0f32; k * p],
            |dcols, (dxs, dys)| {
                for (dxr, dyr) in dxs.chunks_exact_mut(n_in).zip(dys.chunks_exact(n_out)) {
                    // dcols = W^T (K x O) dy[r] (O x P); dx[r] = col2im(dcols).
                    let (w, dyr) = (Mat::new(w, g.out_c, k), Mat::new(dyr, g.out_c, p));
                    gemm_serial(1.0, w, true, dyr, false, 0.0, dcols);
                    dxr.fill(0.0);
                    col2im(g, dcols, dxr);
                }
            },
        );
}
