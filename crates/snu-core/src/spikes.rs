//! Spike matrices kept as bits: one bit per (row, unit), each row starting on a fresh 64-bit
//! word so that rows can be written from different threads. 32 times smaller than `f32`, and
//! the set bits are exactly the events the event-driven products iterate over.

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
        self.rows = rows;
        self.cols = cols;
        self.words_per_row = cols.div_ceil(64);
        self.bits.clear();
        self.bits.resize(rows * self.words_per_row, 0);
    }

    /// Packs a `rows x cols` matrix of 0s and 1s; returns false (leaving `self` unspecified)
    /// as soon as a value is neither.
    pub fn pack(&mut self, values: &[f32], rows: usize, cols: usize) -> bool {
        self.reset(rows, cols);
        for (r, row) in values.chunks_exact(cols).take(rows).enumerate() {
            let words = &mut self.bits[r * self.words_per_row..(r + 1) * self.words_per_row];
            for (w, chunk) in words.iter_mut().zip(row.chunks(64)) {
                // Branch-free so it vectorises: the bits of the ones, and a flag for other values.
                let (mut word, mut other) = (0u64, false);
                for (j, &v) in chunk.iter().enumerate() {
                    word |= ((v == 1.0) as u64) << j;
                    other |= (v != 0.0) & (v != 1.0);
                }
                if other {
                    return false;
                }
                *w = word;
            }
        }
        true
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
        for (r, row) in out.chunks_exact_mut(self.cols).take(self.rows).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.get(r, j) as u8 as f32;
            }
        }
    }

    /// All words, row after row (`words_per_row` each), for writers that own disjoint rows.
    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_and_density() {
        let (rows, cols) = (3, 70);
        let values: Vec<f32> = (0..rows * cols).map(|i| ((i * 7) % 5 == 0) as u8 as f32).collect();
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
    }
}
