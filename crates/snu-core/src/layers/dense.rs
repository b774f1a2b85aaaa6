//! Dense layer applied at every time step: `y_t = act(x_t W + b)`. With weight tying,
//! `W = Eᵀ` for the matrix `E` (`[n, in]`) of an embedding layer, whose gradient it adds to.

use super::product::{InputProducts, ProductPath, SeqInput};
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
use crate::kernels::column_sums::add_column_sums;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::rng::glorot_uniform;
use crate::layers::activation::DenseActivation;
use crate::params::ParamStore;
use crate::pcm::AnalogTile;
use crate::spec::DenseSpec;
use rayon::prelude::*;

/// Elements per parallel task of the element-wise backward pass.
const ELEMENTS_PER_TASK: usize = 1 << 14;

pub struct DenseLayer {
    pub in_size: usize,
    pub units: usize,
    activation: DenseActivation,
    /// Index of `W` (`[in, n]`), or of the tied `E` (`[n, in]`).
    w: usize,
    tied: bool,
    b: Option<usize>,
    /// Output `[T*B, units]`.
    pub y: Vec<f32>,
    dpre: Vec<f32>,
    pub input: InputProducts,
}

impl DenseLayer {
    /// With `tiedTo`, `W` is the named embedding's matrix (validation checked it exists).
    pub fn new(spec: &DenseSpec, cx: BuildContext) -> Result<Self> {
        let tied = spec.tied_to.as_deref().and_then(|t| cx.shared_matrix(t));
        let BuildContext {
            name,
            in_size,
            store: p,
            rng,
            ..
        } = cx;
        let n = spec.units;
        let w = match tied {
            Some(w) => w,
            None => {
                let w = p.add(format!("{name}.W"), vec![in_size, n], 0.0)?;
                glorot_uniform(rng, in_size, n, &mut p.params[w].value);
                w
            }
        };
        let b = spec
            .use_bias
            .then(|| p.add(format!("{name}.b"), vec![n], 0.0))
            .transpose()?;
        Ok(DenseLayer {
            in_size,
            units: n,
            activation: spec.activation,
            w,
            tied: tied.is_some(),
            b,
            y: vec![],
            dpre: vec![],
            input: InputProducts::default(),
        })
    }
}

impl SeqLayer for DenseLayer {
    /// No state over time: OSTL's gradient is this layer's backward pass.
    fn ostl_refusal(&self) -> Option<String> {
        None
    }

    fn units(&self) -> usize {
        self.units
    }

    fn output(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.y)
    }

    fn set_product_path(&mut self, path: ProductPath) {
        self.input.path = path;
    }

    fn tile(&self) -> Option<&AnalogTile> {
        self.input.analog.as_deref()
    }

    /// `W` for a crossbar: its products and parameter index (none when tied to an embedding).
    fn weight_slot(&mut self) -> Option<(&mut InputProducts, usize)> {
        (!self.tied).then_some((&mut self.input, self.w))
    }

    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (rows, n) = (shape.rows(), self.units);
        ensure_len(&mut self.y, rows * n);
        // pre = X W (+ b), or X Eᵀ when tied: one product over all T*B rows.
        if self.tied {
            self.input.prepare(x, self.in_size, n);
            let xv = self.input.values(x);
            gemm(
                1.0,
                Mat::new(xv, rows, self.in_size),
                false,
                Mat::new(p.value(self.w), n, self.in_size),
                true,
                0.0,
                &mut self.y,
            );
        } else {
            self.input
                .forward(x, rows, p.value(self.w), self.in_size, n, &mut self.y);
        }
        let bias = self.b.map(|b| p.value(b));
        for row in self.y.chunks_exact_mut(n) {
            if let Some(bias) = bias {
                row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
            }
            row.iter_mut().for_each(|v| *v = self.activation.value(*v));
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
        let (rows, n, m) = (shape.rows(), self.units, self.in_size);
        ensure_len(&mut self.dpre, rows * n);
        // dpre = dy ⊙ act'(pre), through the output. (On a 10,000-word softmax these two passes
        // read 7M values per step; on one thread they were 4 % of a 2-thread PTB step.)
        let act = self.activation;
        self.dpre[..rows * n]
            .par_chunks_mut(ELEMENTS_PER_TASK)
            .zip(dy.par_chunks(ELEMENTS_PER_TASK))
            .zip(self.y.par_chunks(ELEMENTS_PER_TASK))
            .for_each(|((d, g), y)| {
                for ((d, &g), &y) in d.iter_mut().zip(g).zip(y) {
                    *d = g * act.derivative_from_output(y);
                }
            });
        if let Some(b) = self.b {
            // db = sum over rows of dpre.
            add_column_sums(&self.dpre[..rows * n], n, 0, &mut p.grads[b]);
        }
        if self.tied {
            // dE += dpre^T X;  dX = dpre E
            let xv = self.input.values(x);
            gemm(
                1.0,
                Mat::new(&self.dpre, rows, n),
                true,
                Mat::new(xv, rows, m),
                false,
                1.0,
                &mut p.grads[self.w],
            );
            if let Some(dx) = dx {
                gemm(
                    1.0,
                    Mat::new(&self.dpre, rows, n),
                    false,
                    Mat::new(p.value(self.w), n, m),
                    false,
                    0.0,
                    dx,
                );
            }
            return;
        }
        // dW += X^T dpre;  dX = dpre W^T
        self.input
            .weight_grad(x, 0..rows, &self.dpre, m, n, &mut p.grads[self.w]);
        if let Some(dx) = dx {
            gemm(
                1.0,
                Mat::new(&self.dpre, rows, n),
                false,
                Mat::new(p.value(self.w), m, n),
                true,
                0.0,
                dx,
            );
        }
    }
}
