//! 2-D pooling of channels-first images, one image per row of a `[R, C*H*W]` matrix, each
//! channel on its own: windows of `KH x KW` pixels every `SH, SW` pixels.
//!
//! ```text
//! sum: y[c, i, j] = sum_{u,v} x[c, i*sh + u, j*sw + v]      avg: that sum / (KH*KW)
//! max: y[c, i, j] = max_{u,v} x[c, i*sh + u, j*sw + v]      (the first maximum in row-major order)
//! ```
//! Backward: `sum` sends `dy` to every pixel of its window, `avg` `dy / (KH*KW)`, `max` all of
//! `dy` to the pixel that was the maximum (its index is kept from the forward pass).

use crate::bail;
use crate::error::Result;
use rayon::prelude::*;

/// What a window is reduced to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Sum,
    Avg,
    Max,
}

/// Input `[C, H, W]`, window and stride per axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeometry {
    pub channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
}

impl PoolGeometry {
    /// The windows must tile the input exactly: `(size - kernel)` a multiple of the stride, so
    /// that no pixel at the edge is silently dropped. `p` names the layer in errors.
    pub fn check(&self, p: &str) -> Result<()> {
        for (what, v) in [
            ("poolSize", self.kernel[0].min(self.kernel[1])),
            ("stride", self.stride[0].min(self.stride[1])),
        ] {
            if v == 0 {
                bail!("{p}.{what}: expected at least 1, got 0");
            }
        }
        for (axis, size, name) in [(0, self.in_h, "height"), (1, self.in_w, "width")] {
            let (k, s) = (self.kernel[axis], self.stride[axis]);
            if k > size {
                bail!("{p}.poolSize: a window of {k} pixels along the {name} is larger than the input's {size}");
            }
            if (size - k) % s != 0 {
                bail!(
                    "{p}: windows of {k} every {s} pixels do not tile the input's {name} of {size} (the last {} pixels would be dropped); choose a size and stride that divide it",
                    (size - k) % s
                );
            }
        }
        Ok(())
    }

    /// Output height and width: `(size - k) / s + 1`.
    pub fn out_hw(&self) -> [usize; 2] {
        [
            (self.in_h - self.kernel[0]) / self.stride[0] + 1,
            (self.in_w - self.kernel[1]) / self.stride[1] + 1,
        ]
    }

    pub fn in_len(&self) -> usize {
        self.channels * self.in_h * self.in_w
    }

    pub fn out_len(&self) -> usize {
        let [h, w] = self.out_hw();
        self.channels * h * w
    }
}

/// Pools every row of `x` (`[rows, C*H*W]`) into `y` (`[rows, C*OH*OW]`); for `max`, `argmax`
/// (`[rows, C*OH*OW]`) receives each output's source index within its row (other kinds leave it).
pub fn pool_forward(
    g: &PoolGeometry,
    kind: PoolKind,
    x: &[f32],
    rows: usize,
    y: &mut [f32],
    argmax: &mut [u32],
) {
    let (n_in, n_out) = (g.in_len(), g.out_len());
    let rows_of = x[..rows * n_in]
        .par_chunks(n_in)
        .zip(y[..rows * n_out].par_chunks_mut(n_out));
    if kind == PoolKind::Max {
        rows_of
            .zip(argmax[..rows * n_out].par_chunks_mut(n_out))
            .for_each(|((xr, yr), am)| pool_row(g, kind, xr, yr, Some(am)));
    } else {
        rows_of.for_each(|(xr, yr)| pool_row(g, kind, xr, yr, None));
    }
}

/// Whether `g` is the usual pooling of 2 x 2 windows every 2 pixels, whose sums have loops of
/// their own that vectorise (the general loops take one window at a time). Those loops pair
/// lines and pixels across the whole image, so they need even sides, as `check` ensures; an
/// unchecked geometry of odd sides takes the general loops.
fn two_by_two(g: &PoolGeometry) -> bool {
    g.kernel == [2, 2] && g.stride == [2, 2] && g.in_h.is_multiple_of(2) && g.in_w.is_multiple_of(2)
}

/// `1 / (KH*KW)` for `avg`, else 1.
fn scale_of(g: &PoolGeometry, kind: PoolKind) -> f32 {
    if kind == PoolKind::Avg {
        1.0 / (g.kernel[0] * g.kernel[1]) as f32
    } else {
        1.0
    }
}

/// One image: every window of every channel.
fn pool_row(
    g: &PoolGeometry,
    kind: PoolKind,
    xr: &[f32],
    yr: &mut [f32],
    argmax: Option<&mut [u32]>,
) {
    if kind != PoolKind::Max && two_by_two(g) {
        sum_row_2x2(g, scale_of(g, kind), xr, yr)
    } else {
        pool_row_windows(g, kind, xr, yr, argmax)
    }
}

/// One image pooled window by window, any geometry and kind.
fn pool_row_windows(
    g: &PoolGeometry,
    kind: PoolKind,
    xr: &[f32],
    yr: &mut [f32],
    mut argmax: Option<&mut [u32]>,
) {
    let [oh, ow] = g.out_hw();
    let [kh, kw] = g.kernel;
    let scale = scale_of(g, kind);
    for c in 0..g.channels {
        let base = c * g.in_h * g.in_w;
        for i in 0..oh {
            for j in 0..ow {
                let o = (c * oh + i) * ow + j;
                let (mut acc, mut best, mut at) = (0.0f32, f32::NEG_INFINITY, base);
                for u in 0..kh {
                    let line = base + (i * g.stride[0] + u) * g.in_w + j * g.stride[1];
                    for (v, &value) in xr[line..line + kw].iter().enumerate() {
                        acc += value;
                        if value > best {
                            best = value;
                            at = line + v;
                        }
                    }
                }
                yr[o] = if kind == PoolKind::Max {
                    best
                } else {
                    acc * scale
                };
                if let Some(am) = argmax.as_deref_mut() {
                    am[o] = at as u32;
                }
            }
        }
    }
}

