//! Matrix products: `matrixmultiply`'s kernels (SIMD chosen at run time), one thread per call,
//! with large products split into blocks across rayon's pool.
//!
//! All matrices are row-major `f32` slices. Transposes are expressed through strides,
//! so no product ever copies its operands.
//!
//! Why not matrixmultiply's own threading: it keeps a second pool beside rayon's (on 2 cores, 3
//! busy threads and an idle rayon worker yielding against them), and it stops at 4 threads.
//! Splitting here runs every product on the engine's pool, on all its threads. The blocks cut C
//! along rows or columns, never along `k`, so each element is the same sum of the same products
//! in the same order whatever the split: results do not depend on the thread count.

use rayon::prelude::*;

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

/// Products of fewer multiply-adds than this run on one thread (a split costs microseconds; this
/// is about 30 µs of work).
const PARALLEL_MIN_MULADDS: usize = 1 << 20;
/// Blocks start at multiples of this many rows or columns, so that they cut C along the tile
/// grid of every micro-kernel (tiles of 4 to 16, inside row panels of 64): each element falls in
/// the same kind of tile, full or edge, as without the split, and is rounded the same way.
const BLOCK_ALIGN: usize = 16;

/// An operand as `matrixmultiply` takes it: a pointer and the strides of rows and columns.
#[derive(Clone, Copy)]
struct Strided {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

/// The output: row-major, `rs` floats between rows.
#[derive(Clone, Copy)]
struct Out {
    ptr: *mut f32,
    rs: isize,
}

// SAFETY: the blocks of one product read shared operands and write disjoint parts of C (see
// `gemm`); the pointers are not used after it returns.
unsafe impl Send for Strided {}
unsafe impl Sync for Strided {}
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

/// `C = alpha * op(A) op(B) + beta * C` where `op` optionally transposes.
/// `c` is row-major with `op(A).rows` rows and `op(B).cols` columns. A large product is cut
/// into blocks over the threads.
pub fn gemm(alpha: f32, a: Mat, trans_a: bool, b: Mat, trans_b: bool, beta: f32, c: &mut [f32]) {
    gemm_on(true, alpha, a, trans_a, b, trans_b, beta, c)
}

/// `gemm` on the calling thread only, for callers that already run one product per thread
/// (per image in `conv.rs`): a split there would repack the shared operand in every block.
pub fn gemm_serial(
    alpha: f32,
    a: Mat,
    trans_a: bool,
    b: Mat,
    trans_b: bool,
    beta: f32,
    c: &mut [f32],
) {
    gemm_on(false, alpha, a, trans_a, b, trans_b, beta, c)
}

#[allow(clippy::too_many_arguments)]
fn gemm_on(
    parallel: bool,
    alpha: f32,
    a: Mat,
    trans_a: bool,
    b: Mat,
    trans_b: bool,
    beta: f32,
    c: &mut [f32],
) {
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
    assert!(
        a.data.len() >= a.rows * a.cols && b.data.len() >= b.rows * b.cols,
        "operand too small"
    );
    assert!(c.len() >= m * n, "output too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].iter_mut().for_each(|x| *x *= beta);
        return;
    }
    let a = Strided {
        ptr: a.data.as_ptr(),
        rs: rsa,
        cs: csa,
    };
    let b = Strided {
        ptr: b.data.as_ptr(),
        rs: rsb,
        cs: csb,
    };
    let out = Out {
        ptr: c.as_mut_ptr(),
        rs: n as isize,
    };
    let parts = if parallel && m * k * n >= PARALLEL_MIN_MULADDS {
        rayon::current_num_threads()
    } else {
        1
    };
    // Cut the longer side of C: a row block packs all of B again, a column block all of A.
    let (long, by_rows) = if m >= n { (m, true) } else { (n, false) };
    let block = block_len(long, parts);
    if block >= long {
        // SAFETY: the shapes and strides above describe memory inside the slices
        // (asserted lengths), and `c` does not alias `a` or `b` (borrow rules).
        return unsafe { sgemm(m, k, n, alpha, a, b, beta, out) };
    }
    (0..long.div_ceil(block)).into_par_iter().for_each(|i| {
        // Whole structs, so that the closure captures them (Send) rather than their raw pointers.
        let (a, b, out) = (a, b, out);
        let (start, len) = (i * block, block.min(long - i * block));
        // SAFETY: as above; block i covers rows (or columns) start..start + len of C, which no
        // other block writes, and reads only the matching rows of A (or columns of B).
        unsafe {
            if by_rows {
                let a = Strided {
                    ptr: a.ptr.offset(start as isize * a.rs),
                    ..a
                };
                let out = Out {
                    ptr: out.ptr.offset(start as isize * out.rs),
                    ..out
                };
                sgemm(len, k, n, alpha, a, b, beta, out)
            } else {
                let b = Strided {
                    ptr: b.ptr.offset(start as isize * b.cs),
                    ..b
                };
                let out = Out {
                    ptr: out.ptr.add(start),
                    ..out
                };
                sgemm(m, k, len, alpha, a, b, beta, out)
            }
        }
    });
}

/// The rows (or columns) of each block when `long` of them are shared among `parts` threads.
fn block_len(long: usize, parts: usize) -> usize {
    long.div_ceil(parts).next_multiple_of(BLOCK_ALIGN)
}

/// One single-threaded `matrixmultiply` call on `m x k` by `k x n` into `m x n`.
///
/// # Safety
/// The pointers and strides must describe memory valid for those shapes, and `out` must not
/// overlap `a` or `b`.
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided,
    b: Strided,
    beta: f32,
    out: Out,
) {
    unsafe {
        matrixmultiply::sgemm(
            m, k, n, alpha, a.ptr, a.rs, a.cs, b.ptr, b.rs, b.cs, beta, out.ptr, out.rs, 1,
        )
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

    /// `x` (`rows x cols`) as `gemm` takes it: itself, or its transpose `xt` marked transposed.
    fn operand<'a>(x: &'a [f32], xt: &'a [f32], rows: usize, cols: usize, trans: bool) -> Mat<'a> {
        if trans {
            Mat::new(xt, cols, rows)
        } else {
            Mat::new(x, rows, cols)
        }
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

    /// Products big enough to be split, on a pool of 3 threads, against the same products on
    /// one thread: equal bit for bit, whether C is cut by rows or by columns, for every transpose.
    /// alpha and beta are not powers of two, so that full and edge tiles (which round
    /// `alpha ab + beta c` differently) would differ if a block boundary moved the tile grid.
    #[test]
    fn split_products_equal_the_one_thread_product_bit_for_bit() {
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let (one, three) = (pool(1), pool(3));
        // (m, k, n): rows cut (m >= n), columns cut, short last blocks, and k beyond one
        // 256-deep panel (the second panel adds to C with beta 1).
        for (m, k, n) in [
            (300, 64, 70),
            (20, 200, 700),
            (257, 129, 193),
            (150, 300, 37),
        ] {
            let long = m.max(n);
            assert!(m * k * n >= PARALLEL_MIN_MULADDS);
            assert!(block_len(long, 3) < long, "{m}x{k}x{n} is split");
            let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
            let (at, bt) = (transpose(&a, m, k), transpose(&b, k, n));
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (am, bm) = (operand(&a, &at, m, k, ta), operand(&b, &bt, k, n, tb));
                let run = |p: &rayon::ThreadPool| {
                    let mut c: Vec<f32> = (0..m * n).map(|i| (i % 7) as f32).collect();
                    p.install(|| gemm(0.7, am, ta, bm, tb, 0.3, &mut c));
                    c
                };
                let (c1, c3) = (run(&one), run(&three));
                assert!(
                    c1.iter().zip(&c3).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{m}x{k}x{n} {ta} {tb}"
                );
                let want = naive(&a, &b, m, k, n);
                for (i, (x, w)) in c3.iter().zip(&want).enumerate() {
                    let expect = 0.7 * w + 0.3 * (i % 7) as f32;
                    assert!(
                        (x - expect).abs() < 1e-3 * (1.0 + expect.abs()),
                        "{m}x{k}x{n} {ta} {tb} at {i}"
                    );
                }
            }
        }
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
            let (am, bm) = (operand(&a, &at, m, k, ta), operand(&b, &bt, k, n, tb));
            let mut c = vec![1f32; m * n];
            gemm(1.0, am, ta, bm, tb, 0.0, &mut c);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-5, "{ta} {tb}");
            }
        }
    }
}
