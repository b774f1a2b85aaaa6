//! Event-driven products for spike inputs: only the rows of `W` picked by a spike are added.
//!
//! ```text
//! forward          out[r, :]  = Σ_{i : x[r,i] = 1} W[i, :]          (= X W)
//! weight gradient  dW[i, :]  += Σ_{r : x[r,i] = 1} D[r, :]          (= Xᵀ D)
//! ```
//! Both cost `density · rows · in · n` additions against `rows · in · n` multiply-adds for the
//! dense product. Columns are taken in blocks of `BLOCK`, copied to a contiguous buffer so the
//! block stays in L2 cache while every row streams past it; the 64 running sums of a block
//! live in SIMD registers. The adds are bound by L2 bandwidth (about 10 G adds/s per core here). Each
//! kernel is compiled for several instruction sets and picked at run time (`multiversion`).
//! Every output element is summed in the same order whatever the number of threads.

use crate::kernels::simd::simd_kernel;
use crate::kernels::spikes::SpikeMatrix;
use rayon::prelude::*;

/// Columns per block: 64 floats are four AVX-512 or eight AVX2 registers.
const BLOCK: usize = 64;

/// Below this many additions a product runs on the calling thread (fork-join costs ~10 µs).
const PARALLEL_MIN_WORK: f64 = 2e5;

fn expected_adds(x: &SpikeMatrix, rows: usize, n: usize) -> f64 {
    x.density() * (rows * x.cols() * n) as f64
}

/// `out = X W` for spike rows `X` (`rows x in`) and `W` (`in x n`); `out` is overwritten.
pub fn spikes_times(x: &SpikeMatrix, w: &[f32], n: usize, out: &mut [f32]) {
    let rows = x.rows();
    assert!(w.len() >= x.cols() * n && out.len() >= rows * n);
    let out = &mut out[..rows * n];
    if n == 0 || rows == 0 {
        return;
    }
    if expected_adds(x, rows, n) < PARALLEL_MIN_WORK {
        spikes_times_rows(x, 0, w, n, out);
        return;
    }
    let per_task = rows.div_ceil(4 * rayon::current_num_threads()).max(1);
    out.par_chunks_mut(per_task * n)
        .enumerate()
        .for_each(|(c, part)| spikes_times_rows(x, c * per_task, w, n, part));
}

simd_kernel! {
    /// Rows `first..` of `X W` into `out` (as many rows as `out` holds).
    fn spikes_times_rows(x: &SpikeMatrix, first: usize, w: &[f32], n: usize, out: &mut [f32]) {
        let rows = out.len() / n;
        let k = x.cols();
        let mut packed = vec![0f32; k * BLOCK];
        let mut c0 = 0;
        while c0 < n {
            let width = BLOCK.min(n - c0);
            if width == BLOCK {
                pack_block(w, n, c0, &mut packed);
                for r in 0..rows {
                    let mut acc = [0f32; BLOCK];
                    for_each_spike(x.row(first + r), |i| {
                        let src: &[f32; BLOCK] = packed[i * BLOCK..(i + 1) * BLOCK].try_into().unwrap();
                        for j in 0..BLOCK {
                            acc[j] += src[j];
                        }
                    });
                    out[r * n + c0..r * n + c0 + BLOCK].copy_from_slice(&acc);
                }
            } else {
                for r in 0..rows {
                    let dst = &mut out[r * n + c0..r * n + c0 + width];
                    dst.fill(0.0);
                    for_each_spike(x.row(first + r), |i| {
                        dst.iter_mut()
                            .zip(&w[i * n + c0..i * n + c0 + width])
                            .for_each(|(d, s)| *d += s);
                    });
                }
            }
            c0 += width;
        }
    }
}

/// Copies columns `c0..c0 + BLOCK` of `w` (`k x n`) into a contiguous `k x BLOCK` block. A
/// strided block would map its rows onto few cache sets whenever `n` is a power of two.
#[inline(always)]
fn pack_block(w: &[f32], n: usize, c0: usize, packed: &mut [f32]) {
    for (i, dst) in packed.chunks_exact_mut(BLOCK).enumerate() {
        dst.copy_from_slice(&w[i * n + c0..i * n + c0 + BLOCK]);
    }
}

/// `dw += Xᵀ D` for spike rows `first..first + rows` of `X` and `D` (`rows x n`); `dw` is `in x n`.
pub fn spikes_t_times(
    x: &SpikeMatrix,
    first: usize,
    rows: usize,
    d: &[f32],
    n: usize,
    dw: &mut [f32],
) {
    let inputs = x.cols();
    assert!(first + rows <= x.rows() && d.len() >= rows * n && dw.len() >= inputs * n);
    let dw = &mut dw[..inputs * n];
    if n == 0 || rows == 0 || inputs == 0 {
        return;
    }
    if expected_adds(x, rows, n) < PARALLEL_MIN_WORK {
        spikes_t_times_words(x, first, rows, 0, d, n, dw);
        return;
    }
    // Each task owns whole 64-input words, so it owns its rows of dW outright.
    let words = x.words_per_row();
    let words_per_task = words.div_ceil(2 * rayon::current_num_threads()).max(1);
    dw.par_chunks_mut(words_per_task * 64 * n)
        .enumerate()
        .for_each(|(c, part)| spikes_t_times_words(x, first, rows, c * words_per_task, d, n, part));
}

