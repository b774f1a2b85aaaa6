//! Keeps Rust panics and engine errors from crossing into Node as anything but a JS error.

use napi::{Error, Result, Status};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Runs `f`, turning a panic into a JS error instead of aborting the process.
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::new(
                Status::GenericFailure,
                format!("{what}: internal error in snu (please report it): {msg}"),
            ))
        }
    }
}

/// An engine error as a JS error with the engine's message.
pub fn engine(e: snu_core::Error) -> Error {
    Error::new(Status::InvalidArg, e.0)
}

/// Locks the network for a synchronous call, refusing while an async call holds it.
pub fn try_lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Ok(g),
        Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        Err(TryLockError::WouldBlock) => Err(Error::new(
            Status::GenericFailure,
            "Network is busy: an asynchronous call on it has not finished; await it before calling again".to_string(),
        )),
    }
}

/// Locks the network on a worker thread, waiting for earlier async calls.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
