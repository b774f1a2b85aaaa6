//! OSTL, online spatio-temporal learning (Bohnstingl, Woźniak, Pantazi, Eleftheriou, IEEE TNNLS
//! 2023): gradients from eligibility traces carried forward in time, instead of BPTT's pass
//! backward through time (docs/equations.md).
//!
//! A batch runs forward in windows of `update_every` steps (the whole sequence without it), each
//! continuing from the state the last one left, as truncated BPTT over calls does. After each
//! window every layer turns the window's learning signals into parameter gradients with its
//! traces (`SeqLayer::ostl_backward`), and the optimizer steps. A layer's learning signal is
//! `∂L_t/∂y_t` through the layers above at the same step only (OSTL's spatial gradient), so
//! OSTL equals BPTT for one layer and approximates it for deeper networks. Memory: the traces
//! (one `[in, n]` per sample and SNU layer; dense `[(in + n + 1 (+ 1)) n, n]` with recurrent
//! `H`) and one window's activations, whatever `T`.

use super::{Correct, Network, StepReport};
use crate::bail;
use crate::batch::Batch;
use crate::error::Result;
use crate::layers::SeqShape;
use crate::limits::MAX_VALUES;
use crate::pcm::UpdateReport;
use crate::spec::Readout;
use crate::train::loss::{loss_and_reduced_grad, target_width};
use crate::train::readout;

/// How `Network::train_step` computes its gradients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrainingMethod {
    /// Backpropagation through time (within the spec's `tbptt` windows, if any).
    #[default]
    Bptt,
    /// OSTL. `update_every: Some(k)` updates the weights after every `k` steps of the batch's
    /// sequences (online learning; needs a target at every step, the `sequence` readout);
    /// `None` once per batch, after the last step.
    Ostl { update_every: Option<usize> },
}

impl Network {
    /// Sets how `train_step` computes its gradients; OSTL is refused, naming the layer and the
    /// reason, for a network it cannot train.
    pub fn set_training_method(&mut self, method: TrainingMethod) -> Result<()> {
        if let TrainingMethod::Ostl { update_every } = method {
            self.check_ostl(update_every)?;
        }
        self.method = method;
        Ok(())
    }

    pub fn training_method(&self) -> TrainingMethod {
        self.method
    }

    /// The OSTL gradient of a batch in the store, summed over its windows, without an update
    /// (each window's gradient is that of the mean over its own rows, or of their sum with
    /// `lossReduction: "sum"`); returns the batch's loss.
    pub fn ostl_gradients(&mut self, b: &Batch, update_every: Option<usize>) -> Result<f64> {
        self.recovering(|n| Ok(n.ostl_pass(b, update_every, false)?.loss))
    }

    /// One OSTL training pass over a batch (`train_step` with `TrainingMethod::Ostl`).
    pub(super) fn ostl_step(
        &mut self,
        b: &Batch,
        update_every: Option<usize>,
    ) -> Result<StepReport> {
        self.ostl_pass(b, update_every, true)
    }

    fn check_ostl(&self, update_every: Option<usize>) -> Result<()> {
        for (name, layer) in self.layer_names.iter().zip(&self.layers) {
            if let Some(why) = layer.ostl_refusal() {
                bail!("ostl: layer {name:?} cannot learn online: {why}");
            }
        }
        match update_every {
            Some(0) => bail!("ostl: updateEvery: expected an integer >= 1, got 0"),
            Some(k) if self.spec.readout != Readout::Sequence => bail!(
                "ostl: updateEvery {k} updates the weights within a sequence, which needs a target at every step (readout 'sequence'); with readout '{}' the loss is known only after the last step: leave updateEvery unset to update once per batch",
                readout_name(self.spec.readout)
            ),
            _ => Ok(()),
        }
    }

