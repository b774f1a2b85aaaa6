//! The x·W product of a layer with the crossbar hook: the layer's input sequence (dense or
//! spikes) and its two products with a weight matrix, each done event-driven or dense according
//! to the measured spike density, or read from the simulated crossbar when the layer has one.

use crate::kernels::event::{spikes_t_times, spikes_times};
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::spikes::SpikeMatrix;
use crate::pcm::config::InputRange;
use crate::pcm::AnalogTile;
use std::ops::Range;

/// Above these fractions of active inputs the dense product is faster than adding the
/// picked rows. Measured with `cargo run --release -p snu-core --example event_crossover` on a
/// 2-core AVX-512 Xeon (table in docs/benchmarks.md): the event-driven forward product `X W`
/// wins up to 30-35 % density on every measured shape; the weight gradient `Xᵀ D`, which
/// adds into all of `dW`, up to 22-27 % while `dW` fits in cache (up to 1024 x 1024) and only
/// to about 18 % beyond (4096 x 4096).
pub const EVENT_FORWARD_MAX_DENSITY: f64 = 0.30;
pub const EVENT_WEIGHT_GRAD_MAX_DENSITY: f64 = 0.22;
pub const EVENT_WEIGHT_GRAD_MAX_DENSITY_LARGE: f64 = 0.17;
/// Weight matrices with more entries than this count as large (4 MiB of f32).
pub const LARGE_WEIGHT_ENTRIES: usize = 1 << 20;

/// `out = X W` for values `X` (`rows x k`) and `W` (`k x n`).
fn values_times(x: &[f32], rows: usize, w: &[f32], k: usize, n: usize, out: &mut [f32]) {
    gemm(
        1.0,
        Mat::new(x, rows, k),
        false,
        Mat::new(w, k, n),
        false,
        0.0,
        out,
    );
}

/// True when the tile's DAC range is 1 for 0/1 inputs (each row's `max|x|`, or a fixed 1).
fn unit_input_range(tile: &AnalogTile) -> bool {
    match tile.config().periphery.input_range {
        InputRange::RowAbsMax => true,
        InputRange::Fixed(r) => r == 1.0,
    }
}

/// A `[T*B, features]` input: any values, or 0/1 spikes kept as bits.
#[derive(Clone, Copy)]
pub enum SeqInput<'a> {
    Dense(&'a [f32]),
    Spikes(&'a SpikeMatrix),
}

/// How spike inputs are multiplied: chosen by density (the default) or forced (for tests
/// and measurements).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProductPath {
    #[default]
    Auto,
    Dense,
    EventDriven,
}

/// Chooses and runs `X W` and `Xᵀ D` for one weight matrix, keeping the dense copy of a
/// spike input between forward and backward when the dense path is taken.
#[derive(Default)]
pub struct InputProducts {
    pub path: ProductPath,
    dense_x: Vec<f32>,
    /// `dense_x` holds the last prepared spike input.
    dense_ready: bool,
    /// The paths chosen for the last prepared input: true where spikes are added event-driven.
    event_forward: bool,
    event_grad: bool,
    /// The simulated PCM crossbar `W` lives on, if any (see `network/analog.rs`).
    pub analog: Option<Box<AnalogTile>>,
    /// Analog forward passes so far: the output-noise stream of the next one.
    analog_calls: u64,
    /// The DAC's quantised input.
    xq: Vec<f32>,
}

impl InputProducts {
    fn use_events(&self, x: &SpikeMatrix, max_density: f64) -> bool {
        match self.path {
            ProductPath::Auto => x.density() <= max_density,
            ProductPath::Dense => false,
            ProductPath::EventDriven => true,
        }
    }

    /// Chooses the paths for `X` (`rows x k`) by its density; spikes are unpacked to floats
    /// only when (and the first time) a dense product needs them.
    /// `n` is the width of the weight matrix `X` meets (`k x n`).
    pub fn prepare(&mut self, x: SeqInput, k: usize, n: usize) {
        self.dense_ready = false;
        (self.event_forward, self.event_grad) = match x {
            SeqInput::Spikes(s) => {
                let grad_max = if k * n > LARGE_WEIGHT_ENTRIES {
                    EVENT_WEIGHT_GRAD_MAX_DENSITY_LARGE
                } else {
                    EVENT_WEIGHT_GRAD_MAX_DENSITY
                };
                (
                    self.use_events(s, EVENT_FORWARD_MAX_DENSITY),
                    self.use_events(s, grad_max),
                )
            }
            SeqInput::Dense(_) => (false, false),
        };
        if !self.event_forward {
            self.ensure_dense(x);
        }
    }

