//! Spike matrices kept as bits: one bit per (row, unit), each row starting on a fresh 64-bit
//! word so that rows can be written from different threads. 32 times smaller than `f32`, and
//! the set bits are exactly the events the event-driven products iterate over.

use crate::kernels::simd::simd_kernel;
use rayon::prelude::*;

/// Below this many values a matrix is packed on the calling thread.
const PARALLEL_MIN_VALUES: usize = 1 << 18;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeMatrix {
    rows: usize,
    cols: usize,
    words_per_row: usize,
    bits: Vec<u64>,
}

impl SpikeMatrix {
    /// Reshapes to `rows x cols`, all zero, reusing the allocation.
    pub fn reset(&mut self, rows: usize, cols: usize) {
        // Allocated before the sizes change: a refused allocation leaves the matrix as it was.
        let words_per_row = cols.div_ceil(64);
        crate::error::reserve_or_oom(&mut self.bits, rows * words_per_row);
        self.bits.clear();
        self.bits.resize(rows * words_per_row, 0);
        self.rows = rows;
        self.cols = cols;
        self.words_per_row = words_per_row;
    }

    /// Packs a `rows x cols` matrix of 0s and 1s; returns false (leaving `self` unspecified)
    /// as soon as a value is neither.
    pub fn pack(&mut self, values: &[f32], rows: usize, cols: usize) -> bool {
        self.reset(rows, cols);
        let wpr = self.words_per_row;
        if rows == 0 || wpr == 0 {
            return true;
        }
        // Rows in parallel for large inputs (each task owns whole rows of words).
        let rows_per_task = if rows * cols < PARALLEL_MIN_VALUES {
            rows
        } else {
            rows.div_ceil(2 * rayon::current_num_threads())
        };
        self.bits
            .par_chunks_mut(rows_per_task * wpr)
            .zip(values[..rows * cols].par_chunks(rows_per_task * cols))
            .all(|(words, values)| pack_rows(values, cols, words))
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn words_per_row(&self) -> usize {
        self.words_per_row
    }

    /// The words of row `r`; bit `j % 64` of word `j / 64` is unit `j`.
    #[inline]
    pub fn row(&self, r: usize) -> &[u64] {
        &self.bits[r * self.words_per_row..(r + 1) * self.words_per_row]
    }

    #[inline]
    pub fn get(&self, r: usize, j: usize) -> bool {
        self.bits[r * self.words_per_row + j / 64] >> (j % 64) & 1 == 1
    }

    /// Fraction of set bits.
    pub fn density(&self) -> f64 {
        let ones: u64 = self.bits.iter().map(|w| w.count_ones() as u64).sum();
        ones as f64 / (self.rows * self.cols).max(1) as f64
    }

    /// Writes the matrix as 0.0/1.0 values into `out` (`rows x cols`).
    pub fn unpack(&self, out: &mut [f32]) {
        let (cols, wpr) = (self.cols, self.words_per_row);
        if self.rows == 0 || cols == 0 {
            return;
        }
        let out = &mut out[..self.rows * cols];
        let rows_per_task = if out.len() < PARALLEL_MIN_VALUES {
            self.rows
        } else {
            self.rows.div_ceil(2 * rayon::current_num_threads())
        };
        out.par_chunks_mut(rows_per_task * cols)
            .zip(self.bits.par_chunks(rows_per_task * wpr))
            .for_each(|(out, words)| unpack_rows(words, cols, out));
    }

    /// All words, row after row (`words_per_row` each), for writers that own disjoint rows.
    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.bits
    }
}

simd_kernel! {
    /// Packs whole rows of `values` (`cols` each) into `words`; false if a value is not 0 or 1.
    fn pack_rows(values: &[f32], cols: usize, words: &mut [u64]) -> bool {
        let wpr = cols.div_ceil(64);
        let mut other = false;
        for (row, words) in values.chunks_exact(cols).zip(words.chunks_exact_mut(wpr)) {
            let mut full = row.chunks_exact(64);
            for (w, chunk) in words.iter_mut().zip(&mut full) {
                // Branch-free over a fixed 64 so it becomes vector compares into a bit mask.
                let chunk: &[f32; 64] = chunk.try_into().unwrap();
                let mut word = 0u64;
                for (j, &v) in chunk.iter().enumerate() {
                    word |= ((v == 1.0) as u64) << j;
                    other |= (v != 0.0) & (v != 1.0);
                }
                *w = word;
            }
            if let Some(w) = words.last_mut().filter(|_| !full.remainder().is_empty()) {
                let mut word = 0u64;
                for (j, &v) in full.remainder().iter().enumerate() {
                    word |= ((v == 1.0) as u64) << j;
                    other |= (v != 0.0) & (v != 1.0);
                }
                *w = word;
            }
            if other {
                return false;
            }
        }
        true
    }
}

simd_kernel! {
    /// Writes whole rows of bits (`cols` each) as 0.0/1.0 values.
    fn unpack_rows(words: &[u64], cols: usize, out: &mut [f32]) {
        let wpr = cols.div_ceil(64);
        for (row, words) in out.chunks_exact_mut(cols).zip(words.chunks_exact(wpr)) {
            for (chunk, &word) in row.chunks_mut(64).zip(words) {
                for (j, v) in chunk.iter_mut().enumerate() {
                    *v = (word >> j & 1) as f32;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_and_density() {
        let (rows, cols) = (3, 70);
        let values: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7) % 5 == 0) as u8 as f32)
            .collect();
        let mut m = SpikeMatrix::default();
        assert!(m.pack(&values, rows, cols));
        assert_eq!(m.words_per_row(), 2);
        let mut back = vec![9.0; rows * cols];
        m.unpack(&mut back);
        assert_eq!(back, values);
        let ones = values.iter().filter(|&&v| v == 1.0).count();
        assert!((m.density() - ones as f64 / (rows * cols) as f64).abs() < 1e-12);
        assert!(m.get(0, 0) && !m.get(0, 1));
    }

    #[test]
    fn pack_refuses_values_other_than_zero_and_one() {
        let mut m = SpikeMatrix::default();
        assert!(!m.pack(&[0.0, 1.0, 0.5, 0.0], 2, 2));
        assert!(!m.pack(&[0.0, 2.0], 1, 2));
        assert!(!m.pack(&[0.0, f32::NAN], 1, 2));
    }

    #[test]
    fn large_matrices_pack_and_unpack_in_parallel_exactly() {
        // Above PARALLEL_MIN_VALUES; widths a multiple of 64 and not.
        for (rows, cols) in [(1500, 256), (997, 333)] {
            let values: Vec<f32> = (0..rows * cols)
                .map(|i| ((i * 2654435761usize) >> 7 & 3 == 0) as u8 as f32)
                .collect();
            let mut m = SpikeMatrix::default();
            assert!(m.pack(&values, rows, cols));
            assert!(
                (0..rows).all(|r| (0..cols).all(|j| m.get(r, j) == (values[r * cols + j] == 1.0)))
            );
            let mut back = vec![9.0; rows * cols];
            m.unpack(&mut back);
            assert_eq!(back, values);
            let mut bad = values.clone();
            bad[rows * cols - 1] = 0.5;
            assert!(
                !m.pack(&bad, rows, cols),
                "a bad value in the last row of a {rows}x{cols} matrix"
            );
        }
    }
}
