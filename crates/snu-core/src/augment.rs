//! Random distortions of training images, drawn from a seed (Simard, Steinkraus and Platt,
//! "Best practices for convolutional neural networks applied to visual document analysis",
//! ICDAR 2003), each image on its own:
//!
//! ```text
//! elastic:  u, v ~ U(-1, 1) per pixel (two independent fields); ū = alpha · (G_sigma * u),
//!           v̄ = alpha · (G_sigma * v)  (G_sigma a normalised Gaussian of width sigma, zero outside);
//!           out[y, x] = bilinear(img, y + v̄[y, x], x + ū[y, x])   (0 outside the image)
//! shift:    out[y, x] = img[y - dy, x - dx], dy, dx uniform integers in [-shift, shift] (0 outside)
//! ```
//! applied to every channel of a `[C, H, W]` image alike. Image `i` of a call with `seed` draws
//! from its own generator, so its distortion does not depend on the other images of the batch.

use crate::bail;
use crate::error::{js_num, Result};
use crate::kernels::rng::Rng;
use rayon::prelude::*;

/// `alpha` when none is given: Simard et al.'s value for MNIST.
pub const DEFAULT_ALPHA: f32 = 34.0;
/// `sigma` when none is given: Simard et al.'s value for MNIST.
pub const DEFAULT_SIGMA: f32 = 4.0;

/// The distortions of one call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distortion {
    /// Scale of the smoothed displacement field, in pixels (0: no elastic distortion).
    pub alpha: f32,
    /// Width of the Gaussian that smooths the field, in pixels (> 0 with alpha > 0).
    pub sigma: f32,
    /// Largest random shift along each axis, in whole pixels (0: none).
    pub shift: usize,
}

impl Distortion {
    pub fn check(&self) -> Result<()> {
        if !(self.alpha.is_finite() && (0.0..=1e3).contains(&self.alpha)) {
            bail!(
                "alpha: expected a number in [0, 1000] (pixels), got {}",
                js_num(self.alpha)
            );
        }
        if self.alpha > 0.0 && !(self.sigma.is_finite() && self.sigma > 0.0 && self.sigma <= 1e3) {
            bail!(
                "sigma: expected a number in (0, 1000] (pixels), got {}",
                js_num(self.sigma)
            );
        }
        Ok(())
    }
}

/// The normalised Gaussian `exp(-k^2 / (2 sigma^2))` for `|k| <= ceil(4 sigma)`, summing to 1.
pub fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let radius = (4.0 * sigma).ceil() as isize;
    let mut k: Vec<f64> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * (sigma as f64).powi(2))).exp())
        .collect();
    let sum: f64 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k.into_iter().map(|v| v as f32).collect()
}

/// `field` (`[h, w]`) convolved with `kernel` along both axes, zero outside.
fn smooth(field: &[f32], h: usize, w: usize, kernel: &[f32], tmp: &mut [f32], out: &mut [f32]) {
    let r = (kernel.len() / 2) as isize;
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (i, &k) in kernel.iter().enumerate() {
                let xx = x as isize + i as isize - r;
                if xx >= 0 && (xx as usize) < w {
                    s += k * field[y * w + xx as usize];
                }
            }
            tmp[y * w + x] = s;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (i, &k) in kernel.iter().enumerate() {
                let yy = y as isize + i as isize - r;
                if yy >= 0 && (yy as usize) < h {
                    s += k * tmp[yy as usize * w + x];
                }
            }
            out[y * w + x] = s;
        }
    }
}

/// The smoothed displacement fields `(ū, v̄)` of one image (each `[h, w]`), drawn from `rng`.
pub fn displacement(
    rng: &mut Rng,
    h: usize,
    w: usize,
    alpha: f32,
    kernel: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let mut tmp = vec![0.0f32; h * w];
    let mut fields = [vec![0.0f32; h * w], vec![0.0f32; h * w]];
    for field in &mut fields {
        let raw: Vec<f32> = (0..h * w)
            .map(|_| rng.uniform_range(-1.0, 1.0) as f32)
            .collect();
        smooth(&raw, h, w, kernel, &mut tmp, field);
        field.iter_mut().for_each(|v| *v *= alpha);
    }
    let [u, v] = fields;
    (u, v)
}

/// `plane` (`[h, w]`) sampled at `(y, x)` between its pixels, 0 outside.
#[inline]
fn bilinear(plane: &[f32], h: usize, w: usize, y: f32, x: f32) -> f32 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let at = |yy: f32, xx: f32| -> f32 {
        if yy < 0.0 || xx < 0.0 || yy >= h as f32 || xx >= w as f32 {
            0.0
        } else {
            plane[yy as usize * w + xx as usize]
        }
    };
    (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x0 + 1.0))
        + fy * ((1.0 - fx) * at(y0 + 1.0, x0) + fx * at(y0 + 1.0, x0 + 1.0))
}

/// Distorts `count` images `[C, H, W]` (`images` is `[count, C*H*W]`) into a new array. Image `i`
/// draws from `Rng::new(seed + i)` mixed: its own stream.
pub fn distort(
    images: &[f32],
    count: usize,
    shape: [usize; 3],
    d: Distortion,
    seed: u64,
) -> Result<Vec<f32>> {
    d.check()?;
    let [c, h, w] = shape;
    let len = c * h * w;
    if len == 0 || images.len() != count * len {
        bail!(
            "images: expected {count} images of [{c}, {h}, {w}] = {} values, got {}",
            count * len,
            images.len()
        );
    }
    let kernel = (d.alpha > 0.0).then(|| gaussian_kernel(d.sigma));
    let mut out = vec![0.0f32; images.len()];
    out.par_chunks_mut(len)
        .zip(images.par_chunks(len))
        .enumerate()
        .for_each(|(i, (dst, src))| {
            let mut rng = Rng::new(
                seed ^ (i as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(17),
            );
            let (dy, dx) = if d.shift > 0 {
                let s = d.shift as isize;
                (
                    rng.below(2 * d.shift + 1) as isize - s,
                    rng.below(2 * d.shift + 1) as isize - s,
                )
            } else {
                (0, 0)
            };
            let fields = kernel
                .as_ref()
                .map(|k| displacement(&mut rng, h, w, d.alpha, k));
            for ch in 0..c {
                let plane = &src[ch * h * w..(ch + 1) * h * w];
                let target = &mut dst[ch * h * w..(ch + 1) * h * w];
                for y in 0..h {
                    for x in 0..w {
                        // The source point of (y, x): shifted back, then displaced.
                        let (sy, sx) = (y as f32 - dy as f32, x as f32 - dx as f32);
                        target[y * w + x] = match &fields {
                            Some((u, v)) => {
                                bilinear(plane, h, w, sy + v[y * w + x], sx + u[y * w + x])
                            }
                            None => bilinear(plane, h, w, sy, sx),
                        };
                    }
                }
            }
        });
    Ok(out)
}