    /// The windows of a batch: forward, loss, OSTL gradients and, when `update`, the update.
    /// The loss and accuracy counts are over the whole batch, each window's before its update.
    fn ostl_pass(
        &mut self,
        b: &Batch,
        update_every: Option<usize>,
        update: bool,
    ) -> Result<StepReport> {
        self.check_ostl(update_every)?;
        if self.carry_state {
            bail!("ostl: the network carries its state across calls (setCarryState(true)); OSTL runs each batch as whole sequences: turn carrying off");
        }
        let shape = self.check_inputs(b)?;
        let target = self.check_target(b, shape)?;
        for (name, layer) in self.layer_names.iter().zip(&self.layers) {
            let values = layer.ostl_trace_values(shape.batch);
            if values > MAX_VALUES {
                bail!("ostl: layer {name:?}'s eligibility traces for a batch of {} sequences would hold {values} values, above the {MAX_VALUES} the engine takes; use a smaller batch", shape.batch);
            }
        }
        // Fresh sequences, carried from window to window.
        for (name, layer) in self.layer_names.iter().zip(&mut self.layers) {
            layer.set_carry_state(true);
            layer.reset_traces();
            if let Err(e) = layer.ostl_prepare(shape.batch) {
                self.layers
                    .iter_mut()
                    .for_each(|l| l.set_carry_state(false));
                bail!("layer {name:?}: {e}");
            }
        }
        self.store.zero_grads();
        let every = update_every.unwrap_or(shape.steps).min(shape.steps);
        let result = self.ostl_windows(b.x, target, shape, every, update);
        for layer in &mut self.layers {
            layer.set_carry_state(false);
            layer.reset_traces();
        }
        result
    }

    fn ostl_windows(
        &mut self,
        x: &[f32],
        target: &[f32],
        shape: SeqShape,
        every: usize,
        update: bool,
    ) -> Result<StepReport> {
        let (steps, batch, in_size) = (shape.steps, shape.batch, self.spec.input_size);
        let n = self.output_size();
        let tw = target_width(self.spec.loss, n);
        let sequence = self.spec.readout == Readout::Sequence;
        let ids = self
            .spec
            .layers
            .first()
            .and_then(|l| l.def().token_vocab())
            .is_some();
        let lengths = self.lengths.clone();
        let (mut loss_sum, mut counted) = (0.0, 0usize);
        let mut correct: Option<Correct> = None;
        let mut devices = UpdateReport::default();
        for t0 in (0..steps).step_by(every) {
            // Padding comes after the real steps: once no sample has one left, nothing remains.
            if self.masked && lengths.iter().all(|&l| l <= t0) {
                break;
            }
            let t1 = (t0 + every).min(steps);
            let w = SeqShape {
                steps: t1 - t0,
                batch,
            };
            let xw = &x[t0 * batch * in_size..t1 * batch * in_size];
            self.x_is_spikes = !ids && self.x_spikes.pack(xw, w.rows(), in_size);
            if self.masked {
                self.lengths = lengths
                    .iter()
                    .map(|&l| l.saturating_sub(t0).min(w.steps))
                    .collect();
            }
            let y = if sequence {
                &target[t0 * batch * tw..t1 * batch * tw]
            } else {
                target
            };
            self.run_forward(xw, w, true);
            let valid = self
                .mark_valid_rows(w)
                .then_some(self.valid_rows.as_slice());
            let rows = valid.map_or(readout::rows(self.spec.readout, w), |v| {
                v.iter().filter(|&&v| v).count()
            });
            let loss = loss_and_reduced_grad(
                self.spec.loss,
                self.spec.loss_reduction.unwrap_or_default(),
                &self.out,
                y,
                n,
                valid,
                &mut self.d_out,
            );
            (loss_sum, counted) = (loss_sum + loss * rows as f64, counted + rows);
            if let Some(c) = self.last_correct(y)? {
                let sum = correct.get_or_insert(Correct {
                    correct: 0,
                    rows: 0,
                });
                (sum.correct, sum.rows) = (sum.correct + c.correct, sum.rows + c.rows);
            }
            let lens = self.masked.then_some(self.lengths.as_slice());
            readout::backward(self.spec.readout, &self.d_out, w, lens, n, &mut self.grad_a);
            self.backward_layers(xw, w, |layer, store, input, dy, dx, shape| {
                layer.ostl_backward(store, input, dy, dx, shape)
            });
            if update {
                let report = self.apply_gradients(loss)?;
                devices.pulses_plus += report.pulses_plus;
                devices.pulses_minus += report.pulses_minus;
                devices.capped += report.capped;
                devices.refreshes += report.refreshes;
                self.store.zero_grads();
            }
        }
        self.lengths = lengths;
        Ok(StepReport {
            loss: loss_sum / counted.max(1) as f64,
            correct,
            devices,
        })
    }
}

fn readout_name(r: Readout) -> &'static str {
    match r {
        Readout::Sum => "sum",
        Readout::Mean => "mean",
        Readout::Last => "last",
        Readout::Sequence => "sequence",
    }
}
