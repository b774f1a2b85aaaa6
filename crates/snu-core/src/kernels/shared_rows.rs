//! Row access to one buffer from several threads, each owning different rows.
//!
//! The time-major layout interleaves samples: the rows of batch chunk `c` at step `t` are
//! `t*B + b0 .. t*B + b1`, so the chunks of a parallel time loop own rows scattered through
//! the buffer, which safe slice splitting cannot express.

use std::marker::PhantomData;

#[derive(Clone, Copy)]
pub struct SharedRows<'a, T> {
    ptr: *mut T,
    row_len: usize,
    rows: usize,
    _life: PhantomData<&'a mut [T]>,
}

// SAFETY: only hands out rows through the unsafe `rows_mut`, whose callers guarantee that no
// two threads touch the same row.
unsafe impl<T: Send> Send for SharedRows<'_, T> {}
unsafe impl<T: Send> Sync for SharedRows<'_, T> {}

impl<'a, T> SharedRows<'a, T> {
    pub fn new(data: &'a mut [T], row_len: usize) -> Self {
        let rows = data.len().checked_div(row_len).unwrap_or(0);
        SharedRows {
            ptr: data.as_mut_ptr(),
            row_len,
            rows,
            _life: PhantomData,
        }
    }

    /// Rows `first .. first + count`, contiguous.
    ///
    /// # Safety
    /// While the returned slice lives, no other reference to these rows may exist.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn rows_mut(&self, first: usize, count: usize) -> &'a mut [T] {
        assert!(
            first + count <= self.rows,
            "rows {first}+{count} outside {}",
            self.rows
        );
        // SAFETY: the rows are inside the buffer (asserted above) and the caller promises that
        // no other reference to them exists while the slice lives.
        unsafe {
            std::slice::from_raw_parts_mut(self.ptr.add(first * self.row_len), count * self.row_len)
        }
    }
}
