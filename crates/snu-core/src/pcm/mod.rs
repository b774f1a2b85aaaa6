//! Phase-change-memory crossbar simulator (docs/design.md §3): the statistical PCM model of Nandakumar
//! et al. as IBM's analog hardware kit (aihwkit) implements it, the periphery of an analog tile,
//! and mixed-precision training on the devices.
//!
//! - `config`: every parameter, its default and its validation.
//! - `mapping`: weights to differential pairs (N pairs with significance factors) and back.
//! - `programming`, `drift`, `read_noise`: the three noise sources of inference.
//! - `drift_compensation`: the global output scale `alpha`.
//! - `periphery`: input DAC, output noise, bound and ADC; `gaussian`: the counter-based
//!   normals behind the output noise.
//! - `update`, `mixed_precision`: SET pulses with refresh, and the `chi` accumulator.
//! - `tile`: `AnalogTile`, which puts them together for one weight matrix; `stats`: what it
//!   reports.

pub mod config;
pub mod drift;
pub mod drift_compensation;
pub mod gaussian;
pub mod mapping;
pub mod mixed_precision;
pub mod periphery;
pub mod programming;
pub mod read_noise;
pub mod stats;
pub mod tile;
pub mod update;

pub use config::{
    CellConfig, DriftCompensation, EpsilonRule, InputRange, LogLaw, PcmConfig, PcmDevice,
    Periphery, Probe, UpdateModel,
};
pub use stats::{Histogram, TileStats, UpdateReport};
pub use tile::AnalogTile;
