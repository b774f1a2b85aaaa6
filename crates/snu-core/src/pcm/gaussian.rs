//! Counter-based standard normals for the per-output noise of the periphery: every value is a
//! pure function of (key, stream, index), so a row's noise is the same whichever thread draws
//! it and in whatever order, and a whole batch of values is computed side by side in SIMD lanes.
//!
//! Bits: the SplitMix64 sequence (Steele, Lea and Flood, OOPSLA 2014), which is itself
//! counter-based: its `i`-th output is `mix(s + i·γ)` for a seed `s`, so any index can be read
//! directly. Each stream (an output row of one call) starts at its own seed,
//! `s = mix(mix(key ^ call·A) ^ row·B)`; SplitMix64 passes BigCrush, and streams of a few
//! thousand values at random 64-bit offsets do not overlap in practice.
//!
//! ```text
//! mix(z):  z = (z ^ z>>30)·0xBF58476D1CE4E5B9;  z = (z ^ z>>27)·0x94D049BB133111EB;  z ^ z>>31
//! ```
//!
//! Normals: Box–Muller on the two 32-bit halves of each 64-bit value,
//!
//! ```text
//! u1 = (top 24 bits of the high half + 1) / 2^24 in (0, 1]
//! z0 = r cos θ,  z1 = r sin θ,  r = sqrt(-2 ln u1),  θ uniform from the low half (see
//!                                                     `cos_sin_turn`)
//! ```
//!
//! `ln`, `cos` and `sin` are branch-free polynomials (below), so the loops vectorise. The radius
//! tops out at `sqrt(2 · 24 ln 2) = 5.77`: the distribution is exact up to f32 rounding inside
//! ±5.77 and empty beyond, a tail mass of 8e-9.

// Lane loops index several arrays at the same lane: clearer than zipped iterators, and the
// shape the vectoriser wants.
#![allow(clippy::needless_range_loop)]

use crate::kernels::fastmath::fmadd;

/// 64-bit values (two normals each) computed side by side.
pub const LANES: usize = 16;
/// Normals per batch.
pub const GROUP: usize = 2 * LANES;

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
const CALL_MUL: u64 = 0xD1B5_4A32_D192_ED03;
const ROW_MUL: u64 = 0xAEF1_7502_108E_F2D9;

/// SplitMix64's output function (a bijection of u64).
#[inline(always)]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The tile's noise key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoiseKey(pub u64);

impl NoiseKey {
    pub fn from_seed(seed: u64) -> Self {
        NoiseKey(mix(seed.wrapping_add(GAMMA)))
    }
}

/// The SplitMix64 seed of one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream(pub u64);

impl Stream {
    /// The stream of output row `row` in call `call`.
    pub fn row(key: NoiseKey, row: usize, call: u64) -> Self {
        Stream(mix(
            mix(key.0 ^ call.wrapping_mul(CALL_MUL)) ^ (row as u64).wrapping_mul(ROW_MUL)
        ))
    }

    /// The `i`-th 64-bit value of the stream (`i` from 0).
    #[inline(always)]
    pub fn bits(self, i: u64) -> u64 {
        mix(self.0.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA)))
    }
}

const LN2: f32 = std::f32::consts::LN_2;
const SQRT2: f32 = std::f32::consts::SQRT_2;
const FRAC_PI_2: f32 = std::f32::consts::FRAC_PI_2;

/// `ln x` for normal `x > 0`: `x = 2^e m` with `m` in [√½, √2), then
/// `ln m = 2 atanh(s) = 2 (s + s³/3 + ... + s⁹/9)`, `s = (m - 1)/(m + 1)`, `|s| <= 0.1716`
/// (the next term is below 1e-9). Branch-free.
#[inline(always)]
pub fn ln<const FMA: bool>(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) as i32 - 127) as f32;
    let m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000); // [1, 2)
    let big = m > SQRT2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1.0 } else { e };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = fmadd::<FMA>(1.0 / 9.0, s2, 1.0 / 7.0);
    let p = fmadd::<FMA>(p, s2, 1.0 / 5.0);
    let p = fmadd::<FMA>(p, s2, 1.0 / 3.0);
    let p = fmadd::<FMA>(p, s2, 1.0);
    fmadd::<FMA>(e, LN2, 2.0 * s * p)
}

/// `(cos a, sin a)` for `a` in [-π/4, π/4]: Taylor polynomials of degree 8 and 9 (errors below
/// 3e-8 and 2e-9).
#[inline(always)]
pub fn cos_sin<const FMA: bool>(a: f32) -> (f32, f32) {
    let a2 = a * a;
    // cos a = 1 - a²/2! + a⁴/4! - a⁶/6! + a⁸/8!
    let c = fmadd::<FMA>(1.0 / 40320.0, a2, -1.0 / 720.0);
    let c = fmadd::<FMA>(c, a2, 1.0 / 24.0);
    let c = fmadd::<FMA>(c, a2, -0.5);
    let c = fmadd::<FMA>(c, a2, 1.0);
    // sin a = a (1 - a²/3! + a⁴/5! - a⁶/7! + a⁸/9!)
    let s = fmadd::<FMA>(1.0 / 362_880.0, a2, -1.0 / 5040.0);
    let s = fmadd::<FMA>(s, a2, 1.0 / 120.0);
    let s = fmadd::<FMA>(s, a2, -1.0 / 6.0);
    let s = fmadd::<FMA>(s, a2, 1.0) * a;
    (c, s)
}

