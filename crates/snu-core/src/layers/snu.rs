//! The Spiking Neural Unit layer (docs/design.md §1), forward over a whole sequence and BPTT.
//!
//! ```text
//! u_t = x_t W [+ y_{t-1} H] [+ c]                           the input term (c: input bias)
//! i_t = α i_{t-1} + u_t                                     with a synapse (α > 0); else i_t = u_t
//! a_t = i_t + l ⊙ s_{t-1} ⊙ r_{t-1}                         r = 1 - y   (lateral inhibition: 1 - max_j y_j)
//! s_t = g(a_t)
//! y_t = h(s_t + b)                                          s_0 = 0, y_0 = 0, i_0 = 0
//! ```
//! With carried state (truncated BPTT over consecutive windows of one long sequence),
//! `s_0, y_0` are the last state of the previous window instead: the forward pass continues
//! from it, and no gradient flows back into it.
//! The input term `x_t W` is one of two projections: a dense `x W` (`[in, n]`, event-driven for
//! sparse spike inputs, see `product.rs`) or, for `snuConv2d`, a convolution of channels-first
//! images (`kernels/conv.rs`), whose units are `[O, OH, OW]` with one bias (and trainable decay)
//! per output channel, shared by its positions.
//! `x W` for all steps is one product;
//! only the element-wise recurrence runs step by step, in parallel over chunks of the batch
//! (samples are independent). One `[T*B, n]` buffer holds `x W`, then `s`, then in BPTT
//! `dL/da` (`g'(a)` is read off `s`); a spiking layer keeps its outputs as bits.

mod ostl;
mod ostl_recurrent;

use super::conv_product::ConvProducts;
use super::product::{InputProducts, ProductPath, SeqInput};
use super::{ensure_len, BuildContext, SeqLayer, SeqShape};
use crate::error::Result;
use crate::kernels::argmax::argmax;
use crate::kernels::column_sums::add_column_sums;
use crate::kernels::event::for_each_spike;
use crate::kernels::fastmath::flush_subnormal;
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::rng::glorot_uniform;
use crate::kernels::shared_rows::SharedRows;
use crate::kernels::simd::simd_kernel;
use crate::kernels::spikes::SpikeMatrix;
use crate::layers::activation::{OutputActivation, StateActivation, Surrogate};
use crate::params::ParamStore;
use crate::pcm::AnalogTile;
use crate::spec::{SnuConv2dSpec, SnuSpec};
use rayon::prelude::*;

/// Largest value the trainable decay is projected to, keeping `l < 1`.
pub const MAX_DECAY: f32 = 0.9999;

/// The batch is cut into at most this many chunks for the parallel time loop. The cut depends
/// on the batch size only, so sums over chunks (bias and decay gradients) come out bit-identical
/// whatever the number of threads.
const MAX_CHUNKS: usize = 16;

/// The pointwise configuration of the unit.
#[derive(Clone, Copy)]
struct Unit {
    g: StateActivation,
    h: OutputActivation,
    surrogate: Surrogate,
    detach_reset: bool,
    lateral: bool,
}

/// The layer's output sequence: bits for spikes (step output), values for sSNU.
pub enum Outputs {
    Spikes(SpikeMatrix),
    Values(Vec<f32>),
}

impl Outputs {
    fn as_input(&self) -> SeqInput<'_> {
        match self {
            Outputs::Spikes(bits) => SeqInput::Spikes(bits),
            Outputs::Values(v) => SeqInput::Dense(v),
        }
    }
}

/// How the layer's input reaches its units.
enum Projection {
    /// `x_t W` with `W` `[in, n]`: event-driven for sparse spikes, or read off a crossbar.
    Dense {
        input: InputProducts,
        in_size: usize,
    },
    /// `conv(x_t, W)` with `W` `[O, C, KH, KW]`: event-driven for sparse spikes.
    Conv(ConvProducts),
}

/// The unit's options, as both SNU layer types give them.
struct UnitOptions {
    unit: Unit,
    decay: f32,
    trainable_decay: bool,
    initial_bias: f32,
    input_bias: bool,
    synapse: f32,
}

pub struct SnuLayer {
    pub units: usize,
    unit: Unit,
    fixed_decay: f32,
    projection: Projection,
    w: usize,
    rec: Option<usize>,
    /// `b` (and a trainable decay) hold one value per `positions` units: 1 for a dense layer,
    /// `OH*OW` for a convolution (a channel's units share them).
    positions: usize,
    b: usize,
    decay: Option<usize>,
    /// The input bias `c`, if any (one value per `positions` units, as `b`).
    c: Option<usize>,
    /// `α` of the synaptic current; 0 for none.
    synapse: f32,
    /// `b` repeated over the positions, for this pass.
    bias_now: Vec<f32>,
    /// `c` repeated over the positions, for this pass.
    c_now: Vec<f32>,
    /// `x W (+ ...)`, then the state `s`; after BPTT `dL/da`. `[T*B, units]`.
    s: Vec<f32>,
    pub y: Outputs,
    recurrent: InputProducts,
    /// The decay `l` per unit for this pass (trainable values or the fixed one repeated).
    decay_now: Vec<f32>,
    /// Per chunk: two `[chunk, units]` row blocks of scratch and `[2, units]` partial sums.
    scratch: Vec<f32>,
    partials: Vec<f32>,
    /// Carried state: `s_0, y_0` of this pass (`[B, units]`, when `has_initial`) and the last
    /// state of the latest pass, kept for the next one.
    pub carry_state: bool,
    initial: State,
    has_initial: bool,
    last: State,
    has_last: bool,
    /// OSTL's eligibility traces (`snu/ostl.rs`; with `H`, `snu/ostl_recurrent.rs`).
    traces: ostl::Traces,
    dense_traces: ostl_recurrent::DenseTraces,
}

