//! Matrix products through `matrixmultiply` (SIMD chosen at run time, threaded).
//!
//! All matrices are row-major `f32` slices. Transposes are expressed through strides,
//! so no product ever copies its operands.

/// A row-major matrix view: `rows x cols`, element (i, j) at `i * cols + j`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

impl<'a> Mat<'a> {
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        debug_assert!(data.len() >= rows * cols);
        Mat { data, rows, cols }
    }
}

/// `C = alpha * op(A) op(B) + beta * C` where `op` optionally transposes.
/// `c` is row-major with `op(A).rows` rows and `op(B).cols` columns.
pub fn gemm(alpha: f32, a: Mat, trans_a: bool, b: Mat, trans_b: bool, beta: f32, c: &mut [f32]) {
    let (m, k, rsa, csa) = if trans_a {
        (a.cols, a.rows, 1, a.cols as isize)
    } else {
        (a.rows, a.cols, a.cols as isize, 1)
    };
    let (kb, n, rsb, csb) = if trans_b {
        (b.cols, b.rows, 1, b.cols as isize)
    } else {
        (b.rows, b.cols, b.cols as isize, 1)
    };
    assert_eq!(k, kb, "inner dimensions differ");
    assert!(c.len() >= m * n, "output too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].iter_mut().for_each(|x| *x *= beta);
        return;
    }
    // SAFETY: the shapes and strides above describe memory inside the slices
    // (asserted lengths), and `c` does not alias `a` or `b` (borrow rules).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            rsa,
            csa,
            b.data.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(a: &[f32], r: usize, c: usize) -> Vec<f32> {
        let mut t = vec![0f32; r * c];
        for i in 0..r {
            for j in 0..c {
                t[j * r + i] = a[i * c + j];
            }
        }
        t
    }

    #[test]
    fn all_transpose_combinations_match_naive() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(&a, &b, m, k, n);
        let at = transpose(&a, m, k);
        let bt = transpose(&b, k, n);
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let am = if ta {
                Mat::new(&at, k, m)
            } else {
                Mat::new(&a, m, k)
            };
            let bm = if tb {
                Mat::new(&bt, n, k)
            } else {
                Mat::new(&b, k, n)
            };
            let mut c = vec![1f32; m * n];
            gemm(1.0, am, ta, bm, tb, 0.0, &mut c);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-5, "{ta} {tb}");
            }
        }
    }
}
