//! Branch-free `exp` and the functions built on it, so that the element-wise loops of the
//! layers vectorise (`f32::exp` and `f32::tanh` are calls into libm that LLVM cannot vectorise).
//!
//! `exp(x) = 2^k · e^r` with `k = round(x / ln 2)`, `r = x - k ln 2` (|r| ≤ ln2/2, split in a
//! high and a low part of ln 2 so the reduction is exact), `e^r` by its degree-7 Taylor
//! polynomial. Relative error below 2e-7 (a few ulp) over the whole range; see the tests.

const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// 1.5 · 2^23: adding and subtracting it rounds any |v| < 2^22 to the nearest integer in plain
/// f32 arithmetic. `f32::round` is a call into libm (`roundf`) on the baseline x86-64 target,
/// which stops every loop that calls `exp` from vectorising outside the multiversioned kernels.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x` for finite `x`, with `x` clamped to [-87.3, 88.7] (the normal range of f32).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.3, 88.7);
    let shifted = x * LOG2_E + ROUND_MAGIC;
    let k = shifted - ROUND_MAGIC;
    // k as an integer, read off the bits: `shifted` lies in [2^23, 2^24), where the low mantissa
    // bits count whole units above 1.5 · 2^23. `k as i32` would be a saturating cast, which x86
    // has no vector instruction for: it turned every loop calling exp into one lane at a time.
    let ki = shifted.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r = 1 + r + r²/2 + ... + r⁷/5040 (Horner; the next term is below 3e-9)
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // 2^k by building the exponent bits; k in [-126, 128] after the clamp, split to stay normal.
    let half = ki / 2;
    let scale_a = f32::from_bits(((half + 127) as u32) << 23);
    let scale_b = f32::from_bits(((ki - half + 127) as u32) << 23);
    p * scale_a * scale_b
}

/// `σ(z) = 1 / (1 + e^-z)`, and 0 where that is below the smallest normal f32 (z < -87.3).
///
/// Why the flush: a saturated unit would otherwise output a subnormal (about 3e-39), and
/// subnormals make the matrix products they enter many times slower on x86 (a PTB language
/// model whose units sat there trained 2-3x slower). The value changes by less than 1.2e-38.
#[inline(always)]
pub fn sigmoid(z: f32) -> f32 {
    flush_subnormal(1.0 / (1.0 + exp(-z)))
}

/// `x`, or 0 where `|x|` is below the smallest normal f32 (`f32::MIN_POSITIVE`, 1.2e-38).
#[inline(always)]
pub fn flush_subnormal(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        x
    }
}

/// `tanh(z) = sign(z) (1 - e) / (1 + e)` with `e = e^{-2|z|}` (no cancellation for large |z|).
#[inline(always)]
pub fn tanh(z: f32) -> f32 {
    let e = exp(-2.0 * z.abs());
    ((1.0 - e) / (1.0 + e)).copysign(z)
}

/// `1 - tanh(z)² = 4e / (1 + e)²` with `e = e^{-2|z|}`: the tanh surrogate, exact for large |z|.
#[inline(always)]
pub fn sech2(z: f32) -> f32 {
    let e = exp(-2.0 * z.abs());
    let d = 1.0 + e;
    4.0 * e / (d * d)
}

/// `a·b + c`, fused where the target has FMA (`FMA` is chosen per compiled target by the caller,
/// e.g. with `multiversion::target::target_cfg_f!`; without the instruction `mul_add` would be a
/// slow library call).
#[inline(always)]
pub(crate) fn fmadd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f32, b: f64) -> f64 {
        ((a as f64 - b) / b.abs().max(f64::MIN_POSITIVE)).abs()
    }

    #[test]
    fn exp_is_within_a_few_ulp_over_its_range() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            worst = worst.max(rel(exp(x), (x as f64).exp()));
            x += 0.0137;
        }
        assert!(worst < 2e-7, "worst relative error {worst:e}");
        assert!(exp(-200.0) < 1e-37 && exp(200.0).is_finite());
    }

    #[test]
    fn exp_reads_k_off_the_bits_as_the_cast_would() {
        // The exponent from the rounding's bits against `k as i32`, over the whole clamped range
        // and past it: the same integer, so the same result to the bit.
        let mut x = -100.0f32;
        while x < 100.0 {
            let c = x.clamp(-87.3, 88.7);
            let shifted = c * LOG2_E + ROUND_MAGIC;
            let cast = (shifted - ROUND_MAGIC) as i32;
            assert_eq!(
                shifted.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32,
                cast,
                "x = {x}"
            );
            x += 0.00731;
        }
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn sigmoid_tanh_and_sech2_match_f64() {
        let mut z = -30.0f32;
        while z < 30.0 {
            let zd = z as f64;
            let s = 1.0 / (1.0 + (-zd).exp());
            assert!(
                (sigmoid(z) as f64 - s).abs() < 3e-7 * s.max(1e-30) + 1e-38,
                "sigmoid({z})"
            );
            assert!((tanh(z) as f64 - zd.tanh()).abs() < 3e-7, "tanh({z})");
            let c = 1.0 / zd.cosh().powi(2);
            assert!(
                rel(sech2(z), c) < 5e-7 || c < 1e-30,
                "sech2({z}): {} vs {c}",
                sech2(z)
            );
            z += 0.0071;
        }
    }

    #[test]
    fn sigmoid_never_returns_a_subnormal() {
        let mut z = -200.0f32;
        while z < 0.0 {
            let y = sigmoid(z);
            assert!(y == 0.0 || y.is_normal(), "sigmoid({z}) = {y:e}");
            // Only the part below the smallest normal is flushed.
            assert!(y > 0.0 || 1.0 / (1.0 + (-(z as f64)).exp()) < f32::MIN_POSITIVE as f64);
            z += 0.013;
        }
        assert_eq!(flush_subnormal(1e-39), 0.0);
        assert_eq!(flush_subnormal(-1e-39), 0.0);
        assert_eq!(flush_subnormal(2e-38), 2e-38);
    }
}
