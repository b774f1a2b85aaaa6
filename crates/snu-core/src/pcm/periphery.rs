//! The digital/analog periphery around the crossbar: the input DAC before the product and the
//! output noise, clipping and ADC after it (docs/design.md §3, "Periphery"; aihwkit `IOParameters`).
//!
//! The analog product works in normalised units: inputs `x_n = x / s` in [-1, 1] (`s`, the row's
//! DAC range, by default its `max|x|`), weights `W_n = W / max|W|` in [-1, 1] (`= (G+ - G-)/gMax`
//! for one pair), output `y_n = x_n W_n`. The tile hands the engine inputs `x_q = Q(x_n)·s` in
//! the input's own units, the engine computes `y = x_q W`, and the output stage maps back:
//!
//! ```text
//! DAC:  x_q = s · round(clamp(x / s, -1, 1) · L) / L          L = 2^dacBits - 1   (2L+1 levels)
//! ADC:  y_n = y / (s · max|W|) + sigma · xi                   xi ~ N(0, 1), sigma = 0.06
//!       y_n = clamp(y_n, -b, b)                               b = 12
//!       y_n = round(y_n / d) · d                              d = b / (2^(adcBits-1) - 1)
//!       y   = alpha · s · max|W| · y_n                        alpha: drift compensation
//! ```
//!
//! Rounding is to the nearest level, ties to even. Inputs that are already levels (0/1 spikes
//! under a row-max or unit range) are copied unchanged: `Q(x) = x` exactly, which the fast path
//! exploits (one vectorised scan to detect them).

use super::config::{InputRange, Periphery};
use super::gaussian::{self, NoiseKey, Stream};
use crate::kernels::simd::simd_kernel;
use rayon::prelude::*;

/// Below this many elements a pass runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 15;

/// Round to nearest, ties to even, exact for every f32 and branch-free (`f32::round_ties_even`
/// is a libm call on the baseline x86-64 target, which blocks vectorisation): adding and
/// removing 2^23 leaves no fraction bits; values of 2^23 and above are integers already.
#[inline(always)]
pub fn round_even(v: f32) -> f32 {
    const TWO23: f32 = 8_388_608.0;
    let a = v.abs();
    let r = if a < TWO23 { (a + TWO23) - TWO23 } else { a };
    r.copysign(v)
}

/// The input stage, resolved from the configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dac {
    pub range: InputRange,
    /// `L = 2^bits - 1`, or `None` without quantisation.
    pub levels: Option<f32>,
}

impl Dac {
    pub fn new(p: &Periphery) -> Self {
        Dac {
            range: p.input_range,
            levels: p.dac_bits.map(|b| ((1u64 << b) - 1) as f32),
        }
    }

    /// Number of distinct DAC outputs: `2L + 1` (unbounded without quantisation).
    pub fn level_count(&self) -> Option<u64> {
        self.levels.map(|l| 2 * l as u64 + 1)
    }

    /// Quantises the rows of `x` (`rows x cols`) into `out` and returns each row's range `s`.
    pub fn quantize(&self, x: &[f32], rows: usize, cols: usize, out: &mut Vec<f32>) -> Vec<f32> {
        let len = rows * cols;
        assert_eq!(x.len(), len, "DAC input: expected rows x cols values");
        if out.len() != len {
            out.clear();
            out.resize(len, 0.0);
        }
        let unit_range = match self.range {
            InputRange::RowAbsMax => true,
            InputRange::Fixed(r) => r == 1.0,
        };
        // Fast path: 0/1 inputs are levels of every DAC with a unit range (0 and L/L = 1).
        if unit_range && copy_if_binary(x, out) {
            return vec![1.0; rows];
        }
        let mut scales = vec![1f32; rows];
        if rows == 0 || cols == 0 {
            return scales;
        }
        let this = *self;
        if len < PARALLEL_MIN {
            dac_rows(this, x, cols, out, &mut scales);
        } else {
            let per_task = rows.div_ceil(4 * rayon::current_num_threads()).max(1);
            out.par_chunks_mut(per_task * cols)
                .zip(scales.par_chunks_mut(per_task))
                .zip(x.par_chunks(per_task * cols))
                .for_each(|((o, s), xs)| dac_rows(this, xs, cols, o, s));
        }
        scales
    }
}

/// `max|x|` of finite values, as the largest magnitude bit pattern: for finite floats the order
/// of `bits & 0x7FFFFFFF` as integers is the order of `|x|`, and an integer max reduction
/// vectorises where `f32::max` (with its NaN rules) does not.
#[inline(always)]
pub fn abs_max(x: &[f32]) -> f32 {
    f32::from_bits(x.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7FFF_FFFF)))
}

/// Copies `x` into `out` while checking that every value is exactly 0 or 1, in cache-sized
/// chunks (one pass over memory) and in parallel; false as soon as a chunk fails.
fn copy_if_binary(x: &[f32], out: &mut [f32]) -> bool {
    const CHUNK: usize = 4096;
    let copy = |(src, dst): (&[f32], &mut [f32])| {
        let binary = src
            .iter()
            .fold(true, |ok, &v| ok & ((v == 0.0) | (v == 1.0)));
        if binary {
            dst.copy_from_slice(src);
        }
        binary
    };
    if x.len() < PARALLEL_MIN {
        x.chunks(CHUNK).zip(out.chunks_mut(CHUNK)).all(copy)
    } else {
        x.par_chunks(CHUNK).zip(out.par_chunks_mut(CHUNK)).all(copy)
    }
}

