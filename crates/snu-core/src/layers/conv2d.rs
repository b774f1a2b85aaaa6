//! A 2-D convolution applied at every time step of channels-first images:
//! `y_t = act(conv(x_t, W) + b)` (the convolution and its gradients: `kernels/conv.rs`).
//! `W` is `[O, C, KH, KW]` (as `[O, K]` for the product), `b` one value per output channel.
//! Every step of every sample is one image: the `T*B` rows are independent.

use super::product::SeqInput;
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
use crate::kernels::conv::{conv_backward, conv_forward, ConvGeometry};
use crate::kernels::rng::glorot_uniform;
use crate::layers::activation::DenseActivation;
use crate::params::ParamStore;
use crate::spec::Conv2dSpec;

pub struct Conv2dLayer {
    geometry: ConvGeometry,
    activation: DenseActivation,
    w: usize,
    b: Option<usize>,
    /// Output `[T*B, O*OH*OW]`.
    y: Vec<f32>,
    /// `dL/d(pre-activation)`.
    dpre: Vec<f32>,
    /// Spike inputs as values (the products read values; an event-driven path is to come).
    x_values: Vec<f32>,
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
            geometry,
            activation: spec.activation,
            w,
            b,
            y: vec![],
            dpre: vec![],
            x_values: vec![],
        })
    }

    /// The input as values: dense inputs as they are, spikes unpacked into `x_values`.
    fn values<'a>(x_values: &'a mut Vec<f32>, x: SeqInput<'a>) -> &'a [f32] {
        match x {
            SeqInput::Dense(v) => v,
            SeqInput::Spikes(bits) => {
                ensure_len(x_values, bits.rows() * bits.cols());
                bits.unpack(x_values);
                x_values
            }
        }
    }
}

impl SeqLayer for Conv2dLayer {
    fn units(&self) -> usize {
        self.geometry.out_len()
    }

    fn output(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.y)
    }

    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (rows, n, per_channel) = (shape.rows(), self.units(), self.geometry.positions());
        ensure_len(&mut self.y, rows * n);
        let xv = Self::values(&mut self.x_values, x);
        conv_forward(&self.geometry, xv, rows, p.value(self.w), &mut self.y);
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
        let (rows, n, per_channel) = (shape.rows(), self.units(), self.geometry.positions());
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
        let xv = Self::values(&mut self.x_values, x);
        let (w, dw) = (p.params[self.w].value.as_slice(), &mut p.grads[self.w]);
        conv_backward(&self.geometry, xv, rows, w, &self.dpre, dw, dx);
    }
}
