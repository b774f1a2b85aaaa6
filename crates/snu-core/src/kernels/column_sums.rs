//! Column sums of a row-major matrix: the bias gradients `db = Σ_rows dpre`.

use rayon::prelude::*;

/// Columns per parallel task.
const COLUMNS_PER_TASK: usize = 1024;

/// `out[j] += Σ_r m[r * row_len + first + j]` for `j < out.len()`: the sums of columns
/// `first .. first + out.len()` over every row of `m`. Split by columns: each column still sums
/// its rows in order, so the result does not depend on the thread count.
pub fn add_column_sums(m: &[f32], row_len: usize, first: usize, out: &mut [f32]) {
    debug_assert!(first + out.len() <= row_len && m.len().is_multiple_of(row_len));
    out.par_chunks_mut(COLUMNS_PER_TASK)
        .enumerate()
        .for_each(|(i, sums)| {
            let start = first + i * COLUMNS_PER_TASK;
            for row in m.chunks_exact(row_len) {
                sums.iter_mut()
                    .zip(&row[start..])
                    .for_each(|(a, v)| *a += v);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_a_block_of_columns_over_all_rows() {
        // 3 rows of 2500 columns: the sums of columns 7 .. 2407 span three tasks.
        let (rows, len) = (3, 2500);
        let m: Vec<f32> = (0..rows * len).map(|i| (i % 97) as f32 - 40.0).collect();
        let mut out = vec![1.0; 2400];
        add_column_sums(&m, len, 7, &mut out);
        for (j, &s) in out.iter().enumerate() {
            let want: f32 = 1.0 + (0..rows).map(|r| m[r * len + 7 + j]).sum::<f32>();
            assert_eq!(s, want, "column {}", 7 + j);
        }
    }
}
