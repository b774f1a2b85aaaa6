//! Checkpoints: `save` then `load` restores the spec, every weight and the optimizer state
//! bit for bit, so training resumes exactly; damaged or foreign files are refused with a
//! message saying what is wrong.

mod common;

use common::*;
use snu_core::checkpoint::{fnv1a, load, save, MAGIC, VERSION};
use snu_core::Batch;
use snu_core::Network;

const STEPS: usize = 5;
const BATCH: usize = 4;

fn model() -> ModelCfg {
    let snu = LayerCfg::Snu(SnuCfg {
        recurrent: true,
        trainable_decay: true,
        ..SnuCfg::snu(6)
    });
    ModelCfg {
        seed: 42,
        ..ModelCfg::new(
            3,
            vec![snu, dense(2, Act::None)],
            Readout::Sum,
            Loss::SoftmaxCe,
        )
    }
}

fn batch(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let x = rng.vec(STEPS * BATCH * 3, 0.0, 1.5);
    (x, model().random_target(&mut rng, STEPS, BATCH))
}

/// A network after a few Adam steps: nonzero moments and step count.
fn trained() -> Network {
    let mut net = model().build();
    for i in 0..3 {
        let (x, t) = batch(i);
        net.train_step(&Batch::new(&x, &t, STEPS, BATCH))
            .map(|r| r.loss)
            .unwrap();
    }
    net
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same_state(a: &Network, b: &Network) {
    assert_eq!(a.spec, b.spec);
    assert_eq!(a.param_names(), b.param_names());
    for (p, q) in a.params().iter().zip(b.params()) {
        assert_eq!(p.shape, q.shape, "{}", p.name);
        assert_eq!(bits(&p.value), bits(&q.value), "{} differs", p.name);
    }
    assert_eq!(a.optimizer.step, b.optimizer.step);
    assert_eq!(a.optimizer.spec, b.optimizer.spec);
    assert_eq!(a.optimizer.m.len(), b.optimizer.m.len());
    for (x, y) in a
        .optimizer
        .m
        .iter()
        .zip(&b.optimizer.m)
        .chain(a.optimizer.v.iter().zip(&b.optimizer.v))
    {
        assert_eq!(bits(x), bits(y), "optimizer moments differ");
    }
}

#[test]
fn save_then_load_is_bit_exact_and_training_resumes_identically() {
    let mut original = trained();
    assert!(original.optimizer.step == 3 && !original.optimizer.m.is_empty());
    let bytes = save(&original);
    let mut restored = load(&bytes).unwrap();
    assert_same_state(&original, &restored);
    // Saving the restored network gives the same file.
    assert_eq!(save(&restored), bytes);

    // One more step on both: identical weights (Adam's moments and bias correction restored).
    let (x, t) = batch(99);
    let la = original
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    let lb = restored
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    assert_eq!(la.to_bits(), lb.to_bits());
    assert_same_state(&original, &restored);

    // The step really moved the weights (so the comparison above compared something).
    let before = load(&bytes).unwrap();
    assert_ne!(
        bits(&before.param("snu_0.W").unwrap().value),
        bits(&original.param("snu_0.W").unwrap().value)
    );
}

#[test]
fn an_untrained_network_round_trips_without_optimizer_state() {
    let net = model().build();
    let restored = load(&save(&net)).unwrap();
    assert_same_state(&net, &restored);
    assert!(restored.optimizer.m.is_empty() && restored.optimizer.step == 0);
}

fn error_of(bytes: &[u8]) -> String {
    match load(bytes) {
        Ok(_) => panic!("a damaged checkpoint of {} bytes was accepted", bytes.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_truncated_file_is_refused() {
    let bytes = save(&trained());
    // Cut at many places: inside the header, the spec, the weights, the moments, the checksum.
    for len in [
        0,
        4,
        10,
        15,
        40,
        bytes.len() / 2,
        bytes.len() - 9,
        bytes.len() - 1,
    ] {
        let msg = error_of(&bytes[..len]);
        assert!(msg.starts_with("checkpoint:"), "{len}: {msg}");
        let clear = msg.contains("truncated")
            || msg.contains("corrupt")
            || msg.contains("not an snu checkpoint");
        assert!(clear, "cut at {len}: unclear message {msg:?}");
    }
}

#[test]
fn a_flipped_bit_anywhere_after_the_header_is_refused() {
    let bytes = save(&trained());
    // Every byte position past magic and version, one bit each (cycling through the 8 bits).
    for pos in 12..bytes.len() {
        let mut bad = bytes.clone();
        bad[pos] ^= 1 << (pos % 8);
        let msg = error_of(&bad);
        assert!(
            msg.contains("checksum mismatch") && msg.contains("corrupt"),
            "byte {pos}: {msg}"
        );
    }
}

#[test]
fn a_foreign_file_is_refused() {
    let bytes = save(&trained());
    let mut foreign = bytes.clone();
    foreign[..8].copy_from_slice(b"GGUF\0\0\0\0");
    let msg = error_of(&foreign);
    assert!(msg.contains("not an snu checkpoint"), "{msg}");
    assert!(error_of(b"{\"inputSize\": 3}").contains("not an snu checkpoint"));
    assert!(error_of(b"").contains("not an snu checkpoint"));
}

#[test]
fn a_file_of_another_version_is_refused() {
    let mut bytes = save(&trained());
    // A well-formed file from a future version: valid checksum, only the version differs.
    bytes[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    let n = bytes.len();
    let sum = fnv1a(&bytes[..n - 8]);
    bytes[n - 8..].copy_from_slice(&sum.to_le_bytes());
    assert_eq!(&bytes[..8], MAGIC);
    let msg = error_of(&bytes);
    assert!(
        msg.contains(&format!("version {}", VERSION + 1)) && msg.contains("not supported"),
        "{msg}"
    );
}

#[test]
fn a_consistent_file_whose_contents_contradict_its_spec_is_refused() {
    // Rewrite the spec inside an otherwise valid file (fixed checksum) so that it declares
    // other layer sizes than the weights that follow.
    let net = trained();
    let bytes = save(&net);
    let spec_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let spec = std::str::from_utf8(&bytes[16..16 + spec_len]).unwrap();
    let other = spec.replacen("\"units\":6", "\"units\":7", 1);
    assert_ne!(spec, other);
    let mut bad = bytes[..12].to_vec();
    bad.extend_from_slice(&(other.len() as u32).to_le_bytes());
    bad.extend_from_slice(other.as_bytes());
    bad.extend_from_slice(&bytes[16 + spec_len..bytes.len() - 8]);
    let sum = fnv1a(&bad);
    bad.extend_from_slice(&sum.to_le_bytes());
    let msg = error_of(&bad);
    assert!(
        msg.starts_with("checkpoint:") && msg.contains("expected"),
        "{msg}"
    );
}

/// 3 inputs -> SNU 6 -> dense 2 with dropout 0.5 on both inputs: every step draws masks.
fn dropout_network() -> Network {
    let spec = r#"{"inputSize":3,"layers":[
        {"type":"snu","units":6,"recurrent":true,"dropout":0.5},
        {"type":"dense","units":2,"dropout":0.5}],
      "readout":"sum","loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.01},"seed":5}"#;
    Network::new(snu_core::spec::ModelSpec::from_json(spec).unwrap()).unwrap()
}

#[test]
fn dropout_masks_resume_where_they_stopped() {
    let mut original = dropout_network();
    for i in 0..3 {
        let (x, t) = batch(i);
        original
            .train_step(&Batch::new(&x, &t, STEPS, BATCH))
            .map(|r| r.loss)
            .unwrap();
    }
    let bytes = save(&original);
    let mut restored = load(&bytes).unwrap();
    // A network started afresh from the same weights: its masks restart from the seed.
    let mut restarted = load(&bytes).unwrap();
    restarted.set_dropout_seed(5 ^ 0xd0d0_d0d0_d0d0_d0d0);
    let (x, t) = batch(99);
    let la = original
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    let lb = restored
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    let lc = restarted
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    assert_eq!(
        la.to_bits(),
        lb.to_bits(),
        "the restored network drew other masks"
    );
    assert_same_state(&original, &restored);
    // The comparison means something: other masks give another loss.
    assert_ne!(la.to_bits(), lc.to_bits());
}

/// `bytes` rewritten as format version 1: no dropout state, version 1, checksum redone.
fn as_version_1(bytes: &[u8]) -> Vec<u8> {
    let n = bytes.len();
    let mut old = bytes[..n - 8 - 32].to_vec();
    old[8..12].copy_from_slice(&1u32.to_le_bytes());
    let sum = fnv1a(&old);
    old.extend_from_slice(&sum.to_le_bytes());
    old
}

#[test]
fn a_version_1_file_still_loads_with_masks_from_the_seed() {
    let original = trained();
    let restored = load(&as_version_1(&save(&original))).unwrap();
    assert_same_state(&original, &restored);
    // Its masks start from the spec's seed, as a new network's do.
    let mut from_v1 = load(&as_version_1(&save(&dropout_network()))).unwrap();
    let mut fresh = dropout_network();
    let (x, t) = batch(7);
    let la = from_v1
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    let lb = fresh
        .train_step(&Batch::new(&x, &t, STEPS, BATCH))
        .map(|r| r.loss)
        .unwrap();
    assert_eq!(la.to_bits(), lb.to_bits());
}

#[test]
fn an_all_zero_dropout_state_is_refused() {
    let mut bytes = save(&trained());
    let n = bytes.len();
    bytes[n - 8 - 32..n - 8].fill(0);
    let sum = fnv1a(&bytes[..n - 8]);
    bytes[n - 8..].copy_from_slice(&sum.to_le_bytes());
    let msg = error_of(&bytes);
    assert!(msg.contains("dropout generator state"), "{msg}");
}

/// `bytes` with its spec replaced by `spec` and the checksum recomputed: an edited, re-sealed file.
fn with_spec(bytes: &[u8], spec: &str) -> Vec<u8> {
    let spec_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(spec.len() as u32).to_le_bytes());
    out.extend_from_slice(spec.as_bytes());
    out.extend_from_slice(&bytes[16 + spec_len..bytes.len() - 8]);
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

#[test]
fn a_spec_claiming_more_weights_than_the_file_holds_is_refused_before_allocating() {
    // A re-sealed file of a few hundred bytes whose spec asks for 40000 x 40000 weights
    // (6.4 GB): refused from the byte count, not by running out of memory.
    let bytes = save(&trained());
    let huge =
        r#"{"inputSize":40000,"layers":[{"type":"dense","units":40000}],"loss":{"kind":"mse"}}"#;
    let bad = with_spec(&bytes, huge);
    assert!(bad.len() < 4096, "{}", bad.len());
    let msg = error_of(&bad);
    assert!(
        msg.contains("1600040000 parameter values (6400160000 bytes)")
            && msg.contains("bytes follow the spec"),
        "{msg}"
    );
}

#[test]
fn non_finite_weights_or_moments_in_a_resealed_file_are_refused_naming_them() {
    let net = trained();
    let bytes = save(&net);
    let spec_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    // The first parameter's values start after its count, name and shape.
    let first = &net.store.params[0];
    let values_at = 16 + spec_len + 4 + 4 + first.name.len() + 4 + 8 * first.shape.len();
    for (at, what) in [
        (values_at + 4 * 3, first.name.clone()),
        (bytes.len() - 8 - 32 - 4, "second moment".to_string()),
    ] {
        for bad_value in [f32::NAN, f32::INFINITY] {
            let mut bad = bytes[..bytes.len() - 8].to_vec();
            bad[at..at + 4].copy_from_slice(&bad_value.to_le_bytes());
            let sum = fnv1a(&bad);
            bad.extend_from_slice(&sum.to_le_bytes());
            let msg = error_of(&bad);
            assert!(msg.contains(&what) && msg.contains("non-finite"), "{msg}");
        }
    }
    // The untouched file still loads.
    assert!(load(&bytes).is_ok());
}
