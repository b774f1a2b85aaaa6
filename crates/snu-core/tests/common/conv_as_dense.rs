//! A convolution whose kernel covers its whole image is a dense layer: the weights that make
//! `conv [snuConv2d_0 (F filters over I inputs), flatten, dense_2]` and
//! `dense [snu_0 (F units), dense_1]` compute the same.

use snu_core::Network;

/// Copies the convolutional network's parameters into the dense one: `W` transposed from the
/// conv's `[F, I]` to the dense `[I, F]`, the per-unit parameters `unit_params` (`b`, `decay`,
/// ...) as they are, and the readout's `W`.
pub fn copy_conv_into_dense(
    conv: &Network,
    dense: &mut Network,
    filters: usize,
    inputs: usize,
    unit_params: &[&str],
) {
    let w = &conv.param("snuConv2d_0.W").unwrap().value;
    let transposed: Vec<f32> = (0..inputs * filters)
        .map(|i| w[(i % filters) * inputs + i / filters])
        .collect();
    dense.set_param("snu_0.W", &transposed).unwrap();
    for k in unit_params {
        let v = conv
            .param(&format!("snuConv2d_0.{k}"))
            .unwrap()
            .value
            .clone();
        dense.set_param(&format!("snu_0.{k}"), &v).unwrap();
    }
    let readout = conv.param("dense_2.W").unwrap().value.clone();
    dense.set_param("dense_1.W", &readout).unwrap();
}
