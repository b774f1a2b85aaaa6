//! The step of dense eligibility traces (OSTL through recurrent weights, `ostl_recurrent.rs`):
//! every trace row `e` (one parameter's `∂s/∂θ` over the `n` units) becomes `M e`, in place,
//! and the row's gradient gains `u · (M e)`:
//!
//! ```text
//! e_c ← M e_c          (n x n times n, for every row c of the [rows, n] trace matrix)
//! g_c += u · e_c
//! ```
//!
//! `M` comes transposed and padded, `mt[i * np + j] = M[j, i]` with `np = padded(n)` and zeros
//! past `n`, so that the kernel reads 16 neighbouring `j` of one `i` as one run. It keeps
//! `6 rows x 16 j` of the result in registers (12 AVX2 vectors) while it runs over `i`: per `i`
//! two loads of `mt`, six broadcasts of `e`, twelve multiply-adds. Against a general matrix
//! product (`linalg::gemm` on `M` times the `[n, rows]` traces) it packs nothing and writes
//! each row once, in place: one bank of traces instead of two. Rows are cut into chunks across
//! rayon's pool; each row's result is the same whatever the chunking.

use super::fastmath::fmadd;
use super::simd::simd_kernel;
use rayon::prelude::*;
use std::ops::Range;

/// Neighbouring `j` per register block.
const LANES: usize = 16;
/// Trace rows per register block.
const ROWS: usize = 6;
/// Trace rows per parallel task.
const CHUNK_ROWS: usize = 64 * ROWS;

/// `n` rounded up to whole register blocks: the row length of `mt`.
pub fn padded(n: usize) -> usize {
    n.next_multiple_of(LANES)
}

/// Writes `mt` (`[n, padded(n)]`, zeros past `n`) from `M[j, i] = m(j, i)`.
pub fn fill_transposed(mt: &mut Vec<f32>, n: usize, m: impl Fn(usize, usize) -> f32) {
    let np = padded(n);
    mt.clear();
    mt.resize(n * np, 0.0);
    for (i, row) in mt.chunks_exact_mut(np).enumerate() {
        for (j, v) in row[..n].iter_mut().enumerate() {
            *v = m(j, i);
        }
    }
}

/// `e_c ← M e_c` and `grad[c] += u · e_c` for every row `c` of `rows` (`[R, n]`, with
/// `grad.len() == R`), in parallel over chunks of rows.
pub fn transform_rows(rows: &mut [f32], grad: &mut [f32], n: usize, mt: &[f32], u: &[f32]) {
    let all = 0..grad.len();
    transform_row_ranges(rows, grad, n, mt, u, std::slice::from_ref(&all));
}

/// `transform_rows` on the rows `c` in `ranges` only (ascending, disjoint), all in one
/// parallel pass: short ranges share the threads instead of running one after another.
pub fn transform_row_ranges(
    rows: &mut [f32],
    grad: &mut [f32],
    n: usize,
    mt: &[f32],
    u: &[f32],
    ranges: &[Range<usize>],
) {
    let np = padded(n);
    assert!(
        n > 0 && rows.len() == grad.len() * n,
        "trace rows and gradient differ"
    );
    assert!(
        mt.len() == n * np && u.len() == n,
        "M and u must cover the n units"
    );
    let mut tasks: Vec<(&mut [f32], &mut [f32])> = vec![];
    let (mut rest_e, mut rest_g, mut at) = (rows, grad, 0);
    for r in ranges {
        assert!(
            at <= r.start && r.start <= r.end && r.end <= at + rest_g.len(),
            "ranges must be ascending, disjoint and inside the rows"
        );
        let (e, g) = (
            &mut rest_e[(r.start - at) * n..],
            &mut rest_g[r.start - at..],
        );
        let (e, e_after) = e.split_at_mut(r.len() * n);
        let (g, g_after) = g.split_at_mut(r.len());
        tasks.extend(e.chunks_mut(CHUNK_ROWS * n).zip(g.chunks_mut(CHUNK_ROWS)));
        (rest_e, rest_g, at) = (e_after, g_after, r.end);
    }
    tasks.into_par_iter().for_each_init(
        || vec![0f32; ROWS * np],
        |out, (rows, grad)| {
            #[cfg(target_arch = "x86_64")]
            if avx2_fma() {
                // SAFETY: AVX2 and FMA are present; the sizes are asserted above and in
                // `transform_chunk_avx2`.
                return unsafe { x86::transform_chunk_avx2(rows, grad, n, mt, u, out) };
            }
            transform_chunk(rows, grad, n, mt, u, out)
        },
    );
}

