//! Direct convolution for stride 1 (any padding and dilation), without im2col, on x86-64 with
//! AVX-512 or AVX2 + FMA (`available`); elsewhere `conv.rs` keeps im2col and the matrix product.
//!
//! Each image is copied once into a zero-padded buffer `xp` (`[C, Hp, Wr]`, the image at rows
//! `ph..ph+H` and columns `pw..pw+W`), so that output row `i` reads, for each tap `(c, u, v)`,
//! the contiguous run `xp[c, i + u*dh, v*dw ..]`:
//!
//! ```text
//! y[o, i, j] = sum_{c, u, v} W[o, c, u, v] xp[c, i + u*dh, j + v*dw]
//! ```
//!
//! The loop keeps `16 x 16` outputs in registers (16 filters, 16 neighbouring columns of one
//! output row) while it runs over the `K = C*KH*KW` taps: per tap one load of 16 inputs and 16
//! broadcast weights, 256 multiply-adds. The weights are repacked once per call as
//! `[O/16, K, 16]` (zeros past `O`). Rows wider than 16 take several runs; the last run of a
//! row computes up to 15 columns past `OW` that are not stored (`Wr` leaves room to read them).
//! Measured against im2col + `matrixmultiply` on the mnist-conv shapes (conv_step_timing
//! example), it saves the im2col copy and the packing of every image's columns.
//!
//! The input gradient is the same kernel (`input_grad_geometry`): `dx` is the convolution of `dy`,
//! padded by `(K - 1) d - p`, with the kernel flipped and its channel axes swapped.

use super::conv::{chunk_size, ConvGeometry};
use crate::limits::MAX_VALUES;
use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
mod x86;

/// Neighbouring output columns per register block (one AVX-512 vector).
pub const LANES: usize = 16;
/// Filters per register block.
pub const BLOCK_FILTERS: usize = 16;
/// Filters and taps per register tile of the weight gradient.
pub const GRAD_FILTERS: usize = 4;
pub const GRAD_TAPS: usize = 6;

/// The instruction sets the kernels are written for, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simd {
    Avx512,
    Avx2Fma,
}

/// The instruction sets this CPU has, best first (empty: no direct kernel here).
pub fn simd_levels() -> Vec<Simd> {
    let mut levels = vec![];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            levels.push(Simd::Avx512);
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            levels.push(Simd::Avx2Fma);
        }
    }
    levels
}

/// The best instruction set of this CPU with a direct kernel, detected once.
pub fn best_simd() -> Option<Simd> {
    static BEST: std::sync::OnceLock<Option<Simd>> = std::sync::OnceLock::new();
    *BEST.get_or_init(|| simd_levels().first().copied())
}

/// Whether this CPU has a direct kernel (x86-64 with AVX-512F, or AVX2 and FMA).
pub fn available() -> bool {
    best_simd().is_some()
}

/// Whether the direct kernels apply to `g`: stride 1 along both axes, and buffers that fit one
/// array (`task_values`; a padding or dilation far beyond the image makes the padded copies
/// huge while im2col's columns stay small). For a geometry that passed `ConvGeometry::check`.
pub fn applies(g: &ConvGeometry) -> bool {
    g.stride == [1, 1] && task_values(g) <= MAX_VALUES as u128
}

/// Values one thread of the direct kernels holds for `g` at most: the weight gradient's padded
/// copies of `GRAD_IMAGES` images and of their output gradients, and its lanes (the forward
/// pass holds one padded image). In u128, which cannot wrap for a checked geometry.
pub fn task_values(g: &ConvGeometry) -> u128 {
    let lay = PaddedLayout::new(g);
    GRAD_IMAGES as u128 * (lay.values(g) + grad_values(g, &lay)) + lanes_values(g)
}

/// Where one image lies in its padded copy.
#[derive(Clone, Copy, Debug)]
pub struct PaddedLayout {
    /// Runs of `LANES` output columns per output row.
    pub runs: usize,
    /// Padded rows per channel: `H + 2 ph`.
    pub rows: usize,
    /// Floats per padded row: `runs * LANES + (KW - 1) dw`.
    pub width: usize,
}

