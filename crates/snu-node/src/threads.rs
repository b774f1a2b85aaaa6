//! The engine's thread count (snu-core `pool`): read it, or set it once before the first
//! training or prediction call of the process.

// napi-derive registers the functions only outside `cfg(test)` (see encoders.rs).
#![cfg_attr(test, allow(dead_code))]

use crate::args;
use crate::guard::{engine, guard};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::kernels::pool;
use snu_core::limits::MAX_THREADS;

/// The number of threads the engine computes on. Starts the pool if it is not running yet
/// (with `RAYON_NUM_THREADS` threads, or one per core).
#[napi]
pub fn thread_count() -> Result<u32> {
    // Guarded: starting the pool panics if the system refuses to spawn its threads.
    guard("threadCount", || Ok(pool::thread_count() as u32))
}

/// Starts the engine's pool with `threads` threads; throws if it is already running (a pool
/// cannot be resized).
#[napi]
pub fn start_thread_pool(#[napi(ts_arg_type = "number")] threads: Unknown) -> Result<()> {
    guard("startThreadPool", || {
        let n = args::integer(threads, "threads", 1, MAX_THREADS as u64)?;
        pool::start_pool(n).map_err(engine)
    })
}
