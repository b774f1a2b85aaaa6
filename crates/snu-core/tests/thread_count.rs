//! `start_pool` sets the size of rayon's global pool once, before its first use; later calls
//! are refused with the running size. One test in its own binary: the pool is per process.

use rayon::prelude::*;
use snu_core::kernels::pool::{on_pool, start_pool, thread_count};

#[test]
fn the_pool_starts_with_the_count_asked_for_and_then_refuses_changes() {
    let err = start_pool(0).expect_err("zero threads accepted");
    assert!(err.0.contains("at least 1"), "{err}");

    // Three threads on any machine: neither the core count nor RAYON_NUM_THREADS decides.
    start_pool(3).expect("the pool had not started yet");
    assert_eq!(thread_count(), 3);
    let workers: std::collections::HashSet<usize> = on_pool(|| {
        (0..3000)
            .into_par_iter()
            .map(|_| rayon::current_thread_index().unwrap())
            .collect()
    });
    assert!(
        workers.iter().all(|&w| w < 3),
        "a worker index >= 3: {workers:?}"
    );

    let err = start_pool(2).expect_err("a running pool was resized");
    assert!(err.0.contains("already runs on 3 threads"), "{err}");
    assert_eq!(thread_count(), 3);
}