/// A `[B, units]` state: `s`, `y` as values, and the synaptic current `i` (with a synapse).
#[derive(Default)]
struct State {
    s: Vec<f32>,
    y: Vec<f32>,
    i: Vec<f32>,
    batch: usize,
}

/// How the batch is cut: `count` chunks of `size` samples (the last may be shorter).
#[derive(Clone, Copy)]
struct Chunks {
    size: usize,
    count: usize,
}

impl Chunks {
    fn of(batch: usize) -> Chunks {
        let size = batch.div_ceil(batch.clamp(1, MAX_CHUNKS));
        Chunks {
            size,
            count: batch.div_ceil(size),
        }
    }

    /// Scratch floats per chunk: two `[size, n]` row blocks and two single rows, and with a
    /// synapse a third block (the current `i` forward, `dL/da_{t+1}` in BPTT).
    fn scratch_len(&self, n: usize, synaptic: bool) -> usize {
        (2 * self.size + 2 + if synaptic { self.size } else { 0 }) * n
    }

    fn samples(&self, c: usize, batch: usize) -> (usize, usize) {
        (c * self.size, ((c + 1) * self.size).min(batch))
    }
}

impl SnuLayer {
    pub fn new(spec: &SnuSpec, cx: BuildContext) -> Result<Self> {
        let BuildContext {
            name,
            in_size,
            store: p,
            rng,
            ..
        } = cx;
        let n = spec.units;
        let w = p.add(format!("{name}.W"), vec![in_size, n], 0.0)?;
        glorot_uniform(rng, in_size, n, &mut p.params[w].value);
        let rec = match spec.recurrent {
            true => {
                let h = p.add(format!("{name}.H"), vec![n, n], 0.0)?;
                glorot_uniform(rng, n, n, &mut p.params[h].value);
                Some(h)
            }
            false => None,
        };
        let options = UnitOptions {
            unit: Unit {
                g: spec.g,
                h: spec.output,
                surrogate: spec.surrogate,
                detach_reset: spec.detach_reset,
                lateral: spec.lateral_inhibition,
            },
            decay: spec.decay,
            trainable_decay: spec.trainable_decay,
            initial_bias: spec.initial_bias,
            input_bias: spec.input_bias,
            synapse: spec.synapse,
        };
        let input = InputProducts::default();
        Self::with(
            name,
            p,
            options,
            n,
            1,
            Projection::Dense { input, in_size },
            w,
            rec,
        )
    }

    /// An SNU layer whose input term is a convolution: `a_t = conv(x_t, W) + l s_{t-1} r_{t-1}`
    /// over `[O, OH, OW]` units, with one bias and trainable decay per output channel.
    pub fn conv(spec: &SnuConv2dSpec, cx: BuildContext) -> Result<Self> {
        let geometry = spec.geometry(&cx.path, cx.in_shape)?;
        let BuildContext {
            name,
            store: p,
            rng,
            ..
        } = cx;
        let (o, k, taps) = (
            geometry.out_c,
            geometry.patch_len(),
            geometry.kernel[0] * geometry.kernel[1],
        );
        let w = p.add(
            format!("{name}.W"),
            vec![o, geometry.in_c, geometry.kernel[0], geometry.kernel[1]],
            0.0,
        )?;
        glorot_uniform(rng, k, o * taps, &mut p.params[w].value);
        let options = UnitOptions {
            unit: Unit {
                g: spec.g,
                h: spec.output,
                surrogate: spec.surrogate,
                detach_reset: spec.detach_reset,
                lateral: spec.lateral_inhibition,
            },
            decay: spec.decay,
            trainable_decay: spec.trainable_decay,
            initial_bias: spec.initial_bias,
            input_bias: spec.input_bias,
            synapse: spec.synapse,
        };
        let projection = Projection::Conv(ConvProducts::new(geometry));
        Self::with(
            name,
            p,
            options,
            geometry.out_len(),
            geometry.positions(),
            projection,
            w,
            None,
        )
    }

    /// The layer around its projection: `b` and the decay (one value per `positions` units).
    #[allow(clippy::too_many_arguments)]
    fn with(
        name: &str,
        p: &mut ParamStore,
        o: UnitOptions,
        n: usize,
        positions: usize,
        projection: Projection,
        w: usize,
        rec: Option<usize>,
    ) -> Result<Self> {
        let shared = n / positions;
        let b = p.add(format!("{name}.b"), vec![shared], o.initial_bias)?;
        let c = o
            .input_bias
            .then(|| p.add(format!("{name}.c"), vec![shared], 0.0))
            .transpose()?;
        let decay = o
            .trainable_decay
            .then(|| p.add(format!("{name}.decay"), vec![shared], o.decay))
            .transpose()?;
        let spiking = o.unit.h == OutputActivation::Step;
        Ok(SnuLayer {
            units: n,
            unit: o.unit,
            fixed_decay: o.decay,
            projection,
            w,
            rec,
            positions,
            b,
            decay,
            c,
            synapse: o.synapse,
            bias_now: vec![],
            c_now: vec![],
            s: vec![],
            y: if spiking {
                Outputs::Spikes(SpikeMatrix::default())
            } else {
                Outputs::Values(vec![])
            },
            recurrent: InputProducts::default(),
            decay_now: vec![],
            scratch: vec![],
            partials: vec![],
            carry_state: false,
            initial: State::default(),
            has_initial: false,
            last: State::default(),
            has_last: false,
            traces: ostl::Traces::default(),
            dense_traces: ostl_recurrent::DenseTraces::default(),
        })
    }

