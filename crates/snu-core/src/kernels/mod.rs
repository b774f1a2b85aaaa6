//! The numeric kernels: leaves that know nothing of layers, specs or networks. Matrix products
//! on rayon's pool (`linalg`), event-driven products and bit-packed spikes (`event`, `spikes`),
//! fast elementwise functions and run-time SIMD selection (`fastmath`, `simd`), seeded
//! randomness (`rng`), the thread pool (`pool`), the step of dense OSTL traces
//! (`trace_transform`).

pub mod argmax;
pub mod column_sums;
pub mod conv;
pub mod conv_direct;
pub mod conv_events;
pub mod conv_im2col;
pub mod event;
pub mod fastmath;
pub mod linalg;
pub mod pool;
pub mod pooling;
pub mod rng;
pub mod shared_rows;
pub(crate) mod simd;
pub mod spikes;
pub mod trace_transform;
