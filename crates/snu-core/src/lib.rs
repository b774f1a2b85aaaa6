//! `snu-core`: Spiking Neural Units (Woźniak et al., Nature Machine Intelligence 2020)
//! with backpropagation through time, optimizers and checkpoints. No Node dependency.
//!
//! Data layout: time-major, row `t * B + b` of a `[T*B, features]` matrix is sample `b`
//! at step `t`.

pub mod activation;
pub mod argmax;
pub mod batch;
pub mod checkpoint;
pub mod dropout;
pub mod encode;
pub mod error;
pub mod event;
pub mod fastmath;
pub mod layers;
pub mod limits;
pub mod linalg;
pub mod loss;
pub mod network;
pub mod optim;
pub mod params;
pub mod pcm;
pub mod pool;
pub mod readout;
pub mod rng;
pub mod shared_rows;
mod simd;
pub mod spec;
pub mod spikes;

pub use batch::Batch;
pub use error::{Error, Result};
pub use network::{Evaluation, Network, StepReport};
pub use spec::ModelSpec;