    fn prepare(&mut self, p: &ParamStore, shape: SeqShape) -> Chunks {
        let n = self.units;
        self.decay_now.clear();
        match self.decay {
            Some(i) => repeat_each(p.value(i), self.positions, &mut self.decay_now),
            None => self.decay_now.resize(n, self.fixed_decay),
        }
        self.bias_now.clear();
        repeat_each(p.value(self.b), self.positions, &mut self.bias_now);
        self.c_now.clear();
        if let Some(c) = self.c {
            repeat_each(p.value(c), self.positions, &mut self.c_now);
        }
        let chunks = Chunks::of(shape.batch);
        ensure_len(
            &mut self.scratch,
            chunks.count * chunks.scratch_len(n, self.synapse > 0.0),
        );
        ensure_len(&mut self.partials, chunks.count * 2 * n);
        chunks
    }

    fn forward_sequence(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        let (steps, batch, n) = (shape.steps, shape.batch, self.units);
        let rows = shape.rows();
        // The last state of the previous pass becomes this pass's s_0, y_0.
        self.has_initial = self.carry_state && self.has_last && self.last.batch == batch;
        if self.has_initial {
            std::mem::swap(&mut self.initial, &mut self.last);
        }
        self.has_last = false;
        ensure_len(&mut self.s, rows * n);
        // a_t <- x_t W (or conv(x_t, W)) for all t at once.
        match &mut self.projection {
            Projection::Dense { input, in_size } => {
                input.forward(x, rows, p.value(self.w), *in_size, n, &mut self.s)
            }
            Projection::Conv(conv) => conv.forward(x, rows, p.value(self.w), &mut self.s),
        }
        let chunks = self.prepare(p, shape);
        if self.c.is_some() {
            // u_t += c at every step.
            for row in self.s[..rows * n].chunks_exact_mut(n) {
                row.iter_mut().zip(&self.c_now).for_each(|(a, c)| *a += c);
            }
        }
        let synaptic = self.synapse > 0.0;
        let initial = self.has_initial.then_some(Initial {
            s: &self.initial.s,
            y: &self.initial.y,
            i: &self.initial.i,
        });
        let ctx = StepContext {
            unit: self.unit,
            decay: &self.decay_now,
            bias: &self.bias_now,
            h: self.rec.map(|h| p.value(h)),
            synapse: self.synapse,
            n,
            batch,
            initial,
        };
        // The step kernels zip these with the rows: a short one would cut them silently.
        debug_assert!(ctx.bias.len() == n && ctx.decay.len() == n);
        let s = SharedRows::new(&mut self.s, n);
        let out = match &mut self.y {
            Outputs::Spikes(bits) => {
                bits.reset(rows, n);
                let words = bits.words_per_row();
                OutRows::Bits(SharedRows::new(bits.words_mut(), words))
            }
            Outputs::Values(y) => {
                ensure_len(y, rows * n);
                OutRows::Values(SharedRows::new(y, n))
            }
        };
        run_chunks(
            &mut self.scratch,
            chunks,
            batch,
            n,
            synaptic,
            |c, scratch| forward_chunk(&ctx, steps, chunks.samples(c, batch), s, out, scratch),
        );
        if self.carry_state {
            self.keep_last_state(shape, chunks);
        }
    }

    /// Copies `s_T, y_T` (rows of the last step) and, with a synapse, `i_T` (left in each
    /// chunk's scratch by `forward_chunk`) for the next pass.
    fn keep_last_state(&mut self, shape: SeqShape, chunks: Chunks) {
        let (n, batch) = (self.units, shape.batch);
        self.last.i.clear();
        if self.synapse > 0.0 {
            let per_chunk = chunks.scratch_len(n, true);
            for c in 0..chunks.count {
                let (b0, b1) = chunks.samples(c, batch);
                let block = &self.scratch[c * per_chunk..][2 * chunks.size * n..];
                self.last.i.extend_from_slice(&block[..(b1 - b0) * n]);
            }
        }
        let last_rows = (shape.steps - 1) * batch..shape.steps * batch;
        self.last.s.clear();
        self.last
            .s
            .extend_from_slice(&self.s[last_rows.start * n..last_rows.end * n]);
        self.last.y.resize(batch * n, 0.0);
        let view = match &self.y {
            Outputs::Spikes(bits) => OutView::Bits(bits),
            Outputs::Values(v) => OutView::Values(v),
        };
        for (i, row) in self.last.y.chunks_exact_mut(n).enumerate() {
            view.row_into(last_rows.start + i, row);
        }
        self.last.batch = batch;
        self.has_last = true;
    }