    fn ensure_dense(&mut self, x: SeqInput) {
        if let (SeqInput::Spikes(s), false) = (x, self.dense_ready) {
            super::ensure_len(&mut self.dense_x, s.rows() * s.cols());
            s.unpack(&mut self.dense_x);
            self.dense_ready = true;
        }
    }

    /// `X` as values, for products the event-driven path cannot do: spikes are unpacked
    /// once per input (`prepare` marks a new input).
    pub fn values<'a>(&'a mut self, x: SeqInput<'a>) -> &'a [f32] {
        self.ensure_dense(x);
        match x {
            SeqInput::Spikes(_) => &self.dense_x,
            SeqInput::Dense(v) => v,
        }
    }

    /// `out = X W` (`X` is `rows x k`, `W` is `k x n`); the path is kept for `weight_grad`.
    /// On a crossbar, `W` holds the devices' weights and the periphery wraps the product.
    pub fn forward(
        &mut self,
        x: SeqInput,
        rows: usize,
        w: &[f32],
        k: usize,
        n: usize,
        out: &mut [f32],
    ) {
        self.prepare(x, k, n);
        if self.analog.is_some() {
            return self.analog_forward(x, rows, w, k, n, out);
        }
        self.digital_product(x, rows, w, k, n, out);
    }

    /// `out = X W` on the path `prepare` chose: spikes event-driven, or values densely.
    fn digital_product(
        &self,
        x: SeqInput,
        rows: usize,
        w: &[f32],
        k: usize,
        n: usize,
        out: &mut [f32],
    ) {
        match x {
            SeqInput::Spikes(s) if self.event_forward => spikes_times(s, w, n, out),
            SeqInput::Spikes(_) => values_times(&self.dense_x, rows, w, k, n, out),
            SeqInput::Dense(v) => values_times(v, rows, w, k, n, out),
        }
    }

    /// The crossbar's product (docs/design.md §3): `out = ADC(noise + (DAC(x) · W_devices))`, scaled
    /// back by each row's input range and the drift compensation `alpha`. The backward pass
    /// treats the periphery as the identity (straight-through), as hardware-in-the-loop
    /// training does.
    fn analog_forward(
        &mut self,
        x: SeqInput,
        rows: usize,
        w: &[f32],
        k: usize,
        n: usize,
        out: &mut [f32],
    ) {
        let unit_range = unit_input_range(self.analog.as_ref().unwrap());
        let scales = match x {
            // 0/1 spikes are levels of a DAC with a unit range, so the DAC passes them as they
            // are: the product keeps its event-driven path.
            SeqInput::Spikes(_) if unit_range => {
                self.digital_product(x, rows, w, k, n, out);
                vec![1.0; rows]
            }
            _ => {
                self.ensure_dense(x);
                let tile = self.analog.as_ref().unwrap();
                let xv = match x {
                    SeqInput::Spikes(_) => &self.dense_x[..rows * k],
                    SeqInput::Dense(v) => v,
                };
                let scales = tile.quantize_inputs(xv, rows, &mut self.xq);
                values_times(&self.xq, rows, w, k, n, out);
                scales
            }
        };
        let tile = self.analog.as_ref().unwrap();
        tile.finish_outputs(out, rows, &scales, self.analog_calls);
        self.analog_calls += 1;
    }

    /// `dW += X[rows]ᵀ D` over a range of `X`'s rows (`X` as last prepared).
    pub fn weight_grad(
        &mut self,
        x: SeqInput,
        rows: Range<usize>,
        d: &[f32],
        k: usize,
        n: usize,
        dw: &mut [f32],
    ) {
        if let SeqInput::Spikes(s) = x {
            if self.event_grad {
                return spikes_t_times(s, rows.start, rows.len(), d, n, dw);
            }
            self.ensure_dense(x);
        }
        let xv = match x {
            SeqInput::Spikes(_) => &self.dense_x,
            SeqInput::Dense(v) => v,
        };
        let m = rows.len();
        gemm(
            1.0,
            Mat::new(&xv[rows.start * k..rows.end * k], m, k),
            true,
            Mat::new(d, m, n),
            false,
            1.0,
            dw,
        );
    }
}
