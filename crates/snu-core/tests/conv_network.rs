//! Convolution, pooling and flatten layers inside a network: the shapes a spec gives, the
//! refusals of shapes that do not fit, and the gradient of the whole network against central
//! finite differences of its loss (the kernels themselves are checked in `conv_kernels.rs`).

mod common;

use common::conv_as_dense::copy_conv_into_dense;
use common::finite_differences::gradcheck;
use snu_core::kernels::conv::{ConvGeometry, ConvKernel};
use snu_core::kernels::conv_direct;
use snu_core::{Batch, Network};

fn net(layers: &str, input_shape: &str, input_size: usize, readout: &str, loss: &str) -> Network {
    Network::from_json(&format!(
        r#"{{"inputSize":{input_size},"inputShape":{input_shape},"layers":[{layers}],"readout":"{readout}","loss":{loss},"seed":3}}"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn err(layers: &str, input_shape: &str, input_size: usize) -> String {
    Network::from_json(&format!(
        r#"{{"inputSize":{input_size},"inputShape":{input_shape},"layers":[{layers}],"loss":{{"kind":"mse"}}}}"#
    ))
    .err()
    .expect("refused")
    .to_string()
}

#[test]
fn shapes_follow_the_layers() {
    let n = net(
        r#"{"type":"conv2d","filters":4,"kernelSize":[3,3],"padding":[1,1]},{"type":"pool2d","kind":"max","poolSize":[2,2]},{"type":"conv2d","filters":6,"kernelSize":[3,2],"stride":[2,1]},{"type":"flatten"},{"type":"dense","units":5}"#,
        "[2,8,6]",
        96,
        "sum",
        r#"{"kind":"mse"}"#,
    );
    let shapes: Vec<String> = n
        .spec
        .shapes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        shapes,
        [
            "[2, 8, 6] images",
            "[4, 8, 6] images",
            "[4, 4, 3] images",
            "[6, 1, 2] images",
            "12 values",
            "5 values"
        ]
    );
    assert_eq!(n.output_size(), 5);
    // W [4, 2, 3, 3] + b [4]; W [6, 4, 3, 2] + b [6]; W [12, 5] + b [5].
    assert_eq!(
        n.spec.param_count().unwrap(),
        (4 * 2 * 9 + 4) + (6 * 4 * 6 + 6) + (12 * 5 + 5)
    );
}

#[test]
fn shapes_that_do_not_fit_are_refused_naming_the_layer() {
    let conv = r#"{"type":"conv2d","filters":2,"kernelSize":[3,3]}"#;
    assert_eq!(
        err(conv, "[1,5,5]", 24),
        "model spec: inputShape: [1, 5, 5] holds 25 values per step, but inputSize is 24; expected sizes of at least 1 whose product is inputSize"
    );
    assert!(err(conv, "null", 25).starts_with("model spec: layers[0]: a conv2d layer takes [C, H, W] images, but receives a flat vector of 25 values: give the model an inputShape"));
    assert!(err(
        r#"{"type":"conv2d","filters":2,"kernelSize":[7,3]}"#,
        "[1,5,5]",
        25
    )
    .starts_with("model spec: layers[0].kernelSize: the kernel spans 7 pixels"));
    assert_eq!(
        err(
            r#"{"type":"conv2d","filters":2,"kernelSize":[3,3],"stride":[0,1]}"#,
            "[1,5,5]",
            25
        ),
        "model spec: layers[0].stride: expected at least 1, got 0"
    );
    assert!(err(
        &format!(r#"{conv},{{"type":"pool2d","kind":"avg","poolSize":[2,2]}}"#),
        "[1,5,5]",
        25
    )
    .starts_with(
        "model spec: layers[1]: windows of 2 every 2 pixels do not tile the input's height of 3"
    ));
    assert_eq!(
        err(&format!(r#"{conv},{{"type":"dense","units":3}}"#), "[1,5,5]", 25),
        "model spec: layers[1]: a dense layer takes flat inputs, but receives [2, 3, 3] images: put a flatten layer before it"
    );
    assert!(err(r#"{"type":"flatten"},{"type":"dense","units":3}"#, "null", 25).starts_with("model spec: layers[0]: flatten takes [C, H, W] images, but its input is already a flat vector of 25 values"));
    assert!(err(&format!(r#"{conv},{{"type":"flatten"}},{conv}"#), "[1,5,5]", 25).starts_with("model spec: layers[2]: a conv2d layer takes [C, H, W] images, but receives a flat vector of 18 values"));
}

/// Central differences of the loss against the engine's gradient, for every parameter value.
/// A max-pooling window whose maximum changes within the step makes the loss kinked there: such
/// points (where steps of 1e-3 and 2.5e-4 disagree) are skipped, and must be few.
fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = snu_core::kernels::rng::Rng::new(seed);
    (0..len)
        .map(|_| rng.uniform_range(-1.0, 1.0) as f32)
        .collect()
}

#[test]
fn conv_pool_flatten_dense_gradients_match_finite_differences() {
    // Smooth activations (tanh, sigmoid) so that central differences are exact to O(h^2);
    // every pooling kind and every conv option somewhere.
    // Max pooling is kinked wherever two values of a window tie: in f32 the differences need
    // steps of 1e-3, which cross near-ties in many windows, so it is checked on one image (the
    // kernel's max gradient is checked exactly in conv_kernels.rs).
    for (pool, conv_opts, (steps, batch)) in [
        ("avg", r#""padding":[1,1]"#, (2, 3)),
        ("sum", r#""stride":[2,1],"dilation":[1,2]"#, (2, 3)),
        ("max", r#""padding":[1,0],"useBias":false"#, (1, 1)),
    ] {
        let layers = format!(
            r#"{{"type":"conv2d","filters":3,"kernelSize":[3,3],"activation":"tanh",{conv_opts}}},{{"type":"pool2d","kind":"{pool}","poolSize":[2,1]}},{{"type":"flatten"}},{{"type":"dense","units":2,"activation":"sigmoid"}}"#
        );
        let n = net(&layers, "[2,6,6]", 72, "mean", r#"{"kind":"mse"}"#);
        let x = data(steps * batch * 72, 1);
        let y = data(batch * 2, 2);
        gradcheck(n, &x, &y, steps, batch);
    }
}

#[test]
fn conv_layers_after_spike_inputs_read_them_as_values() {
    // A 0/1 input arrives packed as bits: the convolution must see the same values as dense input.
    let layers = r#"{"type":"conv2d","filters":2,"kernelSize":[2,2]},{"type":"flatten"},{"type":"dense","units":2}"#;
    let mut a = net(layers, "[1,4,4]", 16, "sum", r#"{"kind":"mse"}"#);
    let mut rng = snu_core::kernels::rng::Rng::new(9);
    let spikes: Vec<f32> = (0..3 * 2 * 16)
        .map(|_| (rng.uniform() < 0.3) as u8 as f32)
        .collect();
    let mut almost = spikes.clone();
    almost[0] += 1e-30; // no longer all 0/1: the dense path
    let out_spikes = a.forward(&Batch::inputs(&spikes, 3, 2)).unwrap().to_vec();
    let out_dense = a.forward(&Batch::inputs(&almost, 3, 2)).unwrap().to_vec();
    for (p, q) in out_spikes.iter().zip(&out_dense) {
        assert!((p - q).abs() < 1e-5, "{p} vs {q}");
    }
}

#[test]
fn an_snu_convolution_whose_kernel_covers_the_image_is_a_dense_snu_layer() {
    // One output position per filter: conv(x, W) = x W' with W'[(c, u, v), o] = W[o, c, u, v],
    // and the per-filter bias and decay are the per-unit ones. Spiking output, trainable decay.
    let opts = r#""trainableDecay":true,"initialBias":-0.3,"decay":0.7"#;
    let mut conv = net(
        &format!(
            r#"{{"type":"snuConv2d","filters":3,"kernelSize":[2,3],{opts}}},{{"type":"flatten"}},{{"type":"dense","units":2}}"#
        ),
        "[2,2,3]",
        12,
        "sum",
        r#"{"kind":"mse"}"#,
    );
    let mut dense = Network::from_json(&format!(r#"{{"inputSize":12,"layers":[{{"type":"snu","units":3,{opts}}},{{"type":"dense","units":2}}],"readout":"sum","loss":{{"kind":"mse"}},"seed":3}}"#)).unwrap();
    copy_conv_into_dense(&conv, &mut dense, 3, 12, &["b", "decay"]);
    let (steps, batch) = (5, 3);
    let x: Vec<f32> = data(steps * batch * 12, 4)
        .iter()
        .map(|v| v.abs() * 1.5)
        .collect();
    let y = data(batch * 2, 5);
    let b = Batch::new(&x, &y, steps, batch);
    assert_eq!(conv.forward(&b).unwrap(), dense.forward(&b).unwrap());
    let (lc, ld) = (
        conv.compute_gradients(&b).unwrap(),
        dense.compute_gradients(&b).unwrap(),
    );
    assert!((lc - ld).abs() < 1e-9, "{lc} vs {ld}");
    let dw = conv.grad("snuConv2d_0.W").unwrap();
    let dw_dense = dense.grad("snu_0.W").unwrap();
    for i in 0..36 {
        assert!(
            (dw[(i % 3) * 12 + i / 3] - dw_dense[i]).abs() < 1e-5,
            "W {i}"
        );
    }
    for name in ["b", "decay"] {
        let (a, b) = (
            conv.grad(&format!("snuConv2d_0.{name}")).unwrap(),
            dense.grad(&format!("snu_0.{name}")).unwrap(),
        );
        a.iter()
            .zip(b)
            .for_each(|(p, q)| assert!((p - q).abs() < 1e-5, "{name}: {p} vs {q}"));
    }
    assert!(conv.layer_outputs()[0].contains(&1.0), "the layer spiked");
}

#[test]
fn snu_convolution_gradients_match_finite_differences() {
    // sSNU (sigmoid output: smooth) with trainable decay: the per-filter bias and decay sum
    // their positions' gradients; padding and stride so that positions differ in their taps.
    let layers = r#"{"type":"snuConv2d","filters":2,"kernelSize":[3,3],"padding":[1,1],"stride":[2,1],"output":"sigmoid","g":{"kind":"identity"},"trainableDecay":true,"initialBias":-0.5},{"type":"flatten"},{"type":"dense","units":2,"activation":"sigmoid"}"#;
    let n = net(layers, "[2,5,4]", 40, "mean", r#"{"kind":"mse"}"#);
    let (steps, batch) = (3, 2);
    gradcheck(
        n,
        &data(steps * batch * 40, 6),
        &data(batch * 2, 7),
        steps,
        batch,
    );
}

#[test]
fn event_driven_and_dense_convolutions_of_spikes_give_the_same_network() {
    // Spike input into a spiking convolution whose spikes feed a second one: both take spikes,
    // and both paths must train the same (to rounding: sums in another order).
    use snu_core::layers::product::ProductPath;
    let layers = r#"{"type":"snuConv2d","filters":4,"kernelSize":[3,3],"padding":[1,1],"initialBias":-0.2},{"type":"snuConv2d","filters":3,"kernelSize":[3,3],"stride":[2,2]},{"type":"flatten"},{"type":"dense","units":2}"#;
    let mut rng = snu_core::kernels::rng::Rng::new(12);
    let (steps, batch) = (4, 3);
    let x: Vec<f32> = (0..steps * batch * 2 * 36)
        .map(|_| (rng.uniform() < 0.15) as u8 as f32)
        .collect();
    let y = data(batch * 2, 13);
    let b = Batch::new(&x, &y, steps, batch);
    let run = |path: ProductPath| {
        let mut n = net(layers, "[2,6,6]", 72, "sum", r#"{"kind":"mse"}"#);
        n.set_product_path(path);
        let loss = n.compute_gradients(&b).unwrap();
        let grads: Vec<Vec<f32>> = n
            .param_names()
            .iter()
            .map(|p| n.grad(p).unwrap().to_vec())
            .collect();
        (loss, grads, n.layer_outputs()[0].iter().sum::<f32>())
    };
    let (dense, events) = (run(ProductPath::Dense), run(ProductPath::EventDriven));
    assert!(dense.2 > 0.0, "the first convolution spikes");
    assert!(
        (dense.0 - events.0).abs() < 1e-5,
        "{} vs {}",
        dense.0,
        events.0
    );
    for (a, b) in dense.1.iter().zip(&events.1) {
        for (p, q) in a.iter().zip(b) {
            assert!((p - q).abs() < 1e-4 * (1.0 + p.abs()), "{p} vs {q}");
        }
    }
}

#[test]
fn sizes_whose_products_would_wrap_or_outgrow_an_array_are_refused_before_any_allocation() {
    let dense = r#"{"type":"flatten"},{"type":"dense","units":2}"#;
    // dilation x (kernel - 1) + 1 wraps to 0 in u64 and kernel x kernel to 0: this spec was
    // accepted with an empty W, and the direct kernel then read far out of bounds.
    assert_eq!(
        err(
            &format!(
                r#"{{"type":"conv2d","filters":1,"kernelSize":[4294967296,4294967296],"dilation":[4294967297,4294967297]}},{dense}"#
            ),
            "[1,28,28]",
            784
        ),
        "model spec: layers[0].kernelSize: expected sizes from 1 to 1048576, got 4294967296"
    );
    assert_eq!(
        err(
            &format!(
                r#"{{"type":"conv2d","filters":1,"kernelSize":[3,3],"padding":[0,1048577]}},{dense}"#
            ),
            "[1,28,28]",
            784
        ),
        "model spec: layers[0].padding: expected sizes from 0 to 1048576, got 1048577"
    );
    // (2^63 + 1) x 2 x 1 wraps to 2 in u64; 2^18 x (2^55 + 2^28 + 1) x (2^55 - 2^28 + 1) is
    // 2^128 + 2^18, which wraps to 2^18 in u128.
    assert_eq!(
        err(dense, "[9223372036854775809,2,1]", 2),
        "model spec: inputShape: [9223372036854775809, 2, 1] holds 18446744073709551618 values per step, but inputSize is 2; expected sizes of at least 1 whose product is inputSize"
    );
    assert!(err(
        r#"{"type":"pool2d","kind":"avg","poolSize":[1,1]},{"type":"flatten"},{"type":"dense","units":2}"#,
        "[262144,36028797287399425,36028796750528513]",
        262144
    )
    .starts_with("model spec: inputShape: [262144, 36028797287399425, 36028796750528513] holds more than 2^128 values per step"));
    // Every size within the limits, but im2col's columns for one image are 65,536 taps x
    // 1024 x 1024 outputs (256 GiB): an abort on allocation before.
    assert_eq!(
        err(
            &format!(r#"{{"type":"conv2d","filters":1,"kernelSize":[256,256],"stride":[2,2],"padding":[639,639]}},{dense}"#),
            "[1,1024,1024]",
            1 << 20
        ),
        "model spec: layers[0]: im2col's columns for one image would hold 68719476736 values (65536 taps x 1024 x 1024 outputs), more than the 2147483647 one array may hold; use a smaller kernel or a stride"
    );
}

#[test]
fn a_padding_far_beyond_the_image_runs_by_im2col_with_exact_gradients() {
    // Padding and dilation 2^20 on a 2 x 2 image: the direct kernels' padded copies would
    // hold about 2^42 values (an abort on allocation before), im2col's columns 9 x 4. Only the
    // centre tap ever reads the image, so this is a 1 x 1 convolution in effect.
    let conv = r#"{"type":"conv2d","filters":2,"kernelSize":[3,3],"padding":[1048576,1048576],"dilation":[1048576,1048576],"activation":"tanh"}"#;
    let g = ConvGeometry {
        in_c: 1,
        in_h: 2,
        in_w: 2,
        out_c: 2,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1 << 20; 2],
        dilation: [1 << 20; 2],
    };
    g.check("p").unwrap();
    assert!(!conv_direct::applies(&g));
    assert_eq!(conv_direct::input_grad_geometry(&g), None);
    assert_eq!(ConvKernel::best(&g), ConvKernel::Im2col);
    let n = net(
        &format!(
            r#"{conv},{{"type":"flatten"}},{{"type":"dense","units":2,"activation":"sigmoid"}}"#
        ),
        "[1,2,2]",
        4,
        "mean",
        r#"{"kind":"mse"}"#,
    );
    let (steps, batch) = (2, 3);
    gradcheck(
        n,
        &data(steps * batch * 4, 3),
        &data(batch * 2, 4),
        steps,
        batch,
    );
}
