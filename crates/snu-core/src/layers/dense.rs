//! Dense layer applied at every time step: `y_t = act(x_t W + b)`.

use super::input::{InputProducts, SeqInput};
use super::{ensure_len, SeqShape};
use crate::activation::DenseActivation;
use crate::linalg::{gemm, Mat};
use crate::params::ParamStore;
use crate::rng::{glorot_uniform, Rng};
use crate::spec::DenseSpec;

pub struct DenseLayer {
    pub in_size: usize,
    pub units: usize,
    activation: DenseActivation,
    w: usize,
    b: Option<usize>,
    /// Output `[T*B, units]`.
    pub y: Vec<f32>,
    dpre: Vec<f32>,
    pub input: InputProducts,
}

impl DenseLayer {
    pub fn new(spec: &DenseSpec, name: &str, in_size: usize, p: &mut ParamStore, rng: &mut Rng) -> Self {
        let n = spec.units;
        let w = p.add(format!("{name}.W"), vec![in_size, n], 0.0);
        glorot_uniform(rng, in_size, n, &mut p.params[w].value);
        let b = spec.use_bias.then(|| p.add(format!("{name}.b"), vec![n], 0.0));
        DenseLayer { in_size, units: n, activation: spec.activation, w, b, y: vec![], dpre: vec![], input: InputProducts::default() }
    }

    pub fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (rows, n) = (shape.rows(), self.units);
        ensure_len(&mut self.y, rows * n);
        // pre = X W (+ b): one product over all T*B rows.
        self.input.forward(x, rows, p.value(self.w), self.in_size, n, &mut self.y);
        let bias = self.b.map(|b| p.value(b));
        for row in self.y.chunks_exact_mut(n) {
            if let Some(bias) = bias {
                row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
            }
            row.iter_mut().for_each(|v| *v = self.activation.value(*v));
        }
    }

    pub fn backward(&mut self, p: &mut ParamStore, x: SeqInput, dy: &[f32], dx: Option<&mut [f32]>, shape: SeqShape) {
        let (rows, n, m) = (shape.rows(), self.units, self.in_size);
        ensure_len(&mut self.dpre, rows * n);
        // dpre = dy ⊙ act'(pre), through the output.
        for ((d, &g), &y) in self.dpre.iter_mut().zip(dy).zip(&self.y) {
            *d = g * self.activation.derivative_from_output(y);
        }
        if let Some(b) = self.b {
            let db = &mut p.grads[b];
            for row in self.dpre.chunks_exact(n) {
                db.iter_mut().zip(row).for_each(|(a, v)| *a += v);
            }
        }
        // dW += X^T dpre;  dX = dpre W^T
        self.input.weight_grad(x, 0..rows, &self.dpre, m, n, &mut p.grads[self.w]);
        if let Some(dx) = dx {
            gemm(1.0, Mat::new(&self.dpre, rows, n), false, Mat::new(p.value(self.w), m, n), true, 0.0, dx);
        }
    }
}