simd_kernel! {
    /// Rows `word0 * 64..` of `dW` (as many as `dw` holds) for the words starting at `word0`.
    fn spikes_t_times_words(
        x: &SpikeMatrix,
        first: usize,
        rows: usize,
        word0: usize,
        d: &[f32],
        n: usize,
        dw: &mut [f32],
    ) {
        let my_inputs = dw.len() / n;
        let my_words = my_inputs.div_ceil(64);
        // The block of dW being summed, contiguous (see `pack_block`).
        let mut packed = vec![0f32; my_inputs * BLOCK];
        let mut c0 = 0;
        while c0 < n {
            let width = BLOCK.min(n - c0);
            if width == BLOCK {
                packed.fill(0.0);
                for r in 0..rows {
                    let src: &[f32; BLOCK] = d[r * n + c0..r * n + c0 + BLOCK].try_into().unwrap();
                    for_each_spike(&x.row(first + r)[word0..word0 + my_words], |i| {
                        let dst: &mut [f32; BLOCK] = (&mut packed[i * BLOCK..(i + 1) * BLOCK])
                            .try_into()
                            .unwrap();
                        for j in 0..BLOCK {
                            dst[j] += src[j];
                        }
                    });
                }
                for (i, block) in packed.chunks_exact(BLOCK).enumerate() {
                    dw[i * n + c0..i * n + c0 + BLOCK]
                        .iter_mut()
                        .zip(block)
                        .for_each(|(g, v)| *g += v);
                }
            } else {
                for r in 0..rows {
                    let src = &d[r * n + c0..r * n + c0 + width];
                    for_each_spike(&x.row(first + r)[word0..word0 + my_words], |i| {
                        dw[i * n + c0..i * n + c0 + width]
                            .iter_mut()
                            .zip(src)
                            .for_each(|(g, s)| *g += s);
                    });
                }
            }
            c0 += width;
        }
    }
}

/// Calls `f(i)` for every set bit `i` of the words, in increasing order.
#[inline(always)]
pub fn for_each_spike(words: &[u64], mut f: impl FnMut(usize)) {
    for (k, &word) in words.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            f(k * 64 + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::linalg::{gemm, Mat};

    fn spikes(rows: usize, cols: usize, density: f64, seed: u64) -> (Vec<f32>, SpikeMatrix) {
        let mut rng = crate::kernels::rng::Rng::new(seed);
        let v: Vec<f32> = (0..rows * cols)
            .map(|_| ((rng.uniform()) < density) as u8 as f32)
            .collect();
        let mut m = SpikeMatrix::default();
        assert!(m.pack(&v, rows, cols));
        (v, m)
    }

    #[test]
    fn event_driven_products_equal_the_dense_ones() {
        // Shapes around the block width, with and without threads (work above and below the threshold).
        for &(rows, k, n, density) in &[
            (7, 70, 5, 0.3),
            (33, 130, 64, 0.2),
            (50, 200, 150, 0.5),
            (300, 257, 200, 0.1),
        ] {
            let (xv, x) = spikes(rows, k, density, rows as u64);
            let w: Vec<f32> = (0..k * n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect();
            let mut want = vec![0f32; rows * n];
            gemm(
                1.0,
                Mat::new(&xv, rows, k),
                false,
                Mat::new(&w, k, n),
                false,
                0.0,
                &mut want,
            );
            let mut got = vec![7f32; rows * n];
            spikes_times(&x, &w, n, &mut got);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-4, "forward {rows}x{k}x{n}: {a} vs {b}");
            }
            // Weight gradient over rows 1..rows of X (an offset window, as dH uses).
            let d: Vec<f32> = (0..(rows - 1) * n)
                .map(|i| ((i * 13 % 29) as f32 - 14.0) / 7.0)
                .collect();
            let mut want = vec![0.5f32; k * n];
            gemm(
                1.0,
                Mat::new(&xv[k..], rows - 1, k),
                true,
                Mat::new(&d, rows - 1, n),
                false,
                1.0,
                &mut want,
            );
            let mut got = vec![0.5f32; k * n];
            spikes_t_times(&x, 1, rows - 1, &d, n, &mut got);
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() < 1e-3,
                    "weight gradient {rows}x{k}x{n}: {a} vs {b}"
                );
            }
        }
    }
}
