//! Named parameter tensors and their gradients, owned by the network; layers hold indices.

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
    /// Adds a tensor filled with `fill` and returns its index.
    pub fn add(&mut self, name: String, shape: Vec<usize>, fill: f32) -> usize {
        let len = shape.iter().product();
        self.params.push(Param {
            name,
            shape,
            value: vec![fill; len],
        });
        self.grads.push(vec![0.0; len]);
        self.params.len() - 1
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
