//! Counter-based standard normals for the per-output noise of the periphery: every value is a
//! pure function of (key, stream, index), so a row's noise is the same whichever thread draws
//! it and in whatever order, and a whole batch of values is computed side by side in SIMD lanes.
//!
//! Bits: Philox4x32-10 (Salmon et al., SC 2011, the generator of Random123, cuRAND and JAX),
//! one 128-bit counter per block of four normals, a 64-bit key:
//!
//! ```text
//! round:  (hi0, lo0) = M0 · c0,  (hi1, lo1) = M1 · c2          (32 x 32 -> 64-bit products)
//!         c = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0);  k += (W0, W1)     (10 rounds)
//! ```
//!
//! Normals: Box–Muller on each half of the block (two 32-bit words -> two normals),
//!
//! ```text
//! u1 = (top 24 bits + 1) / 2^24 in (0, 1],  u2 = top 24 bits / 2^24 in [0, 1)
//! z0 = r cos(2π u2),  z1 = r sin(2π u2),  r = sqrt(-2 ln u1)
//! ```
//!
//! `ln`, `cos` and `sin` are branch-free polynomials (below), so the loops vectorise. The radius
//! tops out at `sqrt(2 · 24 ln 2) = 5.77`: the distribution is exact up to f32 rounding inside
//! ±5.77 and empty beyond, a tail mass of 8e-9.

// Lane loops index several arrays at the same lane: clearer than zipped iterators, and the
// shape the vectoriser wants.
#![allow(clippy::needless_range_loop)]

/// Blocks (of four normals) computed side by side.
pub const LANES: usize = 8;
/// Normals per batch.
pub const GROUP: usize = 4 * LANES;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// The 64-bit Philox key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoiseKey(pub [u32; 2]);

impl NoiseKey {
    /// A key from a seed, through SplitMix64 so that nearby seeds give unrelated keys.
    pub fn from_seed(seed: u64) -> Self {
        let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        NoiseKey([x as u32, (x >> 32) as u32])
    }
}

/// The counter words that name a stream: `(c1, c2, c3)`; `c0` counts blocks within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream(pub [u32; 3]);

impl Stream {
    /// The stream of output row `row` in call `call` (rows below 2^32).
    pub fn row(row: usize, call: u64) -> Self {
        Stream([row as u32, call as u32, (call >> 32) as u32])
    }
}

/// Philox4x32-10 of one counter (the reference, and the known-answer test).
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = [[ctr[0]], [ctr[1]], [ctr[2]], [ctr[3]]];
    philox_lanes::<1>(&mut c, key);
    [c[0][0], c[1][0], c[2][0], c[3][0]]
}

/// Ten Philox rounds on `L` counters at once (`c[word][lane]`).
#[inline(always)]
fn philox_lanes<const L: usize>(c: &mut [[u32; L]; 4], key: [u32; 2]) {
    let (mut k0, mut k1) = (key[0], key[1]);
    for _ in 0..10 {
        for l in 0..L {
            let p0 = M0 as u64 * c[0][l] as u64;
            let p1 = M1 as u64 * c[2][l] as u64;
            let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
            let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
            let next = [hi1 ^ c[1][l] ^ k0, lo1, hi0 ^ c[3][l] ^ k1, lo0];
            for w in 0..4 {
                c[w][l] = next[w];
            }
        }
        k0 = k0.wrapping_add(W0);
        k1 = k1.wrapping_add(W1);
    }
}

const LN2: f32 = std::f32::consts::LN_2;
const SQRT2: f32 = std::f32::consts::SQRT_2;
const TAU: f32 = std::f32::consts::TAU;

/// `ln x` for normal `x > 0`: `x = 2^e m` with `m` in [√½, √2), then
/// `ln m = 2 atanh(s) = 2 (s + s³/3 + ... + s⁹/9)`, `s = (m - 1)/(m + 1)`, `|s| <= 0.1716`
/// (the next term is below 1e-9). Branch-free.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) as i32 - 127) as f32;
    let m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000); // [1, 2)
    let big = m > SQRT2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1.0 } else { e };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = 1.0 / 9.0;
    let p = p * s2 + 1.0 / 7.0;
    let p = p * s2 + 1.0 / 5.0;
    let p = p * s2 + 1.0 / 3.0;
    let p = p * s2 + 1.0;
    e * LN2 + 2.0 * s * p
}

