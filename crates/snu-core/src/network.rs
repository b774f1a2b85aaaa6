//! A sequential network: layers, readout, loss and optimizer over whole batches.
//!
//! Inputs are time-major `[T, B, inputSize]` flat arrays; one call does a whole batch.

mod accuracy;
mod analog;
mod ostl;
mod summary;

pub use accuracy::Correct;
pub use ostl::TrainingMethod;
pub use summary::LayerSummary;

use crate::bail;
use crate::batch::{check_target, check_token_ids, Batch};
use crate::error::js_num;
use crate::error::{check_finite, resize_or_oom, Error, OutOfMemory, Result};
use crate::kernels::rng::Rng;
use crate::kernels::spikes::SpikeMatrix;
use crate::layers::product::{ProductPath, SeqInput};
use crate::layers::{BuildContext, Layer, SeqShape};
use crate::limits::MAX_LR;
use crate::params::{Param, ParamStore};
use crate::spec::ModelSpec;
use crate::train::dropout::InputDropout;
use crate::train::loss::{loss_and_reduced_grad, target_width};
use crate::train::optim::{global_norm, scale_gradients, Optimizer};
use crate::train::readout;

/// What one training step did: the loss before the update, the accuracy counts of the
/// output before the update (`None` unless the loss is a softmax cross-entropy), and the pulses
/// and refreshes sent to the crossbars (all zero without any).
#[derive(Clone, Debug)]
pub struct StepReport {
    pub loss: f64,
    pub correct: Option<Correct>,
    pub devices: crate::pcm::UpdateReport,
}

/// The loss and accuracy counts of a batch, without gradients.
#[derive(Clone, Copy, Debug)]
pub struct Evaluation {
    pub loss: f64,
    pub correct: Option<Correct>,
}

pub struct Network {
    pub spec: ModelSpec,
    pub store: ParamStore,
    pub optimizer: Optimizer,
    layers: Vec<Layer>,
    layer_names: Vec<String>,
    shape: Option<SeqShape>,
    out: Vec<f32>,
    d_out: Vec<f32>,
    grad_a: Vec<f32>,
    grad_b: Vec<f32>,
    /// The input as bits when it holds only 0s and 1s (so the first layer can go event-driven).
    x_spikes: SpikeMatrix,
    x_is_spikes: bool,
    /// The last layer's output as values when it is kept as bits.
    last_values: Vec<f32>,
    /// Real steps per sample of the current batch, when it carries a mask.
    lengths: Vec<usize>,
    masked: bool,
    /// Per readout row: counts in the loss (false for the padded rows of a `sequence` readout).
    valid_rows: Vec<bool>,
    /// Per layer: dropout on its input while training.
    dropout: Vec<Option<InputDropout>>,
    /// Draws the dropout masks (seeded from the spec's seed; checkpoints keep its position).
    pub(crate) dropout_rng: Rng,
    /// Pulses and refreshes of the last training step's transfer to the crossbars.
    pub last_update: crate::pcm::UpdateReport,
    /// How `train_step` computes its gradients (`network/ostl.rs`).
    method: TrainingMethod,
    /// `set_carry_state(true)` is in force.
    carry_state: bool,
}

impl Network {
    pub fn new(spec: ModelSpec) -> Result<Network> {
        spec.validate()?;
        let mut store = ParamStore::default();
        let mut rng = Rng::new(spec.seed);
        let mut built: Vec<(String, Layer)> = Vec::with_capacity(spec.layers.len());
        let shapes = spec.shapes()?;
        for (i, ls) in spec.layers.iter().enumerate() {
            let name = ls.resolved_name(i);
            let cx = BuildContext {
                name: &name,
                in_size: shapes[i].len(),
                in_shape: shapes[i],
                path: format!("model spec: layers[{i}]"),
                store: &mut store,
                rng: &mut rng,
                earlier: &built,
            };
            let layer = crate::layers::build(ls, cx)?;
            built.push((name, layer));
        }
        let (layer_names, layers) = built.into_iter().unzip();
        let optimizer = Optimizer::new(spec.optimizer);
        let dropout = spec
            .layers
            .iter()
            .map(|l| InputDropout::new(l.dropout()))
            .collect();
        let dropout_rng = Rng::new(spec.seed ^ 0xd0d0_d0d0_d0d0_d0d0);
        Ok(Network {
            spec,
            store,
            optimizer,
            layers,
            layer_names,
            shape: None,
            out: vec![],
            d_out: vec![],
            grad_a: vec![],
            grad_b: vec![],
            x_spikes: SpikeMatrix::default(),
            x_is_spikes: false,
            last_values: vec![],
            lengths: vec![],
            masked: false,
            valid_rows: vec![],
            dropout,
            dropout_rng,
            last_update: Default::default(),
            method: TrainingMethod::Bptt,
            carry_state: false,
        })
    }

