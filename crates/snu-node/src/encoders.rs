//! Spike encoders (snu-core `encode`): argument conversion only; the engine checks values,
//! ranges and sizes and its errors name the argument.
//!
//! Static encoders take `x` `[batch, features]` and return time-major spikes
//! `[steps, batch, features]`; `encodeDelta` takes a time-major sequence `[steps, batch, features]`.

// napi-derive registers the functions only outside `cfg(test)`; clippy's test build of this
// cdylib (which has no Rust tests) would call them unused.
#![cfg_attr(test, allow(dead_code))]

use crate::args;
use crate::arrays::F32s;
use crate::guard::{engine, guard};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::encode::{self, Delta, Latency, LatencyCode};
use snu_core::limits::{MAX_SEED, MAX_VALUES};

fn seed_arg(seed: Unknown) -> Result<u64> {
    Ok(args::integer(seed, "seed", 0, MAX_SEED)? as u64)
}

/// Rate coding (docs/design.md §2): `x` is `[batch, features]` with values in [0, 1]; at each of
/// `steps` steps a value `v` spikes with probability `clamp(v * maxSpikes / steps, 0, 1)`.
/// Returns time-major spikes `[steps, batch, features]`.
#[napi(ts_return_type = "Float32Array")]
pub fn encode_rate(
    #[napi(ts_arg_type = "Float32Array")] x: Unknown,
    #[napi(ts_arg_type = "number")] batch: Unknown,
    #[napi(ts_arg_type = "number")] steps: Unknown,
    #[napi(ts_arg_type = "number")] max_spikes: Unknown,
    #[napi(ts_arg_type = "number")] seed: Unknown,
) -> Result<F32s> {
    guard("encodeRate", || {
        let x = args::float32(x, "x")?;
        let (steps, batch) = args::shape(steps, batch)?;
        let max_spikes = args::number(max_spikes, "maxSpikes")?;
        let seed = seed_arg(seed)?;
        Ok(F32s(
            encode::rate(&x, batch, steps, max_spikes, seed).map_err(engine)?,
        ))
    })
}

/// Poisson coding: `x` is `[batch, features]` with values in [0, 1]; a value `v` is a Poisson
/// process of rate `v * maxRate` (Hz) sampled every `dt` seconds: each step spikes with
/// probability `1 - exp(-v * maxRate * dt)` (at most one spike per step).
/// Returns time-major spikes `[steps, batch, features]`.
#[napi(ts_return_type = "Float32Array")]
pub fn encode_poisson(
    #[napi(ts_arg_type = "Float32Array")] x: Unknown,
    #[napi(ts_arg_type = "number")] batch: Unknown,
    #[napi(ts_arg_type = "number")] steps: Unknown,
    #[napi(ts_arg_type = "number")] max_rate: Unknown,
    #[napi(ts_arg_type = "number")] dt: Unknown,
    #[napi(ts_arg_type = "number")] seed: Unknown,
) -> Result<F32s> {
    guard("encodePoisson", || {
        let x = args::float32(x, "x")?;
        let (steps, batch) = args::shape(steps, batch)?;
        let max_rate = args::number(max_rate, "maxRate")?;
        let dt = args::number(dt, "dt")?;
        let seed = seed_arg(seed)?;
        Ok(F32s(
            encode::poisson(&x, batch, steps, max_rate, dt, seed).map_err(engine)?,
        ))
    })
}

/// Latency coding: `x` is `[batch, features]` with values in [0, 1]; each value above
/// `threshold` spikes once, at `round((1 - v) * (steps - 1))` (`code = 'linear'`) or
/// `round(tau * ln(v / (v - threshold)))` (`'log'`), clipped to `steps - 1`; with `normalize`
/// each sample's times are scaled so that its latest spike is at `steps - 1`.
/// Returns time-major spikes `[steps, batch, features]`.
#[napi(ts_return_type = "Float32Array")]
#[allow(clippy::too_many_arguments)]
pub fn encode_latency(
    #[napi(ts_arg_type = "Float32Array")] x: Unknown,
    #[napi(ts_arg_type = "number")] batch: Unknown,
    #[napi(ts_arg_type = "number")] steps: Unknown,
    #[napi(ts_arg_type = "'linear' | 'log'")] code: Unknown,
    #[napi(ts_arg_type = "number")] threshold: Unknown,
    #[napi(ts_arg_type = "number")] tau: Unknown,
    #[napi(ts_arg_type = "boolean | undefined")] normalize: Option<Unknown>,
) -> Result<F32s> {
    guard("encodeLatency", || {
        let x = args::float32(x, "x")?;
        let (steps, batch) = args::shape(steps, batch)?;
        let code = match args::string(code, "code")?.as_str() {
            "linear" => LatencyCode::Linear,
            "log" => LatencyCode::Log,
            other => {
                return Err(args::invalid(format!(
                    "code: expected 'linear' or 'log', got '{other}'"
                )))
            }
        };
        let threshold = args::number(threshold, "threshold")?;
        let tau = args::number(tau, "tau")?;
        let normalize = args::optional_bool(normalize, "normalize")?;
        let opts = Latency {
            code,
            threshold,
            tau,
            normalize,
        };
        Ok(F32s(
            encode::latency(&x, batch, steps, &opts).map_err(engine)?,
        ))
    })
}

/// Direct coding: `x` (`[batch, features]`, any finite values) repeated at each of `steps`
/// steps. Returns `[steps, batch, features]`.
#[napi(ts_return_type = "Float32Array")]
pub fn encode_direct(
    #[napi(ts_arg_type = "Float32Array")] x: Unknown,
    #[napi(ts_arg_type = "number")] batch: Unknown,
    #[napi(ts_arg_type = "number")] steps: Unknown,
) -> Result<F32s> {
    guard("encodeDirect", || {
        let x = args::float32(x, "x")?;
        let (steps, batch) = args::shape(steps, batch)?;
        Ok(F32s(encode::direct(&x, batch, steps).map_err(engine)?))
    })
}

/// Delta modulation of a time-major sequence `x` `[steps, batch, features]`: a spike where
/// `x_t - x_{t-1} >= threshold` (step 0 compared with 0, or never spiking with `skipFirst`);
/// with `onOff` also where `x_t - x_{t-1} <= -threshold`, in channels `[features, 2 features)`.
/// Returns `[steps, batch, features]` (or `[steps, batch, 2 features]` with `onOff`).
#[napi(ts_return_type = "Float32Array")]
pub fn encode_delta(
    #[napi(ts_arg_type = "Float32Array")] x: Unknown,
    #[napi(ts_arg_type = "number")] steps: Unknown,
    #[napi(ts_arg_type = "number")] batch: Unknown,
    #[napi(ts_arg_type = "number")] features: Unknown,
    #[napi(ts_arg_type = "number")] threshold: Unknown,
    #[napi(ts_arg_type = "boolean | undefined")] on_off: Option<Unknown>,
    #[napi(ts_arg_type = "boolean | undefined")] skip_first: Option<Unknown>,
) -> Result<F32s> {
    guard("encodeDelta", || {
        let x = args::float32(x, "x")?;
        let (steps, batch) = args::shape(steps, batch)?;
        let features = args::integer(features, "features", 1, MAX_VALUES as u64)?;
        let threshold = args::number(threshold, "threshold")?;
        let on_off = args::optional_bool(on_off, "onOff")?;
        let skip_first = args::optional_bool(skip_first, "skipFirst")?;
        let opts = Delta {
            threshold,
            on_off,
            skip_first,
        };
        Ok(F32s(
            encode::delta(&x, steps, batch, features, &opts).map_err(engine)?,
        ))
    })
}
