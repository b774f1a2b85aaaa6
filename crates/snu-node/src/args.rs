//! Argument checks: every JS value is converted here, and a bad one becomes an error
//! that names the argument and says what was expected.

use napi::bindgen_prelude::*;
use napi::{JsValue, ValueType};

fn describe(v: &Unknown) -> &'static str {
    match v.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::Function) => "a function",
        Ok(ValueType::BigInt) => "a bigint",
        Ok(ValueType::Object) => "an object",
        _ => "an unsupported value",
    }
}

pub fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

/// A `Float32Array` argument (other typed arrays, plain arrays and buffers are refused).
pub fn float32(v: Unknown, name: &str) -> Result<Float32Array> {
    let is_object = matches!(v.get_type(), Ok(ValueType::Object));
    let converted = if is_object {
        // SAFETY: env and value come from the current call's live scope.
        unsafe { Float32Array::from_napi_value(v.value().env, v.raw()) }.ok()
    } else {
        None
    };
    converted.ok_or_else(|| {
        invalid(format!(
            "{name}: expected a Float32Array, got {}",
            describe(&v)
        ))
    })
}

/// A whole number in `[min, max]`.
pub fn integer(v: Unknown, name: &str, min: u64, max: u64) -> Result<usize> {
    let n = number(v, name)?;
    if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
        return Err(invalid(format!(
            "{name}: expected an integer from {min} to {max}, got {}",
            snu_core::error::js_num(n)
        )));
    }
    Ok(n as usize)
}

/// A finite number.
pub fn number(v: Unknown, name: &str) -> Result<f64> {
    if !matches!(v.get_type(), Ok(ValueType::Number)) {
        return Err(invalid(format!(
            "{name}: expected a number, got {}",
            describe(&v)
        )));
    }
    // SAFETY: the value was just checked to be a number in the current scope.
    let n = unsafe { f64::from_napi_value(v.value().env, v.raw()) }?;
    if !n.is_finite() {
        return Err(invalid(format!(
            "{name}: expected a finite number, got {}",
            snu_core::error::js_num(n)
        )));
    }
    Ok(n)
}

/// A string.
pub fn string(v: Unknown, name: &str) -> Result<String> {
    if !matches!(v.get_type(), Ok(ValueType::String)) {
        return Err(invalid(format!(
            "{name}: expected a string, got {}",
            describe(&v)
        )));
    }
    // SAFETY: the value was just checked to be a string in the current scope.
    unsafe { String::from_napi_value(v.value().env, v.raw()) }
}

/// An optional boolean (`undefined` and `null` mean `false`).
pub fn optional_bool(v: Option<Unknown>, name: &str) -> Result<bool> {
    let Some(v) = v else { return Ok(false) };
    match v.get_type() {
        Ok(ValueType::Undefined) | Ok(ValueType::Null) => Ok(false),
        // SAFETY: checked to be a boolean in the current scope.
        Ok(ValueType::Boolean) => unsafe { bool::from_napi_value(v.value().env, v.raw()) },
        _ => Err(invalid(format!(
            "{name}: expected a boolean, got {}",
            describe(&v)
        ))),
    }
}

/// A `Buffer` or `Uint8Array` of bytes.
pub fn bytes(v: Unknown, name: &str) -> Result<Vec<u8>> {
    let is_object = matches!(v.get_type(), Ok(ValueType::Object));
    // SAFETY: env and value come from the current call's live scope.
    let data = is_object
        .then(|| unsafe { Uint8Array::from_napi_value(v.value().env, v.raw()) }.ok())
        .flatten();
    data.map(|d| d.to_vec()).ok_or_else(|| {
        invalid(format!(
            "{name}: expected a Buffer or Uint8Array, got {}",
            describe(&v)
        ))
    })
}

/// The `steps` and `batch` of a call: whole numbers from 1 to `MAX_DIM`.
pub fn shape(steps: Unknown, batch: Unknown) -> Result<(usize, usize)> {
    let max = snu_core::limits::MAX_DIM as u64;
    Ok((
        integer(steps, "steps", 1, max)?,
        integer(batch, "batch", 1, max)?,
    ))
}