/// Whether this CPU has AVX2 and FMA, detected once.
#[cfg(target_arch = "x86_64")]
fn avx2_fma() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// `u · v`, in 8 partial sums so that it vectorises.
#[inline(always)]
fn dot(u: &[f32], v: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (uc, vc) = (u.chunks_exact(8), v.chunks_exact(8));
    let tail: f32 = uc
        .remainder()
        .iter()
        .zip(vc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a8, b8) in uc.zip(vc) {
        for ((s, a), b) in acc.iter_mut().zip(a8).zip(b8) {
            *s += a * b;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The results in `out` (`[R, padded(n)]`) replace the rows, and their gradients add up.
#[inline(always)]
fn write_back(block: &mut [f32], grad: &mut [f32], n: usize, u: &[f32], out: &[f32]) {
    let np = padded(n);
    for (r, (row, g)) in block.chunks_exact_mut(n).zip(grad).enumerate() {
        let new = &out[r * np..r * np + n];
        *g += dot(u, new);
        row.copy_from_slice(new);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{padded, write_back, LANES, ROWS};
    use std::arch::x86_64::*;

    /// `transform_chunk` with AVX2 + FMA intrinsics: `ROWS x 16` results in 12 registers, per
    /// `i` two loads of `Mᵀ` and six broadcasts.
    ///
    /// # Safety
    /// AVX2 and FMA must be present, `rows.len() == grad.len() * n`, `mt.len() == n * padded(n)`,
    /// `u.len() == n` and `out.len() >= ROWS * padded(n)`.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn transform_chunk_avx2(
        rows: &mut [f32],
        grad: &mut [f32],
        n: usize,
        mt: &[f32],
        u: &[f32],
        out: &mut [f32],
    ) {
        let np = padded(n);
        assert!(mt.len() == n * np && out.len() >= ROWS * np && rows.len() == grad.len() * n);
        let mut blocks = rows.chunks_exact_mut(ROWS * n);
        let mut g = grad.chunks_exact_mut(ROWS);
        for (block, gb) in (&mut blocks).zip(&mut g) {
            let x = block.as_ptr();
            let xr: [*const f32; ROWS] = std::array::from_fn(|r| unsafe { x.add(r * n) });
            for j0 in (0..np).step_by(LANES) {
                let mut acc = [[_mm256_setzero_ps(); 2]; ROWS];
                let mut m = unsafe { mt.as_ptr().add(j0) };
                for i in 0..n {
                    let (m0, m1) = unsafe { (_mm256_loadu_ps(m), _mm256_loadu_ps(m.add(8))) };
                    for (a, p) in acc.iter_mut().zip(&xr) {
                        let v = _mm256_set1_ps(unsafe { *p.add(i) });
                        a[0] = _mm256_fmadd_ps(v, m0, a[0]);
                        a[1] = _mm256_fmadd_ps(v, m1, a[1]);
                    }
                    m = unsafe { m.add(np) };
                }
                for (r, a) in acc.iter().enumerate() {
                    unsafe {
                        let o = out.as_mut_ptr().add(r * np + j0);
                        _mm256_storeu_ps(o, a[0]);
                        _mm256_storeu_ps(o.add(8), a[1]);
                    }
                }
            }
            write_back(block, gb, n, u, out);
        }
        for (row, gr) in blocks
            .into_remainder()
            .chunks_exact_mut(n)
            .zip(g.into_remainder())
        {
            super::block_rows::<1, true>(row, std::slice::from_mut(gr), n, mt, u, out);
        }
    }
}

simd_kernel! {
    /// `transform_rows` on one chunk, on this thread; `out` is `ROWS * padded(n)` of scratch.
    fn transform_chunk(rows: &mut [f32], grad: &mut [f32], n: usize, mt: &[f32], u: &[f32], out: &mut [f32]) {
        let fma = multiversion::target::target_cfg_f!(any(target_feature = "fma", target_arch = "aarch64"));
        let mut blocks = rows.chunks_exact_mut(ROWS * n);
        let mut g = grad.chunks_exact_mut(ROWS);
        for (block, gb) in (&mut blocks).zip(&mut g) {
            if fma {
                block_rows::<ROWS, true>(block, gb, n, mt, u, out);
            } else {
                block_rows::<ROWS, false>(block, gb, n, mt, u, out);
            }
        }
        for (row, gr) in blocks.into_remainder().chunks_exact_mut(n).zip(g.into_remainder()) {
            let gr = std::slice::from_mut(gr);
            if fma {
                block_rows::<1, true>(row, gr, n, mt, u, out);
            } else {
                block_rows::<1, false>(row, gr, n, mt, u, out);
            }
        }
    }
}

/// `R` rows at once (see the module's comment), results gathered in `out` before they replace
/// the rows (each result reads the whole of its row).
#[inline(always)]
fn block_rows<const R: usize, const FMA: bool>(
    block: &mut [f32],
    grad: &mut [f32],
    n: usize,
    mt: &[f32],
    u: &[f32],
    out: &mut [f32],
) {
    let np = padded(n);
    let rows: [&[f32]; R] = std::array::from_fn(|r| &block[r * n..(r + 1) * n]);
    for j0 in (0..np).step_by(LANES) {
        let mut acc = [[0f32; LANES]; R];
        for (i, m_row) in mt.chunks_exact(np).enumerate() {
            let m: &[f32; LANES] = m_row[j0..j0 + LANES].try_into().expect("padded row");
            for (a, row) in acc.iter_mut().zip(&rows) {
                let x = row[i];
                for (a, &m) in a.iter_mut().zip(m) {
                    *a = fmadd::<FMA>(x, m, *a);
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            out[r * np + j0..r * np + j0 + LANES].copy_from_slice(a);
        }
    }
    write_back(block, grad, n, u, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::rng::Rng;

    /// Against the plain sums, for sizes that leave remainders of rows, lanes and chunks.
    #[test]
    fn matches_the_plain_product() {
        let mut rng = Rng::new(3);
        for (n, r) in [(1, 1), (5, 7), (16, 6), (17, 13), (150, CHUNK_ROWS + 11)] {
            let m: Vec<f32> = (0..n * n).map(|_| rng.uniform() as f32 - 0.5).collect();
            let u: Vec<f32> = (0..n).map(|_| rng.uniform() as f32 - 0.5).collect();
            let e: Vec<f32> = (0..r * n).map(|_| rng.uniform() as f32 - 0.5).collect();
            let g0: Vec<f32> = (0..r).map(|_| rng.uniform() as f32).collect();
            let mut mt = vec![];
            fill_transposed(&mut mt, n, |j, i| m[j * n + i]);
            let (mut got, mut g) = (e.clone(), g0.clone());
            transform_rows(&mut got, &mut g, n, &mt, &u);
            for c in 0..r {
                let want: Vec<f64> = (0..n)
                    .map(|j| {
                        (0..n)
                            .map(|i| m[j * n + i] as f64 * e[c * n + i] as f64)
                            .sum()
                    })
                    .collect();
                for j in 0..n {
                    let d = (got[c * n + j] as f64 - want[j]).abs();
                    assert!(
                        d < 1e-5 * (1.0 + want[j].abs()),
                        "n {n} row {c} unit {j}: {} vs {}",
                        got[c * n + j],
                        want[j]
                    );
                }
                let dot: f64 = (0..n).map(|j| u[j] as f64 * want[j]).sum();
                let d = (g[c] as f64 - g0[c] as f64 - dot).abs();
                assert!(
                    d < 1e-4 * (1.0 + dot.abs()),
                    "n {n} row {c}: gradient {} vs {}",
                    g[c] - g0[c],
                    dot
                );
            }
        }
    }

    /// The portable kernel (what CPUs without AVX2 run) on one chunk, with and without FMA,
    /// against the dispatched one.
    #[test]
    fn the_portable_kernel_agrees() {
        let mut rng = Rng::new(5);
        let (n, r) = (23, 2 * ROWS + 5);
        let np = padded(n);
        let m: Vec<f32> = (0..n * n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let u: Vec<f32> = (0..n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let e: Vec<f32> = (0..r * n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let mut mt = vec![];
        fill_transposed(&mut mt, n, |j, i| m[j * n + i]);
        let (mut a, mut ga) = (e.clone(), vec![0f32; r]);
        transform_rows(&mut a, &mut ga, n, &mt, &u);
        let (mut b, mut gb) = (e.clone(), vec![0f32; r]);
        transform_chunk(&mut b, &mut gb, n, &mt, &u, &mut vec![0f32; ROWS * np]);
        // And the loops without FMA that the baseline and SSE builds compile.
        let (mut c, mut gc) = (e.clone(), vec![0f32; r]);
        let out = &mut vec![0f32; ROWS * np];
        let (six, rest) = c.split_at_mut(2 * ROWS * n);
        let (g6, grest) = gc.split_at_mut(2 * ROWS);
        for (block, g) in six
            .chunks_exact_mut(ROWS * n)
            .zip(g6.chunks_exact_mut(ROWS))
        {
            block_rows::<ROWS, false>(block, g, n, &mt, &u, out);
        }
        for (row, g) in rest.chunks_exact_mut(n).zip(grest.chunks_exact_mut(1)) {
            block_rows::<1, false>(row, g, n, &mt, &u, out);
        }
        for (x, y) in a.iter().zip(&b).chain(ga.iter().zip(&gb)) {
            assert!((x - y).abs() < 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
        }
        for (x, y) in a.iter().zip(&c).chain(ga.iter().zip(&gc)) {
            assert!((x - y).abs() < 1e-5 * (1.0 + x.abs()), "no FMA: {x} vs {y}");
        }
    }

    /// Ranges transform exactly their rows and leave the others as they were.
    #[test]
    fn ranges_touch_only_their_rows() {
        let mut rng = Rng::new(8);
        let (n, r) = (9, 3 * CHUNK_ROWS);
        let m: Vec<f32> = (0..n * n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let u: Vec<f32> = (0..n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let e: Vec<f32> = (0..r * n).map(|_| rng.uniform() as f32 - 0.5).collect();
        let mut mt = vec![];
        fill_transposed(&mut mt, n, |j, i| m[j * n + i]);
        let ranges = [
            3..10,
            10..10,
            10..(CHUNK_ROWS + 5),
            (2 * CHUNK_ROWS)..(2 * CHUNK_ROWS + 1),
        ];
        let (mut got, mut g) = (e.clone(), vec![0f32; r]);
        transform_row_ranges(&mut got, &mut g, n, &mt, &u, &ranges);
        let (mut all, mut g_all) = (e.clone(), vec![0f32; r]);
        transform_rows(&mut all, &mut g_all, n, &mt, &u);
        for c in 0..r {
            let inside = ranges.iter().any(|q| q.contains(&c));
            let want = if inside { &all } else { &e };
            assert_eq!(
                &got[c * n..(c + 1) * n],
                &want[c * n..(c + 1) * n],
                "row {c}"
            );
            assert_eq!(g[c], if inside { g_all[c] } else { 0.0 }, "row {c}");
        }
        let r = std::panic::catch_unwind(|| {
            let (mut e, mut g) = (vec![0f32; 4 * n], vec![0f32; 4]);
            transform_row_ranges(&mut e, &mut g, n, &mt, &u, &[2..3, 1..2]);
        });
        assert!(r.is_err(), "ranges out of order are refused");
    }

    #[test]
    fn refuses_mismatched_sizes() {
        let mut mt = vec![];
        fill_transposed(&mut mt, 3, |_, _| 1.0);
        let r = std::panic::catch_unwind(|| {
            let (mut e, mut g) = (vec![0f32; 7], vec![0f32; 2]);
            transform_rows(&mut e, &mut g, 3, &mt, &[0.0; 3]);
        });
        assert!(r.is_err());
    }
}