    /// BPTT. Going backwards, `da_{t+1}` reaches step `t` through `H`, through the
    /// reset gate (unless detached) and through the decay term:
    /// ```text
    /// dy_t = dy_t(above) + da_{t+1} H^T - da_{t+1} ⊙ l ⊙ s_t         (reset path; lateral: to argmax_j y_t)
    /// dz_t = dy_t ⊙ h'(z_t)             (h' = surrogate for step, y(1-y) for sigmoid);  db += dz_t
    /// ds_t = dz_t + da_{t+1} ⊙ l ⊙ r_t
    /// da_t = ds_t ⊙ g'(a_t);            dl += da_t ⊙ s_{t-1} ⊙ r_{t-1}
    /// dW = X^T dA,  dH = Y_{t-1}^T dA_t (all t),  dX = dA W^T
    /// ```
    /// With a window `k`, `da_{t+1}` is not carried into step `t` when `t + 1` starts a window.
    fn backward_sequence(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        window: usize,
    ) {
        let (steps, batch, n) = (shape.steps, shape.batch, self.units);
        let chunks = self.prepare(p, shape);
        let synaptic = self.synapse > 0.0;
        {
            let initial = self.has_initial.then_some(Initial {
                s: &self.initial.s,
                y: &self.initial.y,
                i: &self.initial.i,
            });
            let ctx = StepContext {
                unit: self.unit,
                decay: &self.decay_now,
                bias: &self.bias_now,
                h: self.rec.map(|h| p.value(h)),
                synapse: self.synapse,
                n,
                batch,
                initial,
            };
            // The step kernels zip these with the rows: a short one would cut them silently.
            debug_assert!(ctx.bias.len() == n && ctx.decay.len() == n);
            let s = SharedRows::new(&mut self.s, n);
            let y = match &self.y {
                Outputs::Spikes(bits) => OutView::Bits(bits),
                Outputs::Values(v) => OutView::Values(v),
            };
            let trainable_decay = self.decay.is_some();
            let parts = SharedRows::new(&mut self.partials, 2 * n);
            run_chunks(
                &mut self.scratch,
                chunks,
                batch,
                n,
                synaptic,
                |c, scratch| {
                    // SAFETY: chunk c owns partial row c.
                    let part = unsafe { parts.rows_mut(c, 1) };
                    part.fill(0.0);
                    let (db, dl) = part.split_at_mut(n);
                    backward_chunk(
                        &ctx,
                        steps,
                        window,
                        chunks.samples(c, batch),
                        s,
                        y,
                        dy,
                        scratch,
                        db,
                        trainable_decay.then_some(dl),
                    );
                },
            );
        }
        // Sum the chunks' partial bias and decay gradients in chunk order (and, for a
        // convolution, each channel's positions in order).
        for part in self.partials.chunks_exact(2 * n).take(chunks.count) {
            add_grouped(&part[..n], self.positions, &mut p.grads[self.b]);
            if let Some(i) = self.decay {
                add_grouped(&part[n..], self.positions, &mut p.grads[i]);
            }
        }
        let rows = shape.rows();
        // From here `s` holds dL/du_t (dL/di_t with a synapse, dL/da_t without): what the input
        // term's parameters and the layer's input see.
        let da = &self.s;
        if let Some(c) = self.c {
            // dc += Σ_rows dL/du, each channel's positions summed in order.
            let mut sums = vec![0.0f32; n];
            add_column_sums(&da[..rows * n], n, 0, &mut sums);
            add_grouped(&sums, self.positions, &mut p.grads[c]);
        }
        let in_size = match &mut self.projection {
            Projection::Dense { input, in_size } => {
                // dW += X^T dA over all T*B rows at once.
                input.weight_grad(x, 0..rows, da, *in_size, n, &mut p.grads[self.w]);
                *in_size
            }
            Projection::Conv(conv) => {
                // dW += sum_r dA[r] cols(x[r])^T (event-driven for sparse spikes); dx = col2im(W^T dA).
                let (w, dw) = (p.params[self.w].value.as_slice(), &mut p.grads[self.w]);
                conv.backward(x, rows, w, da, dw, dx);
                return;
            }
        };
        if let (Some(h), true) = (self.rec, steps > 1) {
            // dH += sum_t y_{t-1}^T da_t: rows 0..T-1 of Y against rows 1..T of dA.
            let y = self.y.as_input();
            self.recurrent.prepare(y, n, n);
            self.recurrent.weight_grad(
                y,
                0..(steps - 1) * batch,
                &da[batch * n..],
                n,
                n,
                &mut p.grads[h],
            );
        }
        if let (Some(h), true) = (self.rec, self.has_initial) {
            // dH += y_0^T da_1: the carried output feeds the first step.
            gemm(
                1.0,
                Mat::new(&self.initial.y, batch, n),
                true,
                Mat::new(&da[..batch * n], batch, n),
                false,
                1.0,
                &mut p.grads[h],
            );
        }
        if let Some(dx) = dx {
            gemm(
                1.0,
                Mat::new(da, rows, n),
                false,
                Mat::new(p.value(self.w), in_size, n),
                true,
                0.0,
                dx,
            );
        }
    }
}

