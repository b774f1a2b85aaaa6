//! One error type for the engine: a message that names the argument and what was expected.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// The panic payload of an allocation the machine refuses in the middle of a computation
/// (`resize_or_oom`, where a layer sizes its buffers for a call and no `Result` can be
/// returned): Rust would abort the whole process. `Network`'s entry points catch it and return
/// an error that says what happened (the binding's guard does too, for any other path). It is
/// raised by `resume_unwind`, which skips the panic hook: nothing is printed for an error the
/// caller receives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutOfMemory {
    pub bytes: u128,
}

/// `buf.resize(len, fill)`, growing fallibly: where the machine refuses the memory, this
/// panics with `OutOfMemory` (which `Network`'s entry points turn into an error) instead of
/// aborting the process as `resize` would. For the buffers whose size grows with a call's
/// steps and batch.
pub(crate) fn resize_or_oom<T: Clone>(buf: &mut Vec<T>, len: usize, fill: T) {
    reserve_or_oom(buf, len);
    buf.resize(len, fill);
}

/// Room for `len` values in `buf` (for a buffer then filled by `extend`), reserved as
/// `resize_or_oom` does.
pub(crate) fn reserve_or_oom<T>(buf: &mut Vec<T>, len: usize) {
    if len > buf.capacity() && buf.try_reserve_exact(len - buf.len()).is_err() {
        std::panic::resume_unwind(Box::new(OutOfMemory {
            bytes: len as u128 * std::mem::size_of::<T>() as u128,
        }));
    }
}

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not enough memory: a buffer of {} bytes ({:.1} GiB) for the call could not be allocated; use fewer steps or a smaller batch per call",
            self.bytes,
            self.bytes as f64 / (1u64 << 30) as f64
        )
    }
}

/// Builds an `Err(Error)` from a format string: `bail!("x: expected {n} values")`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::Error(format!($($arg)*))) };
}

/// A number as a JavaScript user reads it in a message: `NaN`, `Infinity`, `-Infinity`, `3`,
/// `0.5`, `3.85e-69` (Rust's Display would print `inf`, and every digit of `3.85e-69`).
pub fn js_num(v: impl Into<f64>) -> String {
    let v = v.into();
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        // Debug is the shortest round-trip form, with an exponent for very large or small values.
        let s = format!("{v:?}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    }
}

/// Checks that a slice has the expected length and holds only finite values.
pub fn check_finite(name: &str, data: &[f32], expected_len: usize, shape: &str) -> Result<()> {
    if data.len() != expected_len {
        bail!(
            "{name}: expected {expected_len} values ({shape}), got {}",
            data.len()
        );
    }
    // The fast scan first (it vectorises); the position only when something is wrong.
    if data.iter().fold(true, |ok, v| ok & v.is_finite()) {
        return Ok(());
    }
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        bail!(
            "{name}: value at index {i} is {}, expected a finite number",
            js_num(data[i])
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::js_num;

    #[test]
    fn numbers_read_as_in_javascript() {
        let cases: [(f64, &str); 8] = [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (3.0, "3"),
            (-0.5, "-0.5"),
            (3.8514421308835693e-69, "3.8514421308835693e-69"),
            (1e21, "1e21"),
            (255.0, "255"),
        ];
        for (v, s) in cases {
            assert_eq!(js_num(v), s);
        }
        assert_eq!(js_num(f32::INFINITY), "Infinity");
    }
}
