//! Running a whole call on rayon's pool.
//!
//! A training step runs many small parallel loops (per time step and layer). Started from a
//! thread outside rayon's pool (Node's main thread, libuv's workers), every loop is injected
//! into the pool while the caller sleeps until it is done: thread wake-ups per loop, and idle
//! workers spinning between loops against the caller's serial work. Run on a worker, the
//! same loops are local jobs of that worker.

/// Runs `f` on a thread of rayon's global pool (at once when already on one) and returns its
/// result; a panic in `f` resumes in the caller.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return f();
    }
    // `scope` runs its closure on a worker when called from outside the pool.
    rayon::scope(|_| f())
}

/// The number of threads the engine's parallel loops run on: rayon's global pool, started on
/// first use with `RAYON_NUM_THREADS` threads, or one per core.
pub fn thread_count() -> usize {
    rayon::current_num_threads()
}

/// Starts rayon's global pool with `threads` threads. A pool cannot be resized, so this works
/// only before the first parallel call of the process; afterwards it is an error that names
/// the running pool's size. The matrix products run on this pool too (`linalg`).
pub fn start_pool(threads: usize) -> crate::Result<()> {
    if threads == 0 {
        crate::bail!("threads: expected at least 1, got 0");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|_| {
            crate::error::Error(format!(
                "threads: the engine already runs on {} threads in this process; \
                 the count can only be set before its first training or prediction call",
                rayon::current_num_threads()
            ))
        })
}
