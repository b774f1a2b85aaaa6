//! A forward pass worked out by hand: one recurrent SNU layer of 2 units, 2 inputs, 3 steps,
//! batch 1, relu `g`, decay l = 0.5, with weights set to simple dyadic numbers:
//!
//! ```text
//! W = [[1.0, 0.25],     (row i = input i, column j = unit j: a_j += x_i W[i][j])
//!      [0.5, 0.5 ]]
//! H = [[0.0, 0.25],     (a_j += y_i H[i][j]: unit 0 excites unit 1, unit 1 excites unit 0)
//!      [0.5, 0.0 ]]
//! b = [-1, -1]          (threshold 1)
//! x_1 = [1, 0.5],  x_2 = [0.5, 0],  x_3 = [1, 1]
//! a_t = x_t W + y_{t-1} H + l s_{t-1} (1 - y_{t-1}),  s_t = relu(a_t),  y_t = h(s_t + b)
//! ```

use snu_core::Batch;
use snu_core::Network;

fn layer(output: &str) -> Network {
    let spec = format!(
        r#"{{"inputSize":2,"layers":[{{"type":"snu","units":2,"output":"{output}","g":{{"kind":"relu"}},
            "recurrent":true,"decay":0.5}}],"readout":"sequence","loss":{{"kind":"mse"}},"seed":3}}"#
    );
    let mut net = Network::from_json(&spec).unwrap();
    net.set_param("snu_0.W", &[1.0, 0.25, 0.5, 0.5]).unwrap();
    net.set_param("snu_0.H", &[0.0, 0.25, 0.5, 0.0]).unwrap();
    net.set_param("snu_0.b", &[-1.0, -1.0]).unwrap();
    net
}

const X: [f32; 6] = [1.0, 0.5, 0.5, 0.0, 1.0, 1.0];

#[test]
fn spiking_snu_by_hand() {
    // t=1: a = x W = [1*1 + 0.5*0.5, 1*0.25 + 0.5*0.5] = [1.25, 0.5]       (no past yet)
    //      s = [1.25, 0.5];  s + b = [0.25, -0.5]  ->  y = [1, 0]
    // t=2: x W = [0.5*1 + 0*0.5, 0.5*0.25 + 0] = [0.5, 0.125]
    //      y_1 H = [0*0.5, 1*0.25] = [0, 0.25]
    //      l s_1 (1 - y_1) = [0.5*1.25*0, 0.5*0.5*1] = [0, 0.25]    (unit 0 spiked: reset)
    //      a = [0.5, 0.625];  s + b = [-0.5, -0.375]  ->  y = [0, 0]
    //      (without the reset unit 0 would get 0.5 + 0.625 = 1.125 and spike again)
    // t=3: x W = [1 + 0.5, 0.25 + 0.5] = [1.5, 0.75];  y_2 H = [0, 0]
    //      l s_2 (1 - y_2) = [0.5*0.5, 0.5*0.625] = [0.25, 0.3125]
    //      a = [1.75, 1.0625];  s + b = [0.75, 0.0625]  ->  y = [1, 1]
    //      (unit 1 fires only thanks to its carried state, which includes the 0.25 from H)
    let s: [f32; 6] = [1.25, 0.5, 0.5, 0.625, 1.75, 1.0625];
    let y: [f32; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0];
    // The hand-computed states and spikes agree with each other: y = step(s - 1).
    for k in 0..6 {
        assert_eq!(y[k], if s[k] - 1.0 > 0.0 { 1.0 } else { 0.0 });
    }
    let mut net = layer("step");
    // The sequence readout returns y itself. All numbers are dyadic, so exact in f32; every
    // |s + b| >= 0.0625, far from the threshold. (The state s is not observable for the step
    // output; the spikes above depend on it through every term, reset and recurrence included.)
    let out = net.forward(&Batch::inputs(&X, 3, 1)).unwrap().to_vec();
    assert_eq!(out, y);
    assert_eq!(net.layer_outputs()[0], &y[..]);
}

#[test]
fn soft_snu_by_hand() {
    // Same weights, y = sigmoid(s + b): the reset is proportional, (1 - y) with y in (0, 1).
    // t=1: a = [1.25, 0.5] as above;  s + b = [0.25, -0.5]
    //      y = [sigmoid(0.25), sigmoid(-0.5)] = [0.562176501, 0.377540669]
    // t=2: x W = [0.5, 0.125]
    //      y_1 H = [0.377540669*0.5, 0.562176501*0.25] = [0.188770334, 0.140544125]
    //      l s_1 (1 - y_1) = [0.5*1.25*0.437823499, 0.5*0.5*0.622459331] = [0.273639687, 0.155614833]
    //      a = [0.5 + 0.188770334 + 0.273639687, 0.125 + 0.140544125 + 0.155614833]
    //        = [0.962410021, 0.421158958];  s + b = [-0.037589979, -0.578841042]
    //      y = [0.490603612, 0.359199313]
    // t=3: x W = [1.5, 0.75]
    //      y_2 H = [0.359199313*0.5, 0.490603612*0.25] = [0.179599657, 0.122650903]
    //      l s_2 (1 - y_2) = [0.5*0.962410021*0.509396388, 0.5*0.421158958*0.640800687]
    //                      = [0.245124094, 0.134939475]
    //      a = [1.924723751, 1.007590378];  s + b = [0.924723751, 0.007590378]
    //      y = [0.716003624, 0.501897585]
    let s: [f64; 6] = [
        1.25,
        0.5,
        0.962410021,
        0.421158958,
        1.924723751,
        1.007590378,
    ];
    let y: [f64; 6] = [
        0.562176501,
        0.377540669,
        0.490603612,
        0.359199313,
        0.716003624,
        0.501897585,
    ];
    let mut net = layer("sigmoid");
    let out = net.forward(&Batch::inputs(&X, 3, 1)).unwrap().to_vec();
    for k in 0..6 {
        // f32 arithmetic on O(1) numbers: ~1e-7; the literals carry 9 decimals.
        assert!(
            (out[k] as f64 - y[k]).abs() < 1e-6,
            "y[{k}]: {} vs {}",
            out[k],
            y[k]
        );
        // s is observable here: s = logit(y) - b.
        let yk = out[k] as f64;
        let s_seen = (yk / (1.0 - yk)).ln() + 1.0;
        assert!((s_seen - s[k]).abs() < 1e-5, "s[{k}]: {s_seen} vs {}", s[k]);
    }
}
