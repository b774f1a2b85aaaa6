//! Times the training step of benchmark workload (e), the MNIST conv network, in Rust alone (and of
//! the same network with the sSNU unit of configs/mnist-conv.json), and
//! the dense convolution kernels on its second convolution's shapes:
//!     cargo run --release -p snu-core --example conv_step_timing [name]
//! A name (`sSNU`, `workload e`, `kernels`) times only the parts whose name holds it, for a
//! profiler.
use snu_core::kernels::conv::{conv_forward, conv_input_grad, conv_weight_grad, ConvGeometry};
use snu_core::kernels::rng::Rng;
use snu_core::Batch;
use snu_core::Network;

#[path = "common/timing.rs"]
mod timing;
use timing::median_seconds;

fn main() {
    let (steps, batch) = (30, 64);
    let mut rng = Rng::new(1);
    let x: Vec<f32> = (0..steps * batch * 784)
        .map(|_| (rng.uniform() < 0.13) as u8 as f32)
        .collect();
    let mut y = vec![0f32; batch * 10];
    (0..batch).for_each(|b| y[b * 10 + b % 10] = 1.0);
    // The unit of workload (e) in benchmarks/workloads.json (spiking), and that of
    // configs/mnist-conv.json (sSNU: sigmoid outputs, g identity, dropout into the dense layer).
    let networks = [
        ("workload e", r#""decay":0.8,"initialBias":-0.2"#, ""),
        (
            "mnist-conv (sSNU)",
            r#""decay":0.8,"output":"sigmoid","g":{"kind":"identity"}"#,
            r#""dropout":0.2,"#,
        ),
    ];
    let only = std::env::args().nth(1).unwrap_or_default();
    for (name, unit, dropout) in networks.into_iter().filter(|n| n.0.contains(&only)) {
        let spec = format!(
            r#"{{"inputSize":784,"inputShape":[1,28,28],"layers":[
            {{"type":"snuConv2d","filters":16,"kernelSize":[5,5],"padding":[2,2],{unit}}},{{"type":"pool2d","kind":"avg","poolSize":[2,2]}},
            {{"type":"snuConv2d","filters":32,"kernelSize":[5,5],"padding":[2,2],{unit}}},{{"type":"pool2d","kind":"avg","poolSize":[2,2]}},
            {{"type":"flatten"}},{{"type":"snu","units":128,{dropout}{unit}}},{{"type":"snu","units":10,{unit}}}],
            "loss":{{"kind":"softmaxCrossEntropy"}},"readout":"sum","optimizer":{{"kind":"adam","lr":0.001}},"seed":1}}"#
        );
        let mut net = Network::from_json(&spec).unwrap();
        let train = median_seconds(15, || {
            net.train_step(&Batch::new(&x, &y, steps, batch)).unwrap();
        });
        let fwd = median_seconds(15, || {
            net.forward(&Batch::inputs(&x, steps, batch)).unwrap();
        });
        let density: Vec<String> = net
            .layer_outputs()
            .iter()
            .map(|o| {
                format!(
                    "{:.3}",
                    o.iter().filter(|&&v| v != 0.0).count() as f32 / o.len() as f32
                )
            })
            .collect();
        println!("{name}: non-zero outputs per layer {density:?}");
        println!(
            "{name}: train step {:.1} ms ({:.0} samples/s), forward {:.1} ms",
            train * 1e3,
            batch as f64 / train,
            fwd * 1e3
        );
    }

    if !"kernels".contains(&only) {
        return;
    }
    // The second convolution: 16 x 14x14 -> 32 x 14x14, 5x5, over T*B rows.
    let g = ConvGeometry {
        in_c: 16,
        in_h: 14,
        in_w: 14,
        out_c: 32,
        kernel: [5, 5],
        stride: [1, 1],
        padding: [2, 2],
        dilation: [1, 1],
    };
    let rows = steps * batch;
    let mut vals = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform() as f32).collect() };
    let (xs, w, dy) = (
        vals(rows * g.in_len()),
        vals(g.out_c * g.patch_len()),
        vals(rows * g.out_len()),
    );
    let (mut out, mut dw, mut dx) = (
        vec![0f32; rows * g.out_len()],
        vec![0f32; w.len()],
        vec![0f32; xs.len()],
    );
    let f = median_seconds(9, || conv_forward(&g, &xs, rows, &w, &mut out));
    let gw = median_seconds(9, || conv_weight_grad(&g, &xs, rows, &dy, &mut dw));
    let gx = median_seconds(9, || conv_input_grad(&g, &w, &dy, rows, &mut dx));
    let gflops = |s: f64| 2.0 * (rows * g.out_len() * g.patch_len()) as f64 / s / 1e9;
    println!(
        "conv 2 ({rows} rows): forward {:.1} ms ({:.0} GFLOP/s), dW {:.1} ms ({:.0}), dx {:.1} ms ({:.0})",
        f * 1e3,
        gflops(f),
        gw * 1e3,
        gflops(gw),
        gx * 1e3,
        gflops(gx)
    );
}
