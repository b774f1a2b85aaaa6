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

/// One image: every window of every channel.
fn pool_row(
    g: &PoolGeometry,
    kind: PoolKind,
    xr: &[f32],
    yr: &mut [f32],
    mut argmax: Option<&mut [u32]>,
) {
    let [oh, ow] = g.out_hw();
    let [kh, kw] = g.kernel;
    let scale = if kind == PoolKind::Avg {
        1.0 / (kh * kw) as f32
    } else {
        1.0
    };
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
    let [oh, ow] = g.out_hw();
    let [kh, kw] = g.kernel;
    let scale = if kind == PoolKind::Avg {
        1.0 / (kh * kw) as f32
    } else {
        1.0
    };
    dx[..rows * n_in]
        .par_chunks_mut(n_in)
        .zip(dy[..rows * n_out].par_chunks(n_out))
        .enumerate()
        .for_each(|(r, (dxr, dyr))| {
            dxr.fill(0.0);
            if kind == PoolKind::Max {
                let am = &argmax[r * n_out..(r + 1) * n_out];
                for (o, &d) in dyr.iter().enumerate() {
                    dxr[am[o] as usize] += d;
                }
                return;
            }
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
        });
}
