//! A 2-D convolution applied at every time step of channels-first images:
//! `y_t = act(conv(x_t, W) + b)` (the convolution and its gradients: `kernels/conv.rs`).
//! `W` is `[O, C, KH, KW]` (as `[O, K]` for the product), `b` one value per output channel.
//! Every step of every sample is one image: the `T*B` rows are independent.

use super::conv_product::ConvProducts;
use super::product::{ProductPath, SeqInput};
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
use crate::kernels::rng::glorot_uniform;
use crate::layers::activation::DenseActivation;
use crate::params::ParamStore;
use crate::spec::Conv2dSpec;

pub struct Conv2dLayer {
    conv: ConvProducts,
    activation: DenseActivation,
    w: usize,
    b: Option<usize>,
    /// Output `[T*B, O*OH*OW]`.
    y: Vec<f32>,
    /// `dL/d(pre-activation)`.
    dpre: Vec<f32>,
}

impl Conv2dLayer {
    pub fn new(spec: &Conv2dSpec, cx: BuildContext) -> Result<Self> {
        let geometry = spec.geometry(&cx.path, cx.in_shape)?;
        let BuildContext {
            name,
            store: p,
            rng,
            ..
        } = cx;
        let (o, k) = (geometry.out_c, geometry.patch_len());
        let w = p.add(
            format!("{name}.W"),
            vec![o, geometry.in_c, geometry.kernel[0], geometry.kernel[1]],
            0.0,
        )?;
        // Glorot over the fan of one output (C*KH*KW inputs) and one input (O*KH*KW outputs).
        let taps = geometry.kernel[0] * geometry.kernel[1];
        glorot_uniform(rng, k, o * taps, &mut p.params[w].value);
        let b = spec
            .use_bias
            .then(|| p.add(format!("{name}.b"), vec![o], 0.0))
            .transpose()?;
        Ok(Conv2dLayer {
            conv: ConvProducts::new(geometry),
            activation: spec.activation,
            w,
            b,
            y: vec![],
            dpre: vec![],
        })
    }
}

impl SeqLayer for Conv2dLayer {
    /// No state over time: OSTL's gradient is this layer's backward pass.
    fn ostl_refusal(&self) -> Option<String> {
        None
    }

    fn units(&self) -> usize {
        self.conv.geometry.out_len()
    }

    fn set_product_path(&mut self, path: ProductPath) {
        self.conv.path = path;
    }

    fn output(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.y)
    }

    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (rows, n, per_channel) = (shape.rows(), self.units(), self.conv.geometry.positions());
        ensure_len(&mut self.y, rows * n);
        self.conv.forward(x, rows, p.value(self.w), &mut self.y);
        let bias = self.b.map(|b| p.value(b));
        for row in self.y.chunks_exact_mut(n) {
            for (o, channel) in row.chunks_exact_mut(per_channel).enumerate() {
                let b = bias.map_or(0.0, |b| b[o]);
                channel
                    .iter_mut()
                    .for_each(|v| *v = self.activation.value(*v + b));
            }
        }
    }

    /// No state over time, so no window to truncate.
    fn backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        _window: usize,
    ) {
        let (rows, n, per_channel) = (shape.rows(), self.units(), self.conv.geometry.positions());
        ensure_len(&mut self.dpre, rows * n);
        let act = self.activation;
        for ((d, &g), &y) in self.dpre.iter_mut().zip(&dy[..rows * n]).zip(&self.y) {
            *d = g * act.derivative_from_output(y);
        }
        if let Some(b) = self.b {
            // db[o] = sum over rows and positions of channel o, in a fixed order.
            let db = &mut p.grads[b];
            for row in self.dpre.chunks_exact(n) {
                for (o, channel) in row.chunks_exact(per_channel).enumerate() {
                    db[o] += channel.iter().sum::<f32>();
                }
            }
        }
        let (w, dw) = (p.params[self.w].value.as_slice(), &mut p.grads[self.w]);
        self.conv.backward(x, rows, w, &self.dpre, dw, dx);
    }
}
