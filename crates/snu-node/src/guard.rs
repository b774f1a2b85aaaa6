//! Keeps Rust panics and engine errors from crossing into Node as anything but a JS error.

use napi::{Error, Result, Status};
use snu_core::error::OutOfMemory;
use snu_core::Network;
use std::ops::{Deref, DerefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

/// Runs `f`, turning a panic into a JS error instead of aborting the process. A refused
/// allocation (`OutOfMemory`) is the machine's limit, not a bug, and says so.
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            if let Some(oom) = payload.downcast_ref::<OutOfMemory>() {
                return Err(Error::new(Status::GenericFailure, format!("{what}: {oom}")));
            }
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

/// A network shared between its JS object and the async tasks queued on it; `None` once
/// `dispose()` has freed it.
pub type Shared = Arc<Mutex<Option<Network>>>;

/// A locked network that has not been disposed.
pub struct Held<'a>(MutexGuard<'a, Option<Network>>);

impl Deref for Held<'_> {
    type Target = Network;
    fn deref(&self) -> &Network {
        // `held` builds a Held only around Some, and dispose() needs the same lock.
        self.0.as_ref().expect("a held network is never disposed")
    }
}

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Network {
        self.0.as_mut().expect("a held network is never disposed")
    }
}

fn held(g: MutexGuard<'_, Option<Network>>) -> Result<Held<'_>> {
    if g.is_none() {
        return Err(Error::new(
            Status::GenericFailure,
            "Network was disposed: its weights are freed; build or load a model again".to_string(),
        ));
    }
    Ok(Held(g))
}

/// Locks the network for a synchronous call, refusing while an async call holds it.
pub fn try_lock_raw<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Ok(g),
        Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        Err(TryLockError::WouldBlock) => Err(Error::new(
            Status::GenericFailure,
            "Network is busy: an asynchronous call on it has not finished; await it before calling again".to_string(),
        )),
    }
}

/// `try_lock_raw`, refusing a disposed network.
pub fn try_lock(m: &Mutex<Option<Network>>) -> Result<Held<'_>> {
    held(try_lock_raw(m)?)
}

/// Locks the network on a worker thread, waiting for earlier async calls; refuses a network
/// disposed while the call was queued.
pub fn lock(m: &Mutex<Option<Network>>) -> Result<Held<'_>> {
    held(m.lock().unwrap_or_else(|p| p.into_inner()))
}
