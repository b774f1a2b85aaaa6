//! Times the training step of benchmark workload (a) in Rust alone, for each product path:
//!     cargo run --release -p snu-core --example train_step_timing [auto|dense|event]
use snu_core::kernels::rng::Rng;
use snu_core::layers::product::ProductPath;
use snu_core::Batch;
use snu_core::Network;

#[path = "common/timing.rs"]
mod timing;
use timing::median_seconds;

fn main() {
    let spec = r#"{"inputSize":784,"layers":[{"type":"snu","units":256,"decay":0.8},{"type":"snu","units":256,"decay":0.8},{"type":"snu","units":10,"decay":0.8}],
        "loss":{"kind":"softmaxCrossEntropy"},"readout":"sum","optimizer":{"kind":"adam","lr":0.001},"seed":1}"#;
    let (steps, batch) = (20, 64);
    let mut rng = Rng::new(1);
    let x: Vec<f32> = (0..steps * batch * 784)
        .map(|_| (rng.uniform() < 0.2) as u8 as f32)
        .collect();
    let mut y = vec![0f32; batch * 10];
    (0..batch).for_each(|b| y[b * 10 + b % 10] = 1.0);
    let only = std::env::args().nth(1);
    for (name, path) in [
        ("auto", ProductPath::Auto),
        ("dense", ProductPath::Dense),
        ("event", ProductPath::EventDriven),
    ] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let mut net = Network::from_json(spec).unwrap();
        net.set_product_path(path);
        net.train_step(&Batch::new(&x, &y, steps, batch))
            .map(|r| r.loss)
            .unwrap();
        let density: Vec<String> = net
            .layer_outputs()
            .iter()
            .map(|o| format!("{:.3}", o.iter().sum::<f32>() / o.len() as f32))
            .collect();
        let train = median_seconds(60, || {
            net.train_step(&Batch::new(&x, &y, steps, batch))
                .map(|r| r.loss)
                .unwrap();
        });
        let fwd = median_seconds(60, || {
            net.forward(&Batch::inputs(&x, steps, batch)).unwrap();
        });
        println!("{path:?}: train step {:.2} ms ({:.0} samples/s), forward {:.2} ms; spike densities {density:?}", train * 1e3, batch as f64 / train, fwd * 1e3);
    }
}