/// Each value of `shared` repeated `times` times (a channel's bias over its positions).
fn repeat_each(shared: &[f32], times: usize, out: &mut Vec<f32>) {
    if times == 1 {
        out.extend_from_slice(shared);
    } else {
        shared
            .iter()
            .for_each(|&v| out.extend(std::iter::repeat_n(v, times)));
    }
}

/// `out[i] += Σ_q part[i * size + q]`: per-unit gradients summed over a group's units in order.
fn add_grouped(part: &[f32], size: usize, out: &mut [f32]) {
    if size == 1 {
        out.iter_mut().zip(part).for_each(|(g, v)| *g += v);
    } else {
        out.iter_mut()
            .zip(part.chunks_exact(size))
            .for_each(|(g, group)| *g += group.iter().sum::<f32>());
    }
}

impl SeqLayer for SnuLayer {
    fn units(&self) -> usize {
        self.units
    }

    fn forward(&mut self, p: &ParamStore, x: SeqInput, shape: SeqShape) {
        self.forward_sequence(p, x, shape)
    }

    fn output(&self) -> SeqInput<'_> {
        self.y.as_input()
    }

    /// `s_t = g(a_t)`: the buffer holds the states after a forward pass (BPTT turns it into
    /// `dL/da`).
    fn states(&self) -> Option<&[f32]> {
        Some(&self.s)
    }

    fn backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
        window: usize,
    ) {
        self.backward_sequence(p, x, dy, dx, shape, window)
    }

    fn set_product_path(&mut self, path: ProductPath) {
        match &mut self.projection {
            Projection::Dense { input, .. } => input.path = path,
            Projection::Conv(conv) => conv.path = path,
        }
        self.recurrent.path = path;
    }

    /// The feed-forward weights `W` of a dense projection (the recurrent `H` stays digital; a
    /// convolution's kernels are not on crossbars).
    fn weight_slot(&mut self) -> Option<(&mut InputProducts, usize)> {
        match &mut self.projection {
            Projection::Dense { input, .. } => Some((input, self.w)),
            Projection::Conv(_) => None,
        }
    }

    fn tile(&self) -> Option<&AnalogTile> {
        match &self.projection {
            Projection::Dense { input, .. } => input.analog.as_deref(),
            Projection::Conv(_) => None,
        }
    }

    fn set_carry_state(&mut self, on: bool) {
        self.carry_state = on;
        self.reset_state();
    }

    /// Forgets the carried state: the next pass starts from zero.
    fn reset_state(&mut self) {
        self.has_last = false;
        self.has_initial = false;
    }

    /// The batch size of the carried state, if any (the next pass must have the same).
    fn carried_batch(&self) -> Option<usize> {
        (self.carry_state && self.has_last).then_some(self.last.batch)
    }

    fn ostl_refusal(&self) -> Option<String> {
        self.ostl_refusal_reason()
    }

    fn ostl_backward(
        &mut self,
        p: &mut ParamStore,
        x: SeqInput,
        dy: &[f32],
        dx: Option<&mut [f32]>,
        shape: SeqShape,
    ) {
        self.ostl_window(p, x, dy, dx, shape)
    }

    fn ostl_trace_values(&self, batch: usize) -> usize {
        self.ostl_trace_values(batch)
    }

    fn reset_traces(&mut self) {
        self.traces.reset();
        self.dense_traces.reset();
    }

    fn ostl_prepare(&mut self, batch: usize) -> Result<()> {
        self.ostl_allocate(batch)
    }

    /// A trainable decay stays in [0, MAX_DECAY].
    fn project(&self, p: &mut ParamStore) {
        if let Some(i) = self.decay {
            p.params[i]
                .value
                .iter_mut()
                .for_each(|l| *l = l.clamp(0.0, MAX_DECAY));
        }
    }
}

/// Runs `f(chunk, scratch)` for every batch chunk, in parallel when there is more than one.
fn run_chunks(
    scratch: &mut [f32],
    chunks: Chunks,
    batch: usize,
    n: usize,
    synaptic: bool,
    f: impl Fn(usize, &mut [f32]) + Sync,
) {
    let per_chunk = chunks.scratch_len(n, synaptic);
    let work = &mut scratch[..chunks.count * per_chunk];
    if chunks.count == 1 || batch * n < 4096 {
        work.chunks_mut(per_chunk)
            .enumerate()
            .for_each(|(c, s)| f(c, s));
    } else {
        work.par_chunks_mut(per_chunk)
            .enumerate()
            .for_each(|(c, s)| f(c, s));
    }
}

/// What every step of every chunk reads.
struct StepContext<'a> {
    unit: Unit,
    decay: &'a [f32],
    bias: &'a [f32],
    h: Option<&'a [f32]>,
    /// `α` of the synaptic current (0: none).
    synapse: f32,
    n: usize,
    batch: usize,
    /// The carried state, when this pass continues the previous one.
    initial: Option<Initial<'a>>,
}

/// Carried `s_0, y_0` and (with a synapse) `i_0`, `[B, n]` each.
#[derive(Clone, Copy)]
struct Initial<'a> {
    s: &'a [f32],
    y: &'a [f32],
    i: &'a [f32],
}

