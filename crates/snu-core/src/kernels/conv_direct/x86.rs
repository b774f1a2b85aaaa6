//! The direct kernels with AVX-512 and with AVX2 + FMA intrinsics (`conv_direct` checks the
//! CPU and the slice sizes before calling them).

use super::{grad_len, ConvGeometry, PaddedLayout, BLOCK_FILTERS, GRAD_FILTERS, GRAD_TAPS, LANES};
use std::arch::x86_64::*;

/// `forward_portable` with AVX-512: 16 accumulators of 16 columns, one per filter.
///
/// # Safety
/// AVX-512F must be present and the slices sized as `forward_image` asserts.
#[target_feature(enable = "avx512f")]
pub unsafe fn forward_avx512(
    g: &ConvGeometry,
    lay: &PaddedLayout,
    xp: &[f32],
    wp: &[f32],
    y: &mut [f32],
) {
    let [oh, ow] = g.out_hw();
    let (k_len, [kh, kw], [dh, dw]) = (g.patch_len(), g.kernel, g.dilation);
    let (xp, wp, y) = (xp.as_ptr(), wp.as_ptr(), y.as_mut_ptr());
    for i in 0..oh {
        for run in 0..lay.runs {
            let j0 = run * LANES;
            let width = LANES.min(ow - j0);
            let mask = ((1u32 << width) - 1) as __mmask16;
            for block in 0..g.out_c.div_ceil(BLOCK_FILTERS) {
                let mut acc = [_mm512_setzero_ps(); BLOCK_FILTERS];
                let mut w = unsafe { wp.add(block * k_len * BLOCK_FILTERS) };
                for c in 0..g.in_c {
                    for u in 0..kh {
                        let row = unsafe { xp.add((c * lay.rows + i + u * dh) * lay.width + j0) };
                        for v in 0..kw {
                            let b = unsafe { _mm512_loadu_ps(row.add(v * dw)) };
                            for (m, a) in acc.iter_mut().enumerate() {
                                *a = _mm512_fmadd_ps(_mm512_set1_ps(unsafe { *w.add(m) }), b, *a);
                            }
                            w = unsafe { w.add(BLOCK_FILTERS) };
                        }
                    }
                }
                // Every accumulator visited with a constant index (a loop cut short at a
                // run-time count would keep `acc` in memory, stored at every tap).
                for (m, a) in acc.iter().enumerate() {
                    let f = block * BLOCK_FILTERS + m;
                    if f < g.out_c {
                        unsafe { _mm512_mask_storeu_ps(y.add((f * oh + i) * ow + j0), mask, *a) };
                    }
                }
            }
        }
    }
}

/// `forward_portable` with AVX2 + FMA: a block's filters four at a time, each with two
/// accumulators of 8 columns (8 of the 16 registers).
///
/// # Safety
/// AVX2 and FMA must be present and the slices sized as `forward_image` asserts.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn forward_avx2(
    g: &ConvGeometry,
    lay: &PaddedLayout,
    xp: &[f32],
    wp: &[f32],
    y: &mut [f32],
) {
    const QUAD: usize = 4;
    let [oh, ow] = g.out_hw();
    let (k_len, [kh, kw], [dh, dw]) = (g.patch_len(), g.kernel, g.dilation);
    let (xp, wp, y) = (xp.as_ptr(), wp.as_ptr(), y.as_mut_ptr());
    for i in 0..oh {
        for run in 0..lay.runs {
            let j0 = run * LANES;
            let width = LANES.min(ow - j0);
            for first in (0..g.out_c).step_by(QUAD) {
                let (block, m0) = (first / BLOCK_FILTERS, first % BLOCK_FILTERS);
                let mut acc = [[_mm256_setzero_ps(); 2]; QUAD];
                let mut w = unsafe { wp.add(block * k_len * BLOCK_FILTERS + m0) };
                for c in 0..g.in_c {
                    for u in 0..kh {
                        let row = unsafe { xp.add((c * lay.rows + i + u * dh) * lay.width + j0) };
                        for v in 0..kw {
                            let b0 = unsafe { _mm256_loadu_ps(row.add(v * dw)) };
                            let b1 = unsafe { _mm256_loadu_ps(row.add(v * dw + 8)) };
                            for (m, a) in acc.iter_mut().enumerate() {
                                let s = _mm256_set1_ps(unsafe { *w.add(m) });
                                a[0] = _mm256_fmadd_ps(s, b0, a[0]);
                                a[1] = _mm256_fmadd_ps(s, b1, a[1]);
                            }
                            w = unsafe { w.add(BLOCK_FILTERS) };
                        }
                    }
                }
                for (m, a) in acc.iter().enumerate() {
                    if first + m >= g.out_c {
                        continue;
                    }
                    let mut out = [0.0f32; LANES];
                    unsafe {
                        _mm256_storeu_ps(out.as_mut_ptr(), a[0]);
                        _mm256_storeu_ps(out.as_mut_ptr().add(8), a[1]);
                        let to = y.add(((first + m) * oh + i) * ow + j0);
                        std::ptr::copy_nonoverlapping(out.as_ptr(), to, width);
                    }
                }
            }
        }
    }
}

