//! A layer's input sequence, dense or spikes, and its two products with a weight matrix,
//! each done event-driven or dense according to the measured spike density.

use crate::event::{spikes_t_times, spikes_times};
use crate::linalg::{gemm, Mat};
use crate::spikes::SpikeMatrix;
use std::ops::Range;

/// Above this fraction of active inputs the dense product is faster than adding the picked
/// rows. Measured with `cargo run --release -p snu-core --example event_crossover` on a
/// 2-core AVX-512 Xeon (docs/benchmarks.md): the event-driven forward product wins up to about
/// 30-50 % density depending on the shape and the weight gradient to about 20-35 %.
pub const EVENT_DRIVEN_MAX_DENSITY: f64 = 0.25;

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
    /// The path of the last forward: true when spikes were multiplied event-driven.
    event_driven: bool,
}

impl InputProducts {
    fn use_events(&self, x: &SpikeMatrix) -> bool {
        match self.path {
            ProductPath::Auto => x.density() <= EVENT_DRIVEN_MAX_DENSITY,
            ProductPath::Dense => false,
            ProductPath::EventDriven => true,
        }
    }

    /// Chooses the path for `X` (`rows x k`): event-driven, or dense (unpacking spikes once).
    pub fn prepare(&mut self, x: SeqInput, rows: usize, k: usize) {
        self.event_driven = matches!(x, SeqInput::Spikes(s) if self.use_events(s));
        if let (SeqInput::Spikes(s), false) = (x, self.event_driven) {
            super::ensure_len(&mut self.dense_x, rows * k);
            s.unpack(&mut self.dense_x);
        }
    }

    /// `out = X W` (`X` is `rows x k`, `W` is `k x n`); the path is kept for `weight_grad`.
    pub fn forward(&mut self, x: SeqInput, rows: usize, w: &[f32], k: usize, n: usize, out: &mut [f32]) {
        self.prepare(x, rows, k);
        match x {
            SeqInput::Spikes(s) if self.event_driven => spikes_times(s, w, n, out),
            SeqInput::Spikes(_) => gemm(1.0, Mat::new(&self.dense_x, rows, k), false, Mat::new(w, k, n), false, 0.0, out),
            SeqInput::Dense(v) => gemm(1.0, Mat::new(v, rows, k), false, Mat::new(w, k, n), false, 0.0, out),
        }
    }

    /// `dW += X[rows]ᵀ D` over a range of `X`'s rows, on the path `prepare` chose.
    pub fn weight_grad(&self, x: SeqInput, rows: Range<usize>, d: &[f32], k: usize, n: usize, dw: &mut [f32]) {
        let xv = match x {
            SeqInput::Spikes(s) if self.event_driven => return spikes_t_times(s, rows.start, rows.len(), d, n, dw),
            SeqInput::Spikes(_) => &self.dense_x,
            SeqInput::Dense(v) => v,
        };
        let m = rows.len();
        gemm(1.0, Mat::new(&xv[rows.start * k..rows.end * k], m, k), true, Mat::new(d, m, n), false, 1.0, dw);
    }
}