impl PaddedLayout {
    pub fn new(g: &ConvGeometry) -> Self {
        let runs = g.out_hw()[1].div_ceil(LANES);
        PaddedLayout {
            runs,
            rows: g.in_h + 2 * g.padding[0],
            width: runs * LANES + (g.kernel[1] - 1) * g.dilation[1],
        }
    }

    /// Floats of the padded copy of one image (at most `MAX_VALUES` where the direct kernels
    /// apply, which bounds `values`).
    pub fn len(&self, g: &ConvGeometry) -> usize {
        self.values(g) as usize
    }

    /// `len` in u128, which cannot wrap.
    pub fn values(&self, g: &ConvGeometry) -> u128 {
        g.in_c as u128 * self.rows as u128 * self.width as u128
    }
}

/// `W` (`[O, K]`) as `[ceil(O / BLOCK_FILTERS), K, BLOCK_FILTERS]`, zeros past `O`.
pub fn pack_weights(g: &ConvGeometry, w: &[f32]) -> Vec<f32> {
    let (o, k) = (g.out_c, g.patch_len());
    let mut packed = vec![0.0f32; o.div_ceil(BLOCK_FILTERS) * k * BLOCK_FILTERS];
    for f in 0..o {
        let (block, m) = (f / BLOCK_FILTERS, f % BLOCK_FILTERS);
        for (kk, &v) in w[f * k..(f + 1) * k].iter().enumerate() {
            packed[(block * k + kk) * BLOCK_FILTERS + m] = v;
        }
    }
    packed
}

/// Copies image `x` (`[C, H, W]`) into the interior of `xp`, whose padding stays zero (`xp`
/// starts zeroed and only the interior is ever written).
pub fn pad_image(g: &ConvGeometry, lay: &PaddedLayout, x: &[f32], xp: &mut [f32]) {
    let [ph, pw] = g.padding;
    for (plane, padded) in x
        .chunks_exact(g.in_h * g.in_w)
        .zip(xp.chunks_exact_mut(lay.rows * lay.width))
    {
        for (line, row) in plane
            .chunks_exact(g.in_w)
            .zip(padded[ph * lay.width..].chunks_exact_mut(lay.width))
        {
            row[pw..pw + g.in_w].copy_from_slice(line);
        }
    }
}

/// `conv::conv_forward` by the direct kernel with `simd`: each chunk's images through one
/// padded buffer, `wp` the packed weights.
pub fn forward(simd: Simd, g: &ConvGeometry, x: &[f32], rows: usize, wp: &[f32], y: &mut [f32]) {
    let (n_in, n_out, lay) = (g.in_len(), g.out_len(), PaddedLayout::new(g));
    let size = chunk_size(rows);
    x[..rows * n_in]
        .par_chunks(size * n_in)
        .zip(y[..rows * n_out].par_chunks_mut(size * n_out))
        .for_each_init(
            || vec![0.0f32; lay.len(g)],
            |xp, (xs, ys)| {
                for (xr, yr) in xs.chunks_exact(n_in).zip(ys.chunks_exact_mut(n_out)) {
                    pad_image(g, &lay, xr, xp);
                    forward_image_with(Some(simd), g, &lay, xp, wp, yr);
                }
            },
        );
}

/// Images per call of `weight_grad_images`: their padded copies stay in the nearest caches
/// while each tile of the gradient runs over them (conv_step_timing example, second
/// mnist-conv convolution: 2 to 8 images within 3 %, 16 or 32 about 25 % slower).
const GRAD_IMAGES: usize = 4;

