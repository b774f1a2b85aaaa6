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
