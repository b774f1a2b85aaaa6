//! Times one OSTL training pass of the OSTL authors' JSB network (88-150-88 with a recurrent
//! sSNU layer, `configs/jsb-ssnu-ostl-recurrent.json`) on one chorale-like sequence, against
//! BPTT on the same batch:
//!
//!     cargo run --release -p snu-core --example ostl_recurrent_timing [steps] [keys]
//!
//! The inputs are JSB-like: up to 4 of 88 keys on per step, drawn from `keys` of them (default
//! 26, a chorale's mean number of distinct keys; 88 for all), so that the traces of the keys
//! never played stay zero as they do in real chorales.
use snu_core::kernels::rng::Rng;
use snu_core::{Batch, Network, TrainingMethod};

#[path = "common/timing.rs"]
mod timing;
use timing::median_seconds;

fn main() {
    let arg = |i: usize, d: usize| std::env::args().nth(i).map_or(d, |s| s.parse().unwrap());
    let (steps, keys) = (arg(1, 60), arg(2, 26));
    let spec = r#"{"inputSize":88,"layers":[{"type":"snu","units":150,"output":"sigmoid","g":{"kind":"identity"},"decay":0.4,"recurrent":true},{"type":"dense","units":88}],
        "loss":{"kind":"binaryCrossEntropy","fromLogits":true},"readout":"sequence","optimizer":{"kind":"sgd","lr":0.1},"seed":0}"#;
    let mut rng = Rng::new(1);
    let pitches: Vec<usize> = (0..keys).map(|k| k * 88 / keys).collect();
    let mut x = vec![0f32; (steps + 1) * 88];
    for t in 0..=steps {
        for _ in 0..4 {
            let p = pitches[(rng.uniform() * keys as f64) as usize % keys];
            x[t * 88 + p] = 1.0;
        }
    }
    let (inputs, targets) = (&x[..steps * 88], &x[88..]);
    for (name, method) in [
        ("bptt", TrainingMethod::Bptt),
        ("ostl", TrainingMethod::Ostl { update_every: None }),
    ] {
        let mut net = Network::from_json(spec).unwrap();
        net.set_training_method(method).unwrap();
        let mut step = || {
            net.train_step(&Batch::new(inputs, targets, steps, 1))
                .unwrap();
        };
        step();
        let s = median_seconds(if name == "ostl" { 5 } else { 50 }, step);
        println!(
            "{name}: {:.1} ms per sequence of {steps} steps, {:.2} ms per step",
            s * 1e3,
            s * 1e3 / steps as f64
        );
    }
}
