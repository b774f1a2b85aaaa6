//! `on_pool` runs a call on a worker of rayon's pool (where the call's parallel loops are
//! local jobs), returns its result, and hands a panic back to the caller.

use rayon::prelude::*;
use snu_core::kernels::pool::on_pool;

#[test]
fn the_call_runs_on_a_pool_thread_and_returns_its_result() {
    assert!(
        rayon::current_thread_index().is_none(),
        "the test starts outside the pool"
    );
    let (index, sum) = on_pool(|| {
        let index = rayon::current_thread_index();
        // Nested parallel work from inside still completes.
        let sum: u64 = (0..1000u64).into_par_iter().sum();
        (index, sum)
    });
    assert!(index.is_some(), "ran on the caller's thread");
    assert_eq!(sum, 999 * 1000 / 2);
    // Already on a worker: runs there directly.
    let inner = on_pool(|| on_pool(rayon::current_thread_index));
    assert!(inner.is_some());
}

#[test]
fn a_panic_in_the_call_reaches_the_caller() {
    let caught = std::panic::catch_unwind(|| on_pool(|| panic!("boom")));
    let payload = caught.expect_err("the panic was lost");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
}
