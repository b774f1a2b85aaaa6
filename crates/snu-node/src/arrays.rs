//! Arrays returned to JavaScript as copies that V8 allocates and owns.
//!
//! napi's `Float32Array::new(vec)` and `Buffer::from(vec)` hand JS the Rust allocation as an
//! external buffer, freed by a finalizer that Node runs only when the event loop turns: a
//! synchronous loop of calls (`predict` over a test set, `getWeights` in a loop) then holds every
//! result it ever made, gigabytes after a few thousand calls. A V8-owned copy is freed by the
//! garbage collector itself, which also knows its size. The copy costs one memcpy of the result.

use napi::bindgen_prelude::*;
use napi::sys;

/// `Float32Array` in JS: a V8-owned copy of the values.
pub struct F32s(pub Vec<f32>);

impl TypeName for F32s {
    fn type_name() -> &'static str {
        "Float32Array"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for F32s {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let copy = Float32ArraySlice::copy_from(&env, &val.0)?;
        // SAFETY: the env is the live one of this conversion.
        unsafe { ToNapiValue::to_napi_value(env.raw(), copy) }
    }
}

/// `Buffer` in JS: a V8-owned copy of the bytes.
pub struct Bytes(pub Vec<u8>);

impl TypeName for Bytes {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Bytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let copy = BufferSlice::copy_from(&env, &val.0)?;
        // SAFETY: the env is the live one of this conversion.
        unsafe { ToNapiValue::to_napi_value(env.raw(), copy) }
    }
}
