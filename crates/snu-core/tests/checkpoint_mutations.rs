//! Mutated, truncated and re-sealed checkpoints: `load` never panics, never allocates more than
//! a bound proportional to the file's size, and either loads or returns an error.
//!
//! The allocator of this test binary counts the bytes in use, so the bound is measured, not
//! assumed. The file holds one test, so no other test allocates at the same time.

use proptest::prelude::*;
use snu_core::checkpoint::{fnv1a, load, save};
use snu_core::{Batch, Network};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        IN_USE.fetch_sub(l.size(), Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

/// A small trained network with every kind of state: recurrent and trainable-decay SNU, a tied
/// dense layer after an embedding is not possible with feature inputs, so a plain dense one;
/// dropout, Adam moments.
fn checkpoint() -> Vec<u8> {
    let spec = r#"{"inputSize":3,"layers":[
        {"type":"snu","units":5,"recurrent":true,"trainableDecay":true,"dropout":0.2},
        {"type":"dense","units":2}],"loss":{"kind":"softmaxCrossEntropy"},"seed":3}"#;
    let mut net = Network::from_json(spec).unwrap();
    let x: Vec<f32> = (0..4 * 2 * 3).map(|i| (i % 2) as f32).collect();
    let y = [1.0, 0.0, 0.0, 1.0];
    for _ in 0..2 {
        net.train_step(&Batch::new(&x, &y, 4, 2)).unwrap();
    }
    save(&net)
}

/// Replaces the last 8 bytes with the checksum of the rest: an edited file re-sealed.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() >= 8 {
        let n = bytes.len() - 8;
        let sum = fnv1a(&bytes[..n]);
        bytes[n..].copy_from_slice(&sum.to_le_bytes());
    }
    bytes
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Sets one byte.
    Byte(usize, u8),
    /// Writes a 32-bit value (length and count fields are u32) at an offset.
    Word(usize, u32),
    /// Cuts the file.
    Truncate(usize),
    /// Inserts bytes.
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
        (
            any::<usize>(),
            prop_oneof![Just(u32::MAX), Just(1 << 31), Just(3 << 30), any::<u32>()]
        )
            .prop_map(|(i, w)| Mutation::Word(i, w)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match m {
        Mutation::Byte(i, b) => {
            let i = i % n;
            if i < bytes.len() {
                bytes[i] = *b;
            }
        }
        Mutation::Word(i, w) => {
            let i = i % n;
            if i + 4 <= bytes.len() {
                bytes[i..i + 4].copy_from_slice(&w.to_le_bytes());
            }
        }
        Mutation::Truncate(i) => bytes.truncate(i % n),
        Mutation::Insert(i, b) => {
            let i = i % n;
            bytes.splice(i..i, b.iter().copied());
        }
    }
}

/// Peak bytes allocated by `load` beyond what was in use before it.
fn load_peak(bytes: &[u8]) -> (bool, usize) {
    let before = IN_USE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let ok = std::panic::catch_unwind(|| load(bytes).is_ok()).expect("load panicked");
    (ok, PEAK.load(Relaxed) - before)
}

#[test]
fn mutated_checkpoints_load_or_fail_without_panics_or_unbounded_allocation() {
    let original = checkpoint();
    let (ok, peak) = load_peak(&original);
    assert!(ok);
    // The bound: the network a file can describe holds at most its bytes of weights, which load
    // keeps about five times (the file's values, the weights, their gradients, two moments) plus
    // workspaces of a fixed size; 64 kB covers the spec's parse and the fixed part.
    let bound = |len: usize| 8 * len + (64 << 10);
    assert!(
        peak <= bound(original.len()),
        "{peak} bytes for a valid file of {}",
        original.len()
    );
    // A re-sealed file whose spec claims 40000 x 40000 weights (6.4 GB) is refused from the byte
    // count, with next to nothing allocated.
    let spec_len = u32::from_le_bytes(original[12..16].try_into().unwrap()) as usize;
    let huge =
        r#"{"inputSize":40000,"layers":[{"type":"dense","units":40000}],"loss":{"kind":"mse"}}"#;
    let mut crafted = original[..12].to_vec();
    crafted.extend_from_slice(&(huge.len() as u32).to_le_bytes());
    crafted.extend_from_slice(huge.as_bytes());
    crafted.extend_from_slice(&original[16 + spec_len..]);
    let (ok, peak) = load_peak(&reseal(crafted));
    assert!(!ok && peak < 100 << 10, "{peak} bytes");
    println!("a file claiming 6.4 GB of weights: refused after allocating {peak} bytes");
    // A 1 kB file whose spec-length field claims 3 GB is refused before the spec is read.
    let mut claim = original[..12].to_vec();
    claim.extend_from_slice(&3_000_000_000u32.to_le_bytes());
    claim.resize(1024, b'{');
    let (ok, peak) = load_peak(&reseal(claim));
    assert!(!ok && peak < 100 << 10, "{peak} bytes");
    println!("a 1 kB file whose spec length claims 3 GB: refused after allocating {peak} bytes");
    let (tried, loaded) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let max_ratio = std::sync::Mutex::new(0f64);
    let config = ProptestConfig {
        cases: 20_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(muts in prop::collection::vec(mutation(), 1..4), sealed in any::<bool>())| {
        let mut bytes = original.clone();
        for m in &muts {
            apply(&mut bytes, m);
        }
        if sealed {
            bytes = reseal(bytes);
        }
        let (ok, peak) = load_peak(&bytes);
        tried.fetch_add(1, Relaxed);
        loaded.fetch_add(ok as usize, Relaxed);
        let mut r = max_ratio.lock().unwrap();
        *r = r.max(peak as f64 / bytes.len().max(1) as f64);
        prop_assert!(peak <= bound(bytes.len()), "{peak} bytes allocated for a file of {} bytes ({muts:?}, sealed {sealed})", bytes.len());
    });
    let (tried, loaded) = (tried.into_inner(), loaded.into_inner());
    let max_ratio = max_ratio.into_inner().unwrap();
    println!("checkpoint mutations: {tried} tried, {loaded} loaded, {} refused, 0 panics; peak allocation at most {max_ratio:.1} x the file size", tried - loaded);
    assert!(tried >= 20_000 && loaded < tried);
}