    pub fn from_json(json: &str) -> Result<Network> {
        Network::new(ModelSpec::from_json(json)?)
    }

    pub fn output_size(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units())
    }

    pub fn layer_names(&self) -> &[String] {
        &self.layer_names
    }

    /// Rows of the readout for this shape: `B`, or `T*B` with the `sequence` readout.
    pub fn output_rows(&self, steps: usize, batch: usize) -> usize {
        readout::rows(self.spec.readout, SeqShape { steps, batch })
    }

    /// Checks a batch's inputs, shape and mask (not its targets); packs a spike input (only 0s
    /// and 1s) to bits on the way, which also proves it finite, so only other inputs need the
    /// finiteness scan.
    fn check_inputs(&mut self, b: &Batch) -> Result<SeqShape> {
        let width = self
            .layers
            .iter()
            .map(|l| l.units())
            .chain([self.spec.input_size])
            .max()
            .unwrap_or(1);
        let shape = b.shape(width)?;
        let (steps, batch) = (shape.steps, shape.batch);
        if let Some(c) = self
            .layers
            .iter()
            .find_map(|l| l.carried_batch())
            .filter(|&c| c != batch)
        {
            bail!("batch: the network carries the state of a batch of {c} sequences from the previous call, got a batch of {batch}; call resetState() before starting other sequences");
        }
        let x = b.x;
        let (len, what) = (
            shape.rows() * self.spec.input_size,
            format!(
                "[steps={steps}, batch={batch}, inputSize={}]",
                self.spec.input_size
            ),
        );
        if x.len() != len {
            bail!("x: expected {len} values ({what}), got {}", x.len());
        }
        // Spike inputs go in as bits (for the event-driven products); token ids never do.
        let vocab = self.spec.layers.first().and_then(|l| l.def().token_vocab());
        let ids = vocab.is_some();
        self.x_is_spikes = !ids && self.x_spikes.pack(x, shape.rows(), self.spec.input_size);
        if !self.x_is_spikes {
            check_finite("x", x, len, &what)?;
        }
        if let Some(vocab) = vocab {
            check_token_ids(x, vocab)?;
        }
        let lengths = b.lengths()?;
        self.masked = lengths.is_some();
        self.lengths = lengths.unwrap_or_default();
        Ok(shape)
    }

    /// The batch's targets, checked against the loss and the readout's rows.
    fn check_target<'b>(&self, b: &Batch<'b>, shape: SeqShape) -> Result<&'b [f32]> {
        let target = b.target()?;
        let rows = readout::rows(self.spec.readout, shape);
        let n = self.output_size();
        let width = target_width(self.spec.loss, n);
        let per_row = if width == 1 {
            String::new()
        } else {
            format!(", outputs={n}")
        };
        let what = if rows == shape.batch {
            format!("[batch={}{per_row}]", shape.batch)
        } else {
            format!("[steps={}, batch={}{per_row}]", shape.steps, shape.batch)
        };
        check_target(target, self.spec.loss, n, width, rows, &what)?;
        Ok(target)
    }

    /// Marks which readout rows the loss counts in `valid_rows`: all but the padded steps of a
    /// `sequence` readout. Returns false when every row counts.
    fn mark_valid_rows(&mut self, shape: SeqShape) -> bool {
        if !self.masked || self.spec.readout != crate::spec::Readout::Sequence {
            return false;
        }
        self.valid_rows.clear();
        let (lengths, batch) = (&self.lengths, shape.batch);
        self.valid_rows
            .extend((0..shape.rows()).map(|r| r / batch < lengths[r % batch]));
        true
    }

    /// Runs every layer over the batch's inputs and returns the readout (`rows x outputs`);
    /// the targets, if any, are not read.
    pub fn forward(&mut self, b: &Batch) -> Result<&[f32]> {
        self.recovering(|n| {
            let shape = n.check_inputs(b)?;
            n.run_forward(b.x, shape, false);
            Ok(())
        })?;
        Ok(&self.out)
    }

    /// Runs `f`, turning a refused allocation inside it (the `OutOfMemory` panic of a layer
    /// sizing its buffers for the call) into an error, after putting the network back in
    /// order: a call that failed part-way may have moved some layers' carried state and not
    /// others', and left the layers carrying state for OSTL. So the layers' carry switches go
    /// back to the network's, carried state and OSTL traces are reset (the error says so when
    /// state was being carried), and the next call starts clean. Any other panic unwinds on.
    pub(crate) fn recovering<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))) {
            Ok(r) => r,
            Err(payload) => match payload.downcast::<OutOfMemory>() {
                Ok(oom) => {
                    let carrying = self.carry_state;
                    self.set_carry_state(carrying);
                    for l in &mut self.layers {
                        l.reset_state();
                        l.reset_traces();
                    }
                    // No output, lengths or gradients of a call that did not finish.
                    self.shape = None;
                    self.out.clear();
                    self.masked = false;
                    self.lengths.clear();
                    self.store.zero_grads();
                    let reset = if carrying {
                        "; the state carried between calls was reset"
                    } else {
                        ""
                    };
                    Err(Error(format!("{oom}{reset}")))
                }
                Err(other) => std::panic::resume_unwind(other),
            },
        }
    }

    /// Runs the layers on `x`, packed by `check_shape` when it holds spikes. `training`
    /// applies the layers' input dropout.
    fn run_forward(&mut self, x: &[f32], shape: SeqShape, training: bool) {
        for i in 0..self.layers.len() {
            let (before, rest) = self.layers.split_at_mut(i);
            let mut input = before.last().map_or_else(
                || network_input(x, &self.x_spikes, self.x_is_spikes),
                |l| l.output(),
            );
            if let (true, Some(d)) = (training, &mut self.dropout[i]) {
                let k = before.last().map_or(self.spec.input_size, |l| l.units());
                input = d.apply(input, shape.rows(), k, &mut self.dropout_rng);
            }
            rest[0].forward(&self.store, input, shape);
        }
        let n = self.output_size();
        let y = match self.layers.last().unwrap().output() {
            SeqInput::Dense(v) => v,
            SeqInput::Spikes(bits) => {
                resize_or_oom(&mut self.last_values, bits.rows() * bits.cols(), 0.0);
                bits.unpack(&mut self.last_values);
                &self.last_values
            }
        };
        let lengths = self.masked.then_some(self.lengths.as_slice());
        readout::forward(self.spec.readout, y, shape, lengths, n, &mut self.out);
        self.shape = Some(shape);
    }

    /// Carries each SNU layer's last state `(s_T, y_T)` into the next call, which then
    /// continues the same `B` sequences (truncated BPTT over consecutive windows of long
    /// sequences: no gradient crosses into the previous window). Turning it on or off
    /// forgets any carried state.
    pub fn set_carry_state(&mut self, on: bool) {
        self.carry_state = on;
        self.layers.iter_mut().for_each(|l| l.set_carry_state(on));
    }

    /// Forgets the carried state: the next call starts its sequences from zero.
    pub fn reset_state(&mut self) {
        self.layers.iter_mut().for_each(|l| l.reset_state());
    }

    /// Forces the dense or the event-driven product for spike inputs (default: by density).
    pub fn set_product_path(&mut self, path: ProductPath) {
        self.layers
            .iter_mut()
            .for_each(|l| l.set_product_path(path));
    }

    /// The readout of the last forward pass.
    pub fn last_output(&self) -> &[f32] {
        &self.out
    }

    /// Each layer's output sequence `[T*B, units]` from the last forward pass (spikes for SNU layers).
    pub fn layer_outputs(&self) -> Vec<Vec<f32>> {
        self.layers.iter().map(|l| l.output_values()).collect()
    }

    /// Each layer's state sequence `s` `[T, B, units]` of the last forward pass (SNU layers; None
    /// for the others, and for all before a forward pass).
    pub fn layer_states(&self) -> Vec<Option<Vec<f32>>> {
        let rows = self.shape.map_or(0, |s| s.rows());
        self.layers
            .iter()
            .map(|l| {
                let len = rows * l.units();
                l.states()
                    .filter(|s| rows > 0 && s.len() >= len)
                    .map(|s| s[..len].to_vec())
            })
            .collect()
    }

    /// The loss on a batch, without gradients.
    pub fn loss(&mut self, b: &Batch) -> Result<f64> {
        self.recovering(|n| n.forward_and_loss(b, false))
    }

    /// Loss and accuracy counts on a batch in one forward pass, without gradients; the readout
    /// stays in the network (`last_output`) for a caller who wants it.
    pub fn evaluate(&mut self, b: &Batch) -> Result<Evaluation> {
        self.recovering(|n| {
            let loss = n.forward_and_loss(b, false)?;
            let correct = n.last_correct(b.target()?)?;
            Ok(Evaluation { loss, correct })
        })
    }

    /// Checks the batch, runs the layers (with dropout when `training`) and the loss; `d_out`
    /// receives `dL/d readout`.
    fn forward_and_loss(&mut self, b: &Batch, training: bool) -> Result<f64> {
        let shape = self.check_inputs(b)?;
        let target = self.check_target(b, shape)?;
        self.run_forward(b.x, shape, training);
        let n = self.output_size();
        let valid = self
            .mark_valid_rows(shape)
            .then_some(self.valid_rows.as_slice());
        Ok(loss_and_reduced_grad(
            self.spec.loss,
            self.spec.loss_reduction.unwrap_or_default(),
            &self.out,
            target,
            n,
            valid,
            &mut self.d_out,
        ))
    }

    /// Forward, loss and BPTT: returns the loss; gradients are in `store.grads`.
    pub fn compute_gradients(&mut self, b: &Batch) -> Result<f64> {
        self.recovering(|n| n.gradients(b))
    }

    /// `compute_gradients` without the recovery.
    fn gradients(&mut self, b: &Batch) -> Result<f64> {
        let loss = self.forward_and_loss(b, true)?;
        let x = b.x;
        let shape = self.shape.unwrap();
        self.store.zero_grads();
        let n = self.output_size();
        let lengths = self.masked.then_some(self.lengths.as_slice());
        readout::backward(
            self.spec.readout,
            &self.d_out,
            shape,
            lengths,
            n,
            &mut self.grad_a,
        );
        let window = self.spec.tbptt.unwrap_or(usize::MAX);
        self.backward_layers(x, shape, |layer, store, input, dy, dx, shape| {
            layer.backward(store, input, dy, dx, shape, window)
        });
        Ok(loss)
    }

    /// Runs `step` on every layer from the last to the first, as BPTT and OSTL do: `grad_a`
    /// holds `dL/dy` of the layer on entry (from the readout for the last one), and the layer
    /// writes `dL/dx` of its input for the one below (through its input dropout).
    fn backward_layers(
        &mut self,
        x: &[f32],
        shape: SeqShape,
        mut step: impl FnMut(
            &mut Layer,
            &mut ParamStore,
            SeqInput,
            &[f32],
            Option<&mut [f32]>,
            SeqShape,
        ),
    ) {
        for i in (0..self.layers.len()).rev() {
            let (before, rest) = self.layers.split_at_mut(i);
            let input = match &self.dropout[i] {
                Some(d) => d.dropped(),
                None => before.last().map_or_else(
                    || network_input(x, &self.x_spikes, self.x_is_spikes),
                    |l| l.output(),
                ),
            };
            let dx = if i > 0 {
                let len = shape.rows() * before.last().unwrap().units();
                resize_or_oom(&mut self.grad_b, len, 0.0);
                Some(self.grad_b.as_mut_slice())
            } else {
                None
            };
            step(
                &mut rest[0],
                &mut self.store,
                input,
                &self.grad_a,
                dx,
                shape,
            );
            if let (true, Some(d)) = (i > 0, &self.dropout[i]) {
                d.backward(&mut self.grad_b);
            }
            std::mem::swap(&mut self.grad_a, &mut self.grad_b);
        }
    }

    /// One optimisation step on a batch: the loss before the update, the accuracy counts of
    /// the output before the update, and what went to the crossbars.
    /// A non-finite loss or gradient leaves the weights untouched and is an error.
    /// With `TrainingMethod::Ostl` the gradients are OSTL's (`network/ostl.rs`).
    pub fn train_step(&mut self, b: &Batch) -> Result<StepReport> {
        self.recovering(|n| n.step(b))
    }

    /// `train_step` without the recovery.
    fn step(&mut self, b: &Batch) -> Result<StepReport> {
        if let TrainingMethod::Ostl { update_every } = self.method {
            return self.ostl_step(b, update_every);
        }
        let loss = self.gradients(b)?;
        let correct = self.last_correct(b.target()?)?;
        let devices = self.apply_gradients(loss)?;
        Ok(StepReport {
            loss,
            correct,
            devices,
        })
    }

    /// The update from the gradients in the store: the finiteness check, clipping, the
    /// optimizer, the parameters' domains, and the transfer to any crossbars.
    fn apply_gradients(&mut self, loss: f64) -> Result<crate::pcm::UpdateReport> {
        // One pass over the gradients: their norm is not finite exactly when one of them is not.
        let norm = global_norm(&self.store);
        if !loss.is_finite() || !norm.is_finite() {
            // Weights that are already invalid are the cause to name, not the learning rate.
            if let Some(p) = self
                .store
                .params
                .iter()
                .find(|p| !p.value.iter().all(|v| v.is_finite()))
            {
                bail!("training step: parameter {} holds non-finite values (an earlier update overflowed); nothing was updated. Load a checkpoint or set the weights again (setWeights), and lower the learning rate or set clipNorm", p.name);
            }
            bail!("training step: the loss or a gradient is not finite (loss = {}); the weights were left unchanged. Lower the learning rate or set clipNorm", js_num(loss));
        }
        if let Some(c) = self.spec.clip_norm {
            if norm > c {
                scale_gradients(&mut self.store, c / norm);
            }
        }
        if let Some(i) = self.optimizer.update(&mut self.store)? {
            bail!("training step: the update overflowed float32: parameter {} now holds non-finite values (the learning rate times the gradient is too large). This step's weights are not usable: load a checkpoint or set the weights again (setWeights), and lower the learning rate or set clipNorm", self.store.params[i].name);
        }
        for l in &self.layers {
            l.project(&mut self.store);
        }
        let report = self.transfer_updates_to_devices()?;
        self.last_update = report.clone();
        Ok(report)
    }

    pub fn params(&self) -> &[Param] {
        &self.store.params
    }

    pub fn param(&self, name: &str) -> Result<&Param> {
        match self.store.index_of(name) {
            Some(i) => Ok(&self.store.params[i]),
            None => bail!(
                "parameter name: unknown parameter {name:?}; known: {}",
                self.param_names().join(", ")
            ),
        }
    }

    /// The bytes a trained network holds for its parameters, whatever the batch: each value,
    /// its gradient, and up to two optimizer moments (Adam's), 4 bytes each. The workspaces of
    /// a batch (activations kept for BPTT) come on top and scale with `T x B`.
    pub fn state_bytes(&self) -> usize {
        const COPIES: usize = 4;
        let values: usize = self.store.params.iter().map(|p| p.value.len()).sum();
        values * COPIES * std::mem::size_of::<f32>()
    }

    pub fn param_names(&self) -> Vec<String> {
        self.store.params.iter().map(|p| p.name.clone()).collect()
    }

    /// The gradient of the named parameter from the last `compute_gradients`.
    pub fn grad(&self, name: &str) -> Result<&[f32]> {
        self.param(name)?;
        Ok(&self.store.grads[self.store.index_of(name).unwrap()])
    }

    pub fn set_param(&mut self, name: &str, value: &[f32]) -> Result<()> {
        let p = self.param(name)?;
        check_finite(
            &format!("value of {name}"),
            value,
            p.value.len(),
            &format!("shape {:?}", p.shape),
        )?;
        let i = self.store.index_of(name).unwrap();
        self.store.params[i].value.copy_from_slice(value);
        for l in &self.layers {
            l.project(&mut self.store);
        }
        self.reprogram_if_analog(i)
    }

    /// Restarts the dropout masks from `seed`: two training passes on the same batch after
    /// the same seed drop the same inputs.
    pub fn set_dropout_seed(&mut self, seed: u64) {
        self.dropout_rng = Rng::new(seed);
    }

    pub fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        if !(lr.is_finite() && (0.0..=MAX_LR).contains(&lr)) {
            bail!(
                "learningRate: expected a number in [0, {MAX_LR}], got {}",
                js_num(lr)
            );
        }
        self.spec.optimizer.set_lr(lr);
        self.optimizer.spec.set_lr(lr);
        Ok(())
    }
}

fn network_input<'a>(x: &'a [f32], bits: &'a SpikeMatrix, is_spikes: bool) -> SeqInput<'a> {
    if is_spikes {
        SeqInput::Spikes(bits)
    } else {
        SeqInput::Dense(x)
    }
}