#[derive(Clone, Copy)]
enum OutRows<'a> {
    Bits(SharedRows<'a, u64>),
    Values(SharedRows<'a, f32>),
}

#[derive(Clone, Copy)]
enum OutView<'a> {
    Bits(&'a SpikeMatrix),
    Values(&'a [f32]),
}

impl<'a> OutView<'a> {
    /// Row `r` of the output as values, written into `buf`.
    fn row_into(&self, r: usize, buf: &mut [f32]) {
        match self {
            OutView::Bits(_) => {
                self.row(r, buf);
            }
            OutView::Values(v) => buf.copy_from_slice(&v[r * buf.len()..(r + 1) * buf.len()]),
        }
    }

    /// Row `r` of the output as values: the stored row itself, or for spikes `buf` (of the
    /// row's length) filled with them, without a copy of stored values.
    fn row<'b>(&self, r: usize, buf: &'b mut [f32]) -> &'b [f32]
    where
        'a: 'b,
    {
        let n = buf.len();
        match *self {
            OutView::Bits(bits) => {
                buf.fill(0.0);
                for_each_spike(bits.row(r), |j| buf[j] = 1.0);
                buf
            }
            OutView::Values(v) => &v[r * n..(r + 1) * n],
        }
    }
}

/// The time loop of one batch chunk (samples `b0..b1`). `scratch` holds `y_{t-1}` and `y_t`
/// of the chunk as values for spiking outputs (packed into bits after each step; for value
/// outputs the output rows themselves hold them, with `y_0` of a carried state in the scratch),
/// and with a synapse the current `i` (left there after the last step for `keep_last_state`).
fn forward_chunk(
    ctx: &StepContext,
    steps: usize,
    (b0, b1): (usize, usize),
    s: SharedRows<f32>,
    out: OutRows,
    scratch: &mut [f32],
) {
    let (n, m) = (ctx.n, b1 - b0);
    let size = scratch.len() / n;
    let (ys, rest) = scratch.split_at_mut(2 * m * n);
    let (mut prev_buf, mut now_buf) = ys.split_at_mut(m * n);
    if let Some(init) = ctx.initial {
        prev_buf.copy_from_slice(&init.y[b0 * n..b1 * n]);
    }
    // The synaptic current sits after the two blocks of the chunk's full size.
    let current: &mut [f32] = if ctx.synapse > 0.0 {
        let full = (size - 2) / 3;
        let i = &mut rest[2 * (full - m) * n..][..m * n];
        match ctx.initial {
            Some(init) if !init.i.is_empty() => i.copy_from_slice(&init.i[b0 * n..b1 * n]),
            _ => i.fill(0.0),
        }
        i
    } else {
        &mut []
    };
    for t in 0..steps {
        let first = t * ctx.batch + b0;
        // SAFETY: this chunk alone owns rows t*B + b0 .. t*B + b1 of every buffer.
        let a = unsafe { s.rows_mut(first, m) };
        let (y_prev, y_now): (&[f32], &mut [f32]) = match out {
            OutRows::Values(v) if t > 0 => unsafe {
                (v.rows_mut(first - ctx.batch, m), v.rows_mut(first, m))
            },
            OutRows::Values(v) => (prev_buf, unsafe { v.rows_mut(first, m) }),
            OutRows::Bits(_) => (prev_buf, now_buf),
        };
        let s_prev: Option<&[f32]> = match (t, ctx.initial) {
            (0, None) => None,
            (0, Some(init)) => Some(&init.s[b0 * n..b1 * n]),
            _ => Some(unsafe { s.rows_mut(first - ctx.batch, m) }),
        };
        if let (Some(h), true) = (ctx.h, s_prev.is_some()) {
            // u_t += y_{t-1} H  (event-driven for spikes)
            if ctx.unit.h == OutputActivation::Step {
                for (a_row, y_row) in a.chunks_exact_mut(n).zip(y_prev.chunks_exact(n)) {
                    add_value_rows(y_row, h, a_row);
                }
            } else {
                gemm(
                    1.0,
                    Mat::new(y_prev, m, n),
                    false,
                    Mat::new(h, n, n),
                    false,
                    1.0,
                    a,
                );
            }
        }
        if ctx.synapse > 0.0 {
            // i_t = α i_{t-1} + u_t, which becomes the membrane's input.
            synaptic_current(a, current, ctx.synapse);
        }
        if let Some(s_prev) = s_prev {
            for ((a_row, s_row), y_row) in a
                .chunks_exact_mut(n)
                .zip(s_prev.chunks_exact(n))
                .zip(y_prev.chunks_exact(n))
            {
                add_decay_term(a_row, ctx.decay, s_row, y_row, ctx.unit.lateral);
            }
        }
        for (a_row, y_row) in a.chunks_exact_mut(n).zip(y_now.chunks_exact_mut(n)) {
            state_and_output(a_row, ctx.bias, y_row, ctx.unit.g, ctx.unit.h);
        }
        if let OutRows::Bits(bits) = out {
            let words = unsafe { bits.rows_mut(first, m) };
            for (w, y_row) in words
                .chunks_exact_mut(n.div_ceil(64))
                .zip(y_now.chunks_exact(n))
            {
                pack_row(y_row, w);
            }
            std::mem::swap(&mut prev_buf, &mut now_buf);
        }
    }
}

simd_kernel! {
    /// `u = α i + u` and `i = u`: the synaptic current's step, in place of the input term.
    fn synaptic_current(u: &mut [f32], i: &mut [f32], alpha: f32) {
        for (u, i) in u.iter_mut().zip(i.iter_mut()) {
            *u += alpha * *i;
            *i = *u;
        }
    }
}

/// BPTT of one batch chunk; `s` turns from states into `dL/da` step by step, from the last.
/// With a synapse the rows end up holding `dL/di_t = dL/da_t + α dL/di_{t+1}` (what `W`, `H`,
/// `c` and the input see), while `dL/da_{t+1}`, which the membrane's own recurrence needs, is
/// kept in a scratch block.
#[allow(clippy::too_many_arguments)]
fn backward_chunk(
    ctx: &StepContext,
    steps: usize,
    window: usize,
    (b0, b1): (usize, usize),
    s: SharedRows<f32>,
    y: OutView,
    dy: &[f32],
    scratch: &mut [f32],
    db: &mut [f32],
    mut dl: Option<&mut [f32]>,
) {
    let (n, m) = (ctx.n, b1 - b0);
    let synaptic = ctx.synapse > 0.0;
    let (dy_t, rest) = scratch.split_at_mut(m * n);
    let (rows2, rest) = rest.split_at_mut(2 * n);
    let (y_row, y_prev_row) = rows2.split_at_mut(n);
    let da_kept: &mut [f32] = if synaptic {
        &mut rest[..m * n]
    } else {
        &mut []
    };
    for t in (0..steps).rev() {
        let first = t * ctx.batch + b0;
        let carry = t + 1 < steps && (t + 1) % window != 0;
        dy_t.copy_from_slice(&dy[first * n..(first + m) * n]);
        // SAFETY: this chunk alone owns rows t*B + b0 .. t*B + b1 of every buffer; the rows of
        // step t+1 already hold dL/du_{t+1}, those of t-1 still hold s_{t-1}.
        let du_next: Option<&[f32]> = carry.then(|| &*unsafe { s.rows_mut(first + ctx.batch, m) });
        let cur = unsafe { s.rows_mut(first, m) };
        if let (Some(h), Some(du_next)) = (ctx.h, du_next) {
            // dy_t += du_{t+1} H^T  (y_t H is part of u_{t+1})
            gemm(
                1.0,
                Mat::new(du_next, m, n),
                false,
                Mat::new(h, n, n),
                true,
                1.0,
                dy_t,
            );
        }
        for i in 0..m {
            let r = first + i;
            let y_now = y.row(r, y_row);
            let rows = i * n..(i + 1) * n;
            // The membrane's recurrence reads dL/da_{t+1}: the rows themselves without a
            // synapse, the kept copy with one.
            let da_next_row = match (carry, synaptic) {
                (false, _) => None,
                (true, false) => du_next.map(|d| &d[rows.clone()]),
                (true, true) => Some(&da_kept[rows.clone()]),
            };
            backward_row(
                &mut dy_t[rows.clone()],
                da_next_row,
                &mut cur[rows.clone()],
                y_now,
                ctx.decay,
                ctx.bias,
                db,
                &ctx.unit,
            );
            if let (Some(dl), true) = (dl.as_deref_mut(), t > 0) {
                let y_prev = y.row(r - ctx.batch, y_prev_row);
                let s_prev = unsafe { s.rows_mut(r - ctx.batch, 1) };
                decay_gradient_row(dl, &cur[rows.clone()], s_prev, y_prev, ctx.unit.lateral);
            } else if let (Some(dl), Some(init)) = (dl.as_deref_mut(), ctx.initial) {
                // t = 0 continuing a carried state: dl += da_0 ⊙ s_0 ⊙ r_0.
                let b = b0 + i;
                decay_gradient_row(
                    dl,
                    &cur[rows.clone()],
                    &init.s[b * n..(b + 1) * n],
                    &init.y[b * n..(b + 1) * n],
                    ctx.unit.lateral,
                );
            }
            if synaptic {
                // Keep dL/da_t for step t-1, then di_t = da_t + α di_{t+1} in the row.
                da_kept[rows.clone()].copy_from_slice(&cur[rows.clone()]);
                if let Some(du_next) = du_next {
                    synaptic_gradient(&mut cur[rows.clone()], &du_next[rows], ctx.synapse);
                }
            }
        }
    }
}

simd_kernel! {
    /// `di = da + α di_next` in place of `da`.
    fn synaptic_gradient(d: &mut [f32], d_next: &[f32], alpha: f32) {
        for (d, n) in d.iter_mut().zip(d_next) {
            *d += alpha * n;
        }
    }
}

/// `a += Σ_{i : y_i ≠ 0} H[i, :]` for a spike row held as values.
#[inline]
fn add_value_rows(y_row: &[f32], h: &[f32], a_row: &mut [f32]) {
    let n = a_row.len();
    for (i, &v) in y_row.iter().enumerate() {
        if v != 0.0 {
            a_row
                .iter_mut()
                .zip(&h[i * n..(i + 1) * n])
                .for_each(|(o, w)| *o += w);
        }
    }
}

simd_kernel! {
    /// `a += l ⊙ s_{t-1} ⊙ r_{t-1}`, `r = 1 - y` (lateral: `1 - max_j y_j`).
    fn add_decay_term(a: &mut [f32], decay: &[f32], s_prev: &[f32], y_prev: &[f32], lateral: bool) {
        if lateral {
            let r = 1.0 - row_max(y_prev);
            a.iter_mut()
                .zip(decay)
                .zip(s_prev)
                .for_each(|((a, l), s)| *a += l * s * r);
        } else {
            a.iter_mut()
                .zip(decay)
                .zip(s_prev)
                .zip(y_prev)
                .for_each(|(((a, l), s), y)| *a += l * s * (1.0 - y));
        }
    }
}

simd_kernel! {
    /// `s = g(a)` in place and `y = h(s + b)`.
    fn state_and_output(
        a: &mut [f32],
        bias: &[f32],
        y: &mut [f32],
        g: StateActivation,
        h: OutputActivation,
    ) {
        for ((a, b), y) in a.iter_mut().zip(bias).zip(y.iter_mut()) {
            let s = g.value(*a);
            *a = s;
            *y = h.value(s + b);
        }
    }
}

simd_kernel! {
    /// One row of BPTT at step `t`; `cur` holds `s_t` on entry and `dL/da_t` on return. Written
    /// as separate passes, each with its variant chosen outside the loop, so that every pass
    /// vectorises.
    #[allow(clippy::too_many_arguments)]
    fn backward_row(
        dy: &mut [f32],
        da_next: Option<&[f32]>,
        cur: &mut [f32],
        y: &[f32],
        decay: &[f32],
        bias: &[f32],
        db: &mut [f32],
        unit: &Unit,
    ) {
        if let (Some(da_next), false) = (da_next, unit.detach_reset) {
            if unit.lateral {
                // r = 1 - max_j y_j: the whole row's term flows to the (first) argmax.
                let dr: f32 = da_next
                    .iter()
                    .zip(decay)
                    .zip(cur.iter())
                    .map(|((d, l), s)| d * l * s)
                    .sum();
                dy[argmax(y)] -= dr;
            } else {
                dy.iter_mut()
                    .zip(da_next)
                    .zip(decay)
                    .zip(cur.iter())
                    .for_each(|(((g, d), l), s)| *g -= d * l * s);
            }
        }
        // dz = dy ⊙ h'(s + b), kept in dy.
        match (unit.h, unit.surrogate) {
            (OutputActivation::Sigmoid, _) => scale_by(dy, cur, bias, y, |_, y| y * (1.0 - y)),
            (OutputActivation::Step, Surrogate::Tanh) => {
                scale_by(dy, cur, bias, y, |z, _| crate::kernels::fastmath::sech2(z))
            }
            (OutputActivation::Step, sur) => scale_by(dy, cur, bias, y, |z, _| sur.derivative(z)),
        }
        db.iter_mut().zip(dy.iter()).for_each(|(b, dz)| *b += dz);
        // ds = dz + da_{t+1} ⊙ l ⊙ r, then da = ds ⊙ g'(s) in place of s.
        if let Some(da_next) = da_next {
            if unit.lateral {
                let r = 1.0 - row_max(y);
                dy.iter_mut()
                    .zip(da_next)
                    .zip(decay)
                    .for_each(|((g, d), l)| *g += d * l * r);
            } else {
                dy.iter_mut()
                    .zip(da_next)
                    .zip(decay)
                    .zip(y)
                    .for_each(|(((g, d), l), y)| *g += d * l * (1.0 - y));
            }
        }
        match unit.g {
            StateActivation::Relu => cur
                .iter_mut()
                .zip(dy.iter())
                .for_each(|(s, ds)| *s = if *s > 0.0 { *ds } else { 0.0 }),
            StateActivation::Identity => cur.copy_from_slice(dy),
            g => cur
                .iter_mut()
                .zip(dy.iter())
                .for_each(|(s, ds)| *s = ds * g.derivative_from_state(*s)),
        }
        // da enters the weight-gradient products: no subnormals there (see `fastmath::sigmoid`).
        cur.iter_mut().for_each(|v| *v = flush_subnormal(*v));
    }
}

/// `dy *= f(s + b, y)` element by element.
#[inline(always)]
fn scale_by(dy: &mut [f32], s: &[f32], bias: &[f32], y: &[f32], f: impl Fn(f32, f32) -> f32) {
    for (((g, s), b), y) in dy.iter_mut().zip(s).zip(bias).zip(y) {
        *g *= f(s + b, *y);
    }
}

simd_kernel! {
    /// `dl += da_t ⊙ s_{t-1} ⊙ r_{t-1}`.
    fn decay_gradient_row(dl: &mut [f32], da: &[f32], s_prev: &[f32], y_prev: &[f32], lateral: bool) {
        let lateral_r = if lateral { 1.0 - row_max(y_prev) } else { 0.0 };
        for k in 0..dl.len() {
            let r = if lateral { lateral_r } else { 1.0 - y_prev[k] };
            dl[k] += da[k] * s_prev[k] * r;
        }
    }
}

/// Sets bit `j` of the words where `y_j > 0` (a spike).
#[inline]
fn pack_row(y: &[f32], words: &mut [u64]) {
    for (w, chunk) in words.iter_mut().zip(y.chunks(64)) {
        let mut word = 0u64;
        for (j, &v) in chunk.iter().enumerate() {
            word |= ((v > 0.0) as u64) << j;
        }
        *w = word;
    }
}

fn row_max(row: &[f32]) -> f32 {
    row.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}