/// `conv::conv_weight_grad` by the direct kernel with `simd`: per chunk, the lanes of the
/// gradient summed over its images, then over the lanes.
pub fn weight_grad(
    simd: Simd,
    g: &ConvGeometry,
    x: &[f32],
    rows: usize,
    dy: &[f32],
    dw: &mut [f32],
) {
    let (n_in, n_out, lay) = (g.in_len(), g.out_len(), PaddedLayout::new(g));
    let (x_len, d_len, offsets) = (lay.len(g), grad_len(g, &lay), tap_offsets(g, &lay));
    let (n_w, lanes_len) = (g.out_c * g.patch_len(), lanes_values(g) as usize);
    let size = chunk_size(rows);
    let mut partials = vec![0.0f32; rows.div_ceil(size) * n_w];
    partials
        .par_chunks_mut(n_w)
        .zip(x[..rows * n_in].par_chunks(size * n_in))
        .zip(dy[..rows * n_out].par_chunks(size * n_out))
        .for_each_init(
            || {
                (
                    vec![0.0f32; GRAD_IMAGES * x_len],
                    vec![0.0f32; GRAD_IMAGES * d_len],
                    vec![0.0f32; lanes_len],
                )
            },
            |(xps, dyps, lanes), ((part, xs), dys)| {
                lanes.fill(0.0);
                for (xg, dyg) in xs
                    .chunks(GRAD_IMAGES * n_in)
                    .zip(dys.chunks(GRAD_IMAGES * n_out))
                {
                    let images = xg.len() / n_in;
                    for (i, (xr, dyr)) in xg
                        .chunks_exact(n_in)
                        .zip(dyg.chunks_exact(n_out))
                        .enumerate()
                    {
                        pad_image(g, &lay, xr, &mut xps[i * x_len..(i + 1) * x_len]);
                        pad_grad(g, &lay, dyr, &mut dyps[i * d_len..(i + 1) * d_len]);
                    }
                    weight_grad_images(simd, g, &lay, &offsets, xps, dyps, images, lanes);
                }
                reduce_lanes(g, lanes, part);
            },
        );
    for part in partials.chunks_exact(n_w) {
        dw.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
}

/// The convolution whose forward pass is the input gradient of `g`, when it exists:
/// `dx[c, y, x] = sum_{o, u, v} W[o, c, KH-1-u, KW-1-v] dyp[o, y + u*dh, x + v*dw]` with `dy`
/// padded by `(KH-1) dh - ph` rows and `(KW-1) dw - pw` columns (none when the padding exceeds
/// the kernel's extent, which would need a crop).
pub fn input_grad_geometry(g: &ConvGeometry) -> Option<ConvGeometry> {
    let [oh, ow] = g.out_hw();
    let pad = |axis: usize| (g.kernel[axis] - 1) * g.dilation[axis];
    let back =
        (applies(g) && g.padding[0] <= pad(0) && g.padding[1] <= pad(1)).then(|| ConvGeometry {
            in_c: g.out_c,
            in_h: oh,
            in_w: ow,
            out_c: g.in_c,
            kernel: g.kernel,
            stride: [1, 1],
            padding: [pad(0) - g.padding[0], pad(1) - g.padding[1]],
            dilation: g.dilation,
        });
    // Its forward pass holds one padded copy of `dy`, which must fit one array.
    back.filter(|b| PaddedLayout::new(b).values(b) <= MAX_VALUES as u128)
}

/// `W` (`[O, C, KH, KW]`) flipped and with its channel axes swapped, `[C, O, KH, KW]`: the
/// kernel of `input_grad_geometry`.
pub fn flip_kernel(g: &ConvGeometry, w: &[f32]) -> Vec<f32> {
    let ([kh, kw], (o, c)) = (g.kernel, (g.out_c, g.in_c));
    let mut flipped = vec![0.0f32; w.len()];
    for f in 0..o {
        for ch in 0..c {
            for u in 0..kh {
                for v in 0..kw {
                    flipped[((ch * o + f) * kh + kh - 1 - u) * kw + kw - 1 - v] =
                        w[((f * c + ch) * kh + u) * kw + v];
                }
            }
        }
    }
    flipped
}

/// `y = conv(x, W)` for one image (`y` is `[O, OH, OW]`, overwritten) from its padded copy `xp`
/// (`pad_image`) and the packed weights `wp` (`pack_weights`), with the CPU's best kernel.
pub fn forward_image(g: &ConvGeometry, lay: &PaddedLayout, xp: &[f32], wp: &[f32], y: &mut [f32]) {
    forward_image_with(best_simd(), g, lay, xp, wp, y)
}

/// `forward_image` with the kernel for `simd` (`None`: the portable loops), which must be one
/// of `simd_levels()`.
pub fn forward_image_with(
    simd: Option<Simd>,
    g: &ConvGeometry,
    lay: &PaddedLayout,
    xp: &[f32],
    wp: &[f32],
    y: &mut [f32],
) {
    let [oh, ow] = g.out_hw();
    assert!(g.stride == [1, 1], "the direct kernel needs stride 1");
    assert!(xp.len() >= lay.len(g) && lay.rows == g.in_h + 2 * g.padding[0]);
    assert!(lay.width >= lay.runs * LANES + (g.kernel[1] - 1) * g.dilation[1]);
    assert!(
        lay.runs * LANES >= ow
            && wp.len() >= g.out_c.div_ceil(BLOCK_FILTERS) * g.patch_len() * BLOCK_FILTERS
    );
    assert!(y.len() >= g.out_c * oh * ow);
    let Some(simd) = simd else {
        return forward_portable(g, lay, xp, wp, y);
    };
    assert!(
        simd_levels().contains(&simd),
        "{simd:?} is not available on this CPU"
    );
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the instructions are present (asserted), and the assertions above bound every
    // access: rows i + u*dh < OH + (KH-1) dh = Hp, columns < runs*16 + (KW-1) dw <= Wr.
    unsafe {
        match simd {
            Simd::Avx512 => x86::forward_avx512(g, lay, xp, wp, y),
            Simd::Avx2Fma => x86::forward_avx2(g, lay, xp, wp, y),
        }
    }
}

/// The loops of the SIMD kernels in plain Rust, for other CPUs and as their reference.
pub fn forward_portable(
    g: &ConvGeometry,
    lay: &PaddedLayout,
    xp: &[f32],
    wp: &[f32],
    y: &mut [f32],
) {
    let [oh, ow] = g.out_hw();
    let (k_len, [kh, kw], [dh, dw]) = (g.patch_len(), g.kernel, g.dilation);
    for i in 0..oh {
        for j0 in (0..ow).step_by(LANES) {
            let width = LANES.min(ow - j0);
            for (block, wb) in wp.chunks_exact(k_len * BLOCK_FILTERS).enumerate() {
                let filters = BLOCK_FILTERS.min(g.out_c.saturating_sub(block * BLOCK_FILTERS));
                let mut acc = [[0.0f32; LANES]; BLOCK_FILTERS];
                let mut taps = wb.chunks_exact(BLOCK_FILTERS);
                for c in 0..g.in_c {
                    for u in 0..kh {
                        let row = &xp[(c * lay.rows + i + u * dh) * lay.width + j0..];
                        for v in 0..kw {
                            let (b, wk) = (&row[v * dw..v * dw + LANES], taps.next().unwrap());
                            for (a, &w) in acc.iter_mut().zip(wk) {
                                a.iter_mut().zip(b).for_each(|(a, &x)| *a += w * x);
                            }
                        }
                    }
                }
                for (m, a) in acc.iter().enumerate().take(filters) {
                    let f = block * BLOCK_FILTERS + m;
                    y[(f * oh + i) * ow + j0..][..width].copy_from_slice(&a[..width]);
                }
            }
        }
    }
}

/// Floats of one image's padded output gradient (`pad_grad`): `[O4, OH, runs * LANES]` with
/// `O4` the filters rounded up to `GRAD_FILTERS`.
pub fn grad_len(g: &ConvGeometry, lay: &PaddedLayout) -> usize {
    grad_values(g, lay) as usize
}

/// `grad_len` in u128.
fn grad_values(g: &ConvGeometry, lay: &PaddedLayout) -> u128 {
    g.out_c.next_multiple_of(GRAD_FILTERS) as u128
        * g.out_hw()[0] as u128
        * (lay.runs * LANES) as u128
}

/// Floats of the weight gradient's lanes (`[O rounded up to GRAD_FILTERS, K, LANES]`), in u128.
fn lanes_values(g: &ConvGeometry) -> u128 {
    g.out_c.next_multiple_of(GRAD_FILTERS) as u128 * g.patch_len() as u128 * LANES as u128
}

/// Copies one image's output gradient `dy` (`[O, OH, OW]`) into `dyp` (`grad_len`), whose
/// padding (columns past `OW`, filters past `O`) stays zero.
pub fn pad_grad(g: &ConvGeometry, lay: &PaddedLayout, dy: &[f32], dyp: &mut [f32]) {
    let ow = g.out_hw()[1];
    let rl = lay.runs * LANES;
    for (line, row) in dy.chunks_exact(ow).zip(dyp.chunks_exact_mut(rl)) {
        row[..ow].copy_from_slice(line);
    }
}

/// `dwv[(o*K + k)*LANES + l] += sum` over the `images` (padded copies side by side in `xps` and
/// `dyps`), output rows `i` and columns `j = run*LANES + l` of `dyp[o, i, j] xp[c, i + u*dh,
/// j + v*dw]`, `k = (c, u, v)` at `offsets` (`tap_offsets`): the weight gradient per lane
/// (`reduce_lanes` sums the lanes). `dwv` holds `O4 * K * LANES` floats. `simd` is one of
/// `simd_levels()`.
#[allow(clippy::too_many_arguments)]
pub fn weight_grad_images(
    simd: Simd,
    g: &ConvGeometry,
    lay: &PaddedLayout,
    offsets: &[usize],
    xps: &[f32],
    dyps: &[f32],
    images: usize,
    dwv: &mut [f32],
) {
    assert!(g.stride == [1, 1], "the direct kernel needs stride 1");
    assert!(
        simd_levels().contains(&simd),
        "{simd:?} is not available on this CPU"
    );
    assert!(xps.len() >= images * lay.len(g) && dyps.len() >= images * grad_len(g, lay));
    assert!(lay.rows == g.in_h + 2 * g.padding[0] && lay.runs * LANES >= g.out_hw()[1]);
    assert!(lay.width >= lay.runs * LANES + (g.kernel[1] - 1) * g.dilation[1]);
    assert!(dwv.len() >= g.out_c.next_multiple_of(GRAD_FILTERS) * g.patch_len() * LANES);
    // Each tap's rows stay inside its image: offset + (OH - 1) Wr + runs*16 <= len.
    let last = (g.in_c - 1) * lay.rows * lay.width
        + (g.kernel[0] - 1) * g.dilation[0] * lay.width
        + (g.kernel[1] - 1) * g.dilation[1];
    assert!(
        offsets.len() == g.patch_len().next_multiple_of(GRAD_TAPS)
            && offsets.iter().all(|&o| o <= last)
    );
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the instructions are present (asserted); rows i + u*dh < Hp, columns <
    // runs*16 + (KW - 1) dw <= Wr, filters < O4.
    unsafe {
        match simd {
            Simd::Avx512 => x86::weight_grad_avx512(g, lay, offsets, xps, dyps, images, dwv),
            Simd::Avx2Fma => x86::weight_grad_avx2(g, lay, offsets, xps, dyps, images, dwv),
        }
    }
}

/// For each tap `k = (c, u, v)`, where its input row for output row 0 starts in the padded
/// image: `(c*Hp + u*dh) * Wr + v*dw`; then zeros up to a multiple of `GRAD_TAPS` (taps past `K`
/// read tap 0's inputs, and their sums are dropped).
pub fn tap_offsets(g: &ConvGeometry, lay: &PaddedLayout) -> Vec<usize> {
    let ([kh, kw], [dh, dw]) = (g.kernel, g.dilation);
    let mut offsets = vec![0; g.patch_len().next_multiple_of(GRAD_TAPS)];
    for c in 0..g.in_c {
        for u in 0..kh {
            for v in 0..kw {
                offsets[(c * kh + u) * kw + v] = (c * lay.rows + u * dh) * lay.width + v * dw;
            }
        }
    }
    offsets
}

/// `dw[o*K + k] += sum_l dwv[(o*K + k)*LANES + l]` for the `O` real filters.
pub fn reduce_lanes(g: &ConvGeometry, dwv: &[f32], dw: &mut [f32]) {
    let n = g.out_c * g.patch_len();
    for (d, lanes) in dw[..n].iter_mut().zip(dwv.chunks_exact(LANES)) {
        *d += lanes.iter().sum::<f32>();
    }
}
