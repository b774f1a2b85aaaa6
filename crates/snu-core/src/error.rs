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

/// Builds an `Err(Error)` from a format string: `bail!("x: expected {n} values")`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::Error(format!($($arg)*))) };
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
            data[i]
        );
    }
    Ok(())
}