/// One image's 2 x 2 sums (times `scale`), each output row from its two input lines, added in
/// `pool_row_windows`' order (from 0, row-major): the same bits, signed zeros included.
fn sum_row_2x2(g: &PoolGeometry, scale: f32, xr: &[f32], yr: &mut [f32]) {
    let ow = g.in_w / 2;
    for (lines, out) in xr.chunks_exact(2 * g.in_w).zip(yr.chunks_exact_mut(ow)) {
        let (top, bottom) = lines.split_at(g.in_w);
        for ((o, t), b) in out
            .iter_mut()
            .zip(top.chunks_exact(2))
            .zip(bottom.chunks_exact(2))
        {
            *o = ((((0.0 + t[0]) + t[1]) + b[0]) + b[1]) * scale;
        }
    }
}

/// `dx` (`[rows, C*H*W]`, overwritten) from `dy` (`[rows, C*OH*OW]`) and, for `max`, the
/// indices `pool_forward` kept.
pub fn pool_backward(
    g: &PoolGeometry,
    kind: PoolKind,
    dy: &[f32],
    rows: usize,
    argmax: &[u32],
    dx: &mut [f32],
) {
    let (n_in, n_out) = (g.in_len(), g.out_len());
    dx[..rows * n_in]
        .par_chunks_mut(n_in)
        .zip(dy[..rows * n_out].par_chunks(n_out))
        .enumerate()
        .for_each(|(r, (dxr, dyr))| match kind {
            PoolKind::Max => {
                dxr.fill(0.0);
                for (&at, &d) in argmax[r * n_out..(r + 1) * n_out].iter().zip(dyr) {
                    dxr[at as usize] += d;
                }
            }
            _ if two_by_two(g) => spread_row_2x2(g, scale_of(g, kind), dyr, dxr),
            _ => spread_row_windows(g, scale_of(g, kind), dyr, dxr),
        });
}

/// One image's `dx` for `sum`/`avg`: each window's `dy * scale` added to its pixels.
fn spread_row_windows(g: &PoolGeometry, scale: f32, dyr: &[f32], dxr: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    let [kh, kw] = g.kernel;
    dxr.fill(0.0);
    for c in 0..g.channels {
        let plane = &mut dxr[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for i in 0..oh {
            for j in 0..ow {
                let d = dyr[(c * oh + i) * ow + j] * scale;
                for u in 0..kh {
                    let line = (i * g.stride[0] + u) * g.in_w + j * g.stride[1];
                    plane[line..line + kw].iter_mut().for_each(|v| *v += d);
                }
            }
        }
    }
}

/// `spread_row_windows` for 2 x 2 windows every 2 pixels: they tile the image, so every pixel
/// receives its window's share once, `0 + dy * scale` as there (the same bits).
fn spread_row_2x2(g: &PoolGeometry, scale: f32, dyr: &[f32], dxr: &mut [f32]) {
    let ow = g.in_w / 2;
    for (lines, d) in dxr.chunks_exact_mut(2 * g.in_w).zip(dyr.chunks_exact(ow)) {
        let (top, bottom) = lines.split_at_mut(g.in_w);
        for ((t, b), &d) in top
            .chunks_exact_mut(2)
            .zip(bottom.chunks_exact_mut(2))
            .zip(d)
        {
            let v = 0.0 + d * scale;
            t.fill(v);
            b.fill(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;

    #[test]
    fn the_2x2_loops_give_the_window_loops_bits() {
        // Channels of odd and even sizes, values with exact zeros of both signs (the order of the
        // additions decides the sign of a zero sum) and of mixed magnitudes (it decides rounding).
        let mut rng = Rng::new(5);
        for (channels, h, w) in [(1, 28, 28), (3, 6, 10), (2, 2, 2), (5, 14, 4)] {
            let g = PoolGeometry {
                channels,
                in_h: h,
                in_w: w,
                kernel: [2, 2],
                stride: [2, 2],
            };
            let value = |rng: &mut Rng| match rng.below(4) {
                0 => 0.0,
                1 => -0.0,
                2 => (rng.uniform() as f32 - 0.5) * 1e-3,
                _ => (rng.uniform() as f32 - 0.5) * 1e4,
            };
            let x: Vec<f32> = (0..g.in_len()).map(|_| value(&mut rng)).collect();
            let dy: Vec<f32> = (0..g.out_len()).map(|_| value(&mut rng)).collect();
            for kind in [PoolKind::Sum, PoolKind::Avg] {
                let scale = scale_of(&g, kind);
                let (mut fast, mut general) = (vec![1.0; g.out_len()], vec![2.0; g.out_len()]);
                sum_row_2x2(&g, scale, &x, &mut fast);
                pool_row_windows(&g, kind, &x, &mut general, None);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&general), "{g:?} {kind:?} forward");
                let (mut fast, mut general) = (vec![1.0; g.in_len()], vec![2.0; g.in_len()]);
                spread_row_2x2(&g, scale, &dy, &mut fast);
                spread_row_windows(&g, scale, &dy, &mut general);
                assert_eq!(bits(&fast), bits(&general), "{g:?} {kind:?} backward");
            }
        }
    }
}