/// `weight_grad_images` with AVX-512: tiles of 4 filters x 4 taps, 16 accumulators of 16
/// lanes, 8 loads per 16 multiply-adds.
///
/// # Safety
/// AVX-512F must be present and the slices sized as `weight_grad_images` asserts.
#[target_feature(enable = "avx512f")]
pub unsafe fn weight_grad_avx512(
    g: &ConvGeometry,
    lay: &PaddedLayout,
    offsets: &[usize],
    xps: &[f32],
    dyps: &[f32],
    images: usize,
    dwv: &mut [f32],
) {
    let (oh, rl, k_len) = (g.out_hw()[0], lay.runs * LANES, g.patch_len());
    let (x_len, d_len) = (lay.len(g), grad_len(g, lay));
    let (xps, dyps, dwv) = (xps.as_ptr(), dyps.as_ptr(), dwv.as_mut_ptr());
    for o0 in (0..g.out_c).step_by(GRAD_FILTERS) {
        for (t, taps) in offsets.chunks_exact(GRAD_TAPS).enumerate() {
            let mut acc = [[_mm512_setzero_ps(); GRAD_TAPS]; GRAD_FILTERS];
            for img in 0..images {
                // Output row i's inputs of each tap, and its gradient of each filter.
                let x0 = unsafe { xps.add(img * x_len) };
                let mut xrows: [*const f32; GRAD_TAPS] =
                    std::array::from_fn(|n| unsafe { x0.add(taps[n]) });
                let mut drow = unsafe { dyps.add(img * d_len + o0 * oh * rl) };
                for _ in 0..oh {
                    for run in (0..rl).step_by(LANES) {
                        let d: [__m512; GRAD_FILTERS] = std::array::from_fn(|m| unsafe {
                            _mm512_loadu_ps(drow.add(m * oh * rl + run))
                        });
                        for (n, xrow) in xrows.iter().enumerate() {
                            let x = unsafe { _mm512_loadu_ps(xrow.add(run)) };
                            for (a, &dm) in acc.iter_mut().zip(&d) {
                                a[n] = _mm512_fmadd_ps(dm, x, a[n]);
                            }
                        }
                    }
                    xrows = xrows.map(|p| unsafe { p.add(lay.width) });
                    drow = unsafe { drow.add(rl) };
                }
            }
            for (m, a) in acc.iter().enumerate() {
                for (n, &an) in a.iter().enumerate() {
                    let k = t * GRAD_TAPS + n;
                    if k < k_len {
                        let at = unsafe { dwv.add(((o0 + m) * k_len + k) * LANES) };
                        unsafe { _mm512_storeu_ps(at, _mm512_add_ps(_mm512_loadu_ps(at), an)) };
                    }
                }
            }
        }
    }
}

/// `weight_grad_images` with AVX2 + FMA: tiles of 4 filters x 2 taps over 8-lane halves
/// of each run (8 accumulators), added into lanes 0..8 of `dwv`.
///
/// # Safety
/// AVX2 and FMA must be present and the slices sized as `weight_grad_images` asserts.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn weight_grad_avx2(
    g: &ConvGeometry,
    lay: &PaddedLayout,
    offsets: &[usize],
    xps: &[f32],
    dyps: &[f32],
    images: usize,
    dwv: &mut [f32],
) {
    const TAPS: usize = 2;
    let (oh, rl, k_len) = (g.out_hw()[0], lay.runs * LANES, g.patch_len());
    let (x_len, d_len) = (lay.len(g), grad_len(g, lay));
    let (xps, dyps, dwv) = (xps.as_ptr(), dyps.as_ptr(), dwv.as_mut_ptr());
    for o0 in (0..g.out_c).step_by(GRAD_FILTERS) {
        for (t, taps) in offsets.chunks_exact(TAPS).enumerate() {
            let mut acc = [[_mm256_setzero_ps(); TAPS]; GRAD_FILTERS];
            for img in 0..images {
                let x0 = unsafe { xps.add(img * x_len) };
                let mut xrows: [*const f32; TAPS] =
                    std::array::from_fn(|n| unsafe { x0.add(taps[n]) });
                let mut drow = unsafe { dyps.add(img * d_len + o0 * oh * rl) };
                for _ in 0..oh {
                    for half in (0..rl).step_by(8) {
                        let d: [__m256; GRAD_FILTERS] = std::array::from_fn(|m| unsafe {
                            _mm256_loadu_ps(drow.add(m * oh * rl + half))
                        });
                        for (n, xrow) in xrows.iter().enumerate() {
                            let x = unsafe { _mm256_loadu_ps(xrow.add(half)) };
                            for (a, &dm) in acc.iter_mut().zip(&d) {
                                a[n] = _mm256_fmadd_ps(dm, x, a[n]);
                            }
                        }
                    }
                    xrows = xrows.map(|p| unsafe { p.add(lay.width) });
                    drow = unsafe { drow.add(rl) };
                }
            }
            for (m, a) in acc.iter().enumerate() {
                for (n, &an) in a.iter().enumerate() {
                    let k = t * TAPS + n;
                    if k < k_len {
                        let at = unsafe { dwv.add(((o0 + m) * k_len + k) * LANES) };
                        unsafe { _mm256_storeu_ps(at, _mm256_add_ps(_mm256_loadu_ps(at), an)) };
                    }
                }
            }
        }
    }
}