/// `(cos θ, sin θ)` for the angle `θ = q·π/2 + a` named by 32 random bits: the quadrant `q`
/// from the two low bits, `a = (v - ½)·π/2` in [-π/4, π/4) from the top 24 (`v` in [0, 1)).
/// `θ` is uniform on the circle, as `2π·u` would be; the rotation by `q` is a swap and sign
/// flips on the bit patterns, so nothing branches.
#[inline(always)]
pub fn cos_sin_turn<const FMA: bool>(bits: u32) -> (f32, f32) {
    const INV24: f32 = 1.0 / (1u32 << 24) as f32;
    let v = (bits >> 8) as i32 as f32 * INV24;
    let (c, s) = cos_sin::<FMA>((v - 0.5) * FRAC_PI_2);
    // (cos, sin)(a + qπ/2): q = 1 -> (-s, c), 2 -> (-c, -s), 3 -> (s, -c).
    let q = bits & 3;
    let (x, y) = if q & 1 != 0 { (s, c) } else { (c, s) };
    let flip_x = ((q ^ (q >> 1)) & 1) << 31;
    let flip_y = (q >> 1) << 31;
    (
        f32::from_bits(x.to_bits() ^ flip_x),
        f32::from_bits(y.to_bits() ^ flip_y),
    )
}

/// Normals `GROUP·g .. GROUP·(g + 1)` of a stream into `out`: value `i = LANES·g + l` gives
/// normals `l` and `LANES + l` of the batch (contiguous stores).
#[inline(always)]
pub fn group<const FMA: bool>(stream: Stream, g: u64, out: &mut [f32; GROUP]) {
    const INV24: f32 = 1.0 / (1u32 << 24) as f32;
    let first = g * LANES as u64;
    for l in 0..LANES {
        let x = stream.bits(first + l as u64);
        let u1 = (((x >> 40) as u32) as i32 + 1) as f32 * INV24; // (0, 1]
        let r = (-2.0 * ln::<FMA>(u1)).sqrt();
        let (cs, sn) = cos_sin_turn::<FMA>(x as u32);
        out[l] = r * cs;
        out[LANES + l] = r * sn;
    }
}

/// Normals `0 .. out.len()` of a stream.
#[inline(always)]
pub fn fill<const FMA: bool>(stream: Stream, out: &mut [f32]) {
    let mut chunks = out.chunks_exact_mut(GROUP);
    let mut g = 0u64;
    for chunk in &mut chunks {
        group::<FMA>(stream, g, chunk.try_into().unwrap());
        g += 1;
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut buf = [0f32; GROUP];
        group::<FMA>(stream, g, &mut buf);
        rest.copy_from_slice(&buf[..rest.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64 from seed 0 (the reference sequence of Vigna's `splitmix64.c`, as computed
    /// by `Rng::new`'s seeding, which is the same function).
    #[test]
    fn bits_are_the_splitmix64_sequence() {
        let seed = 1234567u64;
        let mut state = seed;
        for i in 0..10 {
            state = state.wrapping_add(GAMMA);
            assert_eq!(Stream(seed).bits(i), mix(state));
        }
        // Known first output of SplitMix64 seeded with 0.
        assert_eq!(Stream(0).bits(0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ln_and_cos_sin_match_f64() {
        let mut worst_ln = [0f64; 2];
        let mut x = 1.0f32 / (1 << 24) as f32;
        while x <= 1.0 {
            let exact = (x as f64).ln();
            worst_ln[0] = worst_ln[0].max((ln::<false>(x) as f64 - exact).abs());
            worst_ln[1] = worst_ln[1].max((ln::<true>(x) as f64 - exact).abs());
            x *= 1.000_37;
        }
        assert!(
            worst_ln[0].max(worst_ln[1]) < 2e-6,
            "ln: worst absolute errors {worst_ln:?}"
        );
        // Every quadrant and the whole angle range, through the bit patterns.
        let mut worst_trig = 0f64;
        for i in 0..(1u32 << 18) {
            let bits = i.wrapping_mul(0x9E37_79B9);
            let q = (bits & 3) as f64;
            let v = (bits >> 8) as f64 / (1u64 << 24) as f64;
            let theta = q * std::f64::consts::FRAC_PI_2 + (v - 0.5) * std::f64::consts::FRAC_PI_2;
            for (c, s) in [cos_sin_turn::<false>(bits), cos_sin_turn::<true>(bits)] {
                worst_trig = worst_trig
                    .max((c as f64 - theta.cos()).abs())
                    .max((s as f64 - theta.sin()).abs());
            }
        }
        assert!(worst_trig < 5e-7, "cos/sin: worst error {worst_trig:e}");
    }

    #[test]
    fn fill_is_a_function_of_the_index() {
        let key = NoiseKey::from_seed(5);
        let s = Stream::row(key, 3, 9);
        let mut long = vec![0f32; 100];
        fill::<false>(s, &mut long);
        let mut short = vec![0f32; 37];
        fill::<false>(s, &mut short);
        assert_eq!(&long[..37], &short[..]);
        let mut other = vec![0f32; 37];
        fill::<false>(Stream::row(key, 4, 9), &mut other);
        assert_ne!(short, other);
        fill::<false>(Stream::row(key, 3, 10), &mut other);
        assert_ne!(short, other);
    }
}