simd_kernel! {
    fn dac_rows(dac: Dac, x: &[f32], cols: usize, out: &mut [f32], scales: &mut [f32]) {
        for ((row, o), s) in x
            .chunks_exact(cols)
            .zip(out.chunks_exact_mut(cols))
            .zip(scales.iter_mut())
        {
            let range = match dac.range {
                InputRange::RowAbsMax => {
                    let m = abs_max(row);
                    if m > 0.0 {
                        m
                    } else {
                        1.0
                    }
                }
                InputRange::Fixed(r) => r as f32,
            };
            *s = range;
            let inv = 1.0 / range;
            match dac.levels {
                Some(l) => {
                    // x_q = s · round(clamp(x/s, -1, 1) · L) / L
                    let back = range / l;
                    for (o, &v) in o.iter_mut().zip(row) {
                        *o = round_even((v * inv).clamp(-1.0, 1.0) * l) * back;
                    }
                }
                None => {
                    for (o, &v) in o.iter_mut().zip(row) {
                        *o = (v * inv).clamp(-1.0, 1.0) * range;
                    }
                }
            }
        }
    }
}

/// The output stage, resolved from the configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adc {
    /// Output noise sd (normalised units); 0 for none.
    pub noise: f32,
    /// Clipping bound `b`, or `f32::INFINITY` for none.
    pub bound: f32,
    /// Level spacing `d = b / (2^(bits-1) - 1)`, or `None` without quantisation.
    pub step: Option<f32>,
}

impl Adc {
    pub fn new(p: &Periphery) -> Self {
        let bound = p.out_bound.map_or(f32::INFINITY, |b| b as f32);
        Adc {
            noise: p.out_noise as f32,
            bound,
            step: p
                .adc_bits
                .map(|b| (bound as f64 / ((1u64 << (b - 1)) - 1) as f64) as f32),
        }
    }

    /// Number of distinct ADC outputs: `2^bits - 1`.
    pub fn level_count(&self) -> Option<u64> {
        self.step
            .map(|d| 2 * (self.bound as f64 / d as f64).round() as u64 + 1)
    }

    /// True when the stage is the identity up to `alpha`.
    pub fn is_ideal(&self) -> bool {
        self.noise == 0.0 && self.bound == f32::INFINITY && self.step.is_none()
    }

    /// Turns `y = x_q W` (`rows x n`) into the digital output, in place (see the module doc).
    /// The noise of row `r` is stream `(r, call)` of `key`, so the result does not depend on
    /// how rows are split between threads.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &self,
        y: &mut [f32],
        rows: usize,
        n: usize,
        row_scales: &[f32],
        w_max: f32,
        alpha: f32,
        key: NoiseKey,
        call: u64,
    ) {
        assert_eq!(y.len(), rows * n, "ADC input: expected rows x n values");
        assert_eq!(row_scales.len(), rows, "ADC: expected one scale per row");
        if rows == 0 || n == 0 {
            return;
        }
        if self.is_ideal() {
            if alpha != 1.0 {
                y.iter_mut().for_each(|v| *v *= alpha);
            }
            return;
        }
        let this = *self;
        if y.len() < PARALLEL_MIN {
            adc_rows(this, y, 0, n, row_scales, w_max, alpha, key, call);
        } else {
            let per_task = rows.div_ceil(4 * rayon::current_num_threads()).max(1);
            y.par_chunks_mut(per_task * n)
                .zip(row_scales.par_chunks(per_task))
                .enumerate()
                .for_each(|(c, (part, s))| {
                    adc_rows(this, part, c * per_task, n, s, w_max, alpha, key, call)
                });
        }
    }
}

simd_kernel! {
    /// Rows `first..` of the output stage (as many as `y` holds).
    #[allow(clippy::too_many_arguments)]
    fn adc_rows(
        adc: Adc,
        y: &mut [f32],
        first: usize,
        n: usize,
        row_scales: &[f32],
        w_max: f32,
        alpha: f32,
        key: NoiseKey,
        call: u64,
    ) {
        let mut noise = vec![0f32; if adc.noise > 0.0 { n } else { 0 }];
        let (b, sigma) = (adc.bound, adc.noise);
        for (r, (row, &s)) in y.chunks_exact_mut(n).zip(row_scales).enumerate() {
            let full = s * w_max;
            let (to_norm, back) = (1.0 / full, full * alpha);
            if sigma > 0.0 {
                let stream = Stream::row(key, first + r, call);
                if multiversion::target::target_cfg_f!(any(
                    target_feature = "fma",
                    target_arch = "aarch64"
                )) {
                    gaussian::fill::<true>(stream, &mut noise);
                } else {
                    gaussian::fill::<false>(stream, &mut noise);
                }
                for (v, z) in row.iter_mut().zip(&noise) {
                    *v = (*v * to_norm + sigma * z).clamp(-b, b);
                }
            } else {
                for v in row.iter_mut() {
                    *v = (*v * to_norm).clamp(-b, b);
                }
            }
            match adc.step {
                Some(d) => {
                    let inv = 1.0 / d;
                    let back = back * d;
                    for v in row.iter_mut() {
                        *v = round_even(*v * inv) * back;
                    }
                }
                None => row.iter_mut().for_each(|v| *v *= back),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_even_matches_std() {
        for v in [
            0.5f32,
            1.5,
            2.5,
            -0.5,
            -2.5,
            0.49999997,
            8_388_607.5,
            1e9,
            -3.7,
            0.0,
        ] {
            assert_eq!(round_even(v), v.round_ties_even(), "{v}");
        }
    }

    #[test]
    fn binary_inputs_take_the_fast_path_unchanged() {
        let dac = Dac::new(&Periphery::default());
        let x = [0.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let mut out = vec![];
        let s = dac.quantize(&x, 2, 3, &mut out);
        assert_eq!(out, x);
        assert_eq!(s, vec![1.0, 1.0]);
    }
}
