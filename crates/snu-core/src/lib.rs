//! `snu-core`: Spiking Neural Units (Woźniak et al., Nature Machine Intelligence 2020)
//! with backpropagation through time, optimizers and checkpoints. No Node dependency.
//!
//! Data layout: time-major, row `t * B + b` of a `[T*B, features]` matrix is sample `b`
//! at step `t`.

pub mod augment;
pub mod batch;
pub mod checkpoint;
pub mod encode;
pub mod error;
pub mod kernels;
pub mod layers;
pub mod limits;
pub mod network;
pub mod nir;
pub mod params;
pub mod pcm;
pub mod spec;
pub mod train;

pub use batch::Batch;
pub use error::{Error, Result};
pub use network::{Evaluation, Network, StepReport, TrainingMethod};
pub use spec::ModelSpec;
