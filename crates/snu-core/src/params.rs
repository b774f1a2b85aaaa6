//! Named parameter tensors and their gradients, owned by the network; layers hold indices.

use crate::bail;
use crate::error::Result;

/// `len` copies of `fill`, or an error if the memory cannot be had.
pub fn filled(len: usize, fill: f32, what: &str) -> Result<Vec<f32>> {
    let mut v = Vec::new();
    if v.try_reserve_exact(len).is_err() {
        let bytes = len as u128 * 4;
        bail!(
            "{what}: {len} values need {bytes} bytes ({:.1} GiB), more memory than can be allocated; make the layer smaller",
            bytes as f64 / (1u64 << 30) as f64
        );
    }
    v.resize(len, fill);
    Ok(v)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// `<layer>.<tensor>`, e.g. `snu_0.W`.
    pub name: String,
    pub shape: Vec<usize>,
    pub value: Vec<f32>,
}

#[derive(Clone, Debug, Default)]
pub struct ParamStore {
    pub params: Vec<Param>,
    pub grads: Vec<Vec<f32>>,
}

impl ParamStore {
    /// Adds a tensor filled with `fill` and returns its index. The value and its gradient are
    /// allocated fallibly: a tensor the machine cannot hold is an error naming its size, not
    /// an abort of the process.
    pub fn add(&mut self, name: String, shape: Vec<usize>, fill: f32) -> Result<usize> {
        let len: usize = shape.iter().product();
        let value = filled(len, fill, &name)?;
        let grad = filled(len, 0.0, &name)?;
        self.params.push(Param { name, shape, value });
        self.grads.push(grad);
        Ok(self.params.len() - 1)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    pub fn value(&self, i: usize) -> &[f32] {
        &self.params[i].value
    }

    pub fn zero_grads(&mut self) {
        for g in &mut self.grads {
            g.iter_mut().for_each(|x| *x = 0.0);
        }
    }
}