/// `(cos 2πu, sin 2πu)` for `u` in [0, 1): quadrant `q = round(4u)`, `a = 2π(u - q/4)` in
/// [-π/4, π/4], Taylor polynomials of degree 8 and 9 (errors below 3e-8 and 2e-9), then a
/// rotation by `q` quarter turns. Branch-free.
#[inline(always)]
pub fn cos_sin_2pi(u: f32) -> (f32, f32) {
    let q = (4.0 * u + 0.5) as i32; // 0 ..= 4
    let a = TAU * (u - q as f32 * 0.25);
    let a2 = a * a;
    // cos a = 1 - a²/2! + a⁴/4! - a⁶/6! + a⁸/8!
    let c = 1.0 / 40320.0;
    let c = c * a2 - 1.0 / 720.0;
    let c = c * a2 + 1.0 / 24.0;
    let c = c * a2 - 0.5;
    let c = c * a2 + 1.0;
    // sin a = a (1 - a²/3! + a⁴/5! - a⁶/7! + a⁸/9!)
    let s = 1.0 / 362_880.0;
    let s = s * a2 - 1.0 / 5040.0;
    let s = s * a2 + 1.0 / 120.0;
    let s = s * a2 - 1.0 / 6.0;
    let s = (s * a2 + 1.0) * a;
    // (cos, sin)(a + qπ/2): q = 1 -> (-s, c), 2 -> (-c, -s), 3 -> (s, -c).
    let q = q & 3;
    let swap = q & 1 != 0;
    let (x, y) = if swap { (s, c) } else { (c, s) };
    let neg_x = q == 1 || q == 2;
    let neg_y = q >= 2;
    (if neg_x { -x } else { x }, if neg_y { -y } else { y })
}

/// Normals `GROUP·g .. GROUP·(g + 1)` of a stream into `out`.
///
/// Layout: block `b = LANES·g + l` (counter `c0 = b`) gives the normals `l`, `LANES + l`,
/// `2 LANES + l` and `3 LANES + l` of the batch, so that each is a contiguous store.
#[inline(always)]
pub fn group(key: NoiseKey, stream: Stream, g: u32, out: &mut [f32; GROUP]) {
    let mut c = [[0u32; LANES]; 4];
    for l in 0..LANES {
        c[0][l] = g.wrapping_mul(LANES as u32).wrapping_add(l as u32);
        c[1][l] = stream.0[0];
        c[2][l] = stream.0[1];
        c[3][l] = stream.0[2];
    }
    philox_lanes::<LANES>(&mut c, key.0);
    const INV24: f32 = 1.0 / (1u32 << 24) as f32;
    for half in 0..2 {
        let (wa, wb) = (&c[2 * half], &c[2 * half + 1]);
        for l in 0..LANES {
            let u1 = ((wa[l] >> 8) as i32 + 1) as f32 * INV24;
            let u2 = (wb[l] >> 8) as i32 as f32 * INV24;
            let r = (-2.0 * ln(u1)).sqrt();
            let (cs, sn) = cos_sin_2pi(u2);
            out[2 * half * LANES + l] = r * cs;
            out[(2 * half + 1) * LANES + l] = r * sn;
        }
    }
}

/// Normals `0 .. out.len()` of a stream.
#[inline(always)]
pub fn fill(key: NoiseKey, stream: Stream, out: &mut [f32]) {
    let mut chunks = out.chunks_exact_mut(GROUP);
    let mut g = 0u32;
    for chunk in &mut chunks {
        group(key, stream, g, chunk.try_into().unwrap());
        g += 1;
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut buf = [0f32; GROUP];
        group(key, stream, g, &mut buf);
        rest.copy_from_slice(&buf[..rest.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123 `tests/kat_vectors`, the three `philox4x32 10` lines (counter, key, result).
    #[test]
    fn philox_known_answers() {
        let cases = [
            (
                [0, 0, 0, 0],
                [0, 0],
                [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
            ),
            (
                [u32::MAX; 4],
                [u32::MAX; 2],
                [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            ),
            (
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0],
                [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
            ),
        ];
        for (ctr, key, expected) in cases {
            assert_eq!(philox4x32_10(ctr, key), expected);
        }
    }

    #[test]
    fn ln_and_cos_sin_match_f64() {
        let mut worst_ln = 0f64;
        let mut x = 1.0f32 / (1 << 24) as f32;
        while x <= 1.0 {
            worst_ln = worst_ln.max((ln(x) as f64 - (x as f64).ln()).abs());
            x *= 1.000_37;
        }
        assert!(worst_ln < 2e-6, "ln: worst absolute error {worst_ln:e}");
        let mut worst_trig = 0f64;
        for i in 0..100_000 {
            let u = i as f32 / 100_000.0;
            let (c, s) = cos_sin_2pi(u);
            let a = std::f64::consts::TAU * u as f64;
            worst_trig = worst_trig
                .max((c as f64 - a.cos()).abs())
                .max((s as f64 - a.sin()).abs());
        }
        assert!(worst_trig < 5e-7, "cos/sin: worst error {worst_trig:e}");
    }

    #[test]
    fn fill_is_a_function_of_the_index() {
        let key = NoiseKey::from_seed(5);
        let s = Stream::row(3, 9);
        let mut long = vec![0f32; 100];
        fill(key, s, &mut long);
        let mut short = vec![0f32; 37];
        fill(key, s, &mut short);
        assert_eq!(&long[..37], &short[..]);
        let mut other = vec![0f32; 37];
        fill(key, Stream::row(4, 9), &mut other);
        assert_ne!(short, other);
    }
}
