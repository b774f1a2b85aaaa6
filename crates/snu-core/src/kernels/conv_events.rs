//! Event-driven convolution of spike inputs (0/1 as bits), where only the taps a spike reaches
//! are added:
//!
//! ```text
//! y[:, i, j] += W[:, c, u, v]    for each spike x[c, yy, xx] and each (u, v) with
//!                                yy = i*sh - ph + u*dh, xx = j*sw - pw + v*dw
//! ```
//!
//! It costs `spikes x KH x KW x O` additions against `O x K x P` multiply-adds for the dense
//! kernels: about the density of the input times the dense work (for stride 1).
//! `layers/conv_product.rs` picks it below the measured crossover densities.

use super::conv::{chunk_size, ConvGeometry};
use super::event::for_each_spike;
use super::simd::simd_kernel;
use super::spikes::SpikeMatrix;
use rayon::prelude::*;

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
