//! The PCM crossbar methods of `Network`: put layers on simulated devices, move them in time,
//! read device statistics (snu-core's `pcm` and `network/analog.rs` do the work).

use crate::args;
use crate::guard::{engine, guard, try_lock};
use crate::Network;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::limits::{MAX_SEED, MAX_WIDTH};
use snu_core::pcm::{Histogram, PcmConfig, UpdateReport};

/// Conductance counts over `bins` equal bins of `[lo, hi]` µS.
#[napi(object)]
pub struct ConductanceHistogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<f64>,
}

/// Device statistics of one crossbar.
#[napi(object)]
pub struct AnalogStats {
    /// Devices on the tile (two per weight and pair).
    pub devices: u32,
    pub g_plus: ConductanceHistogram,
    pub g_minus: ConductanceHistogram,
    /// SET pulses since the tile was made, in all and per device (pair-major, `[pairs, k, n]`).
    pub total_pulses: f64,
    pub pulses_plus: Uint32Array,
    pub pulses_minus: Uint32Array,
    /// Pairs refreshed since the tile was made.
    pub refreshes: f64,
}

/// What the last training step sent to the devices.
#[napi(object)]
pub struct DeviceUpdate {
    pub pulses_plus: f64,
    pub pulses_minus: f64,
    pub refreshes: f64,
    /// Weights whose pulses were held back by `update.maxPulsesPerUpdate`.
    pub capped: f64,
}

impl From<&UpdateReport> for DeviceUpdate {
    fn from(r: &UpdateReport) -> DeviceUpdate {
        DeviceUpdate {
            pulses_plus: r.pulses_plus as f64,
            pulses_minus: r.pulses_minus as f64,
            refreshes: r.refreshes as f64,
            capped: r.capped as f64,
        }
    }
}

fn histogram(h: Histogram) -> ConductanceHistogram {
    ConductanceHistogram {
        lo: h.lo as f64,
        hi: h.hi as f64,
        counts: h.counts.iter().map(|&c| c as f64).collect(),
    }
}

#[napi]
impl Network {
    /// Puts the named layer's weights on a simulated PCM crossbar configured by `configJson`
    /// (a `PcmConfig` as JSON; `"{}"` for the defaults) and programs the present weights
    /// onto its devices, `weightRange` (default `max|W|`) mapping to `gMax`; `null` takes the
    /// layer off its crossbar (keeping the devices' weights).
    #[napi]
    pub fn set_analog(
        &self,
        #[napi(ts_arg_type = "string")] layer: Unknown,
        #[napi(ts_arg_type = "string | null")] config_json: Unknown,
        #[napi(ts_arg_type = "number")] seed: Unknown,
        #[napi(ts_arg_type = "number | undefined")] weight_range: Option<Unknown>,
    ) -> Result<()> {
        guard("setAnalog", || {
            let layer = args::string(layer, "layer")?;
            let seed = args::integer(seed, "seed", 0, MAX_SEED)? as u64;
            let w_range = match weight_range {
                Some(r) if !matches!(r.get_type()?, ValueType::Undefined) => {
                    Some(args::number(r, "weightRange")? as f32)
                }
                _ => None,
            };
            let config = match config_json.get_type()? {
                ValueType::Null | ValueType::Undefined => None,
                _ => {
                    let json = args::string(config_json, "config")?;
                    let c: PcmConfig = serde_json::from_str(&json).map_err(|e| {
                        args::invalid(format!("config: not a valid PCM configuration: {e}"))
                    })?;
                    Some(c)
                }
            };
            try_lock(&self.inner)?
                .set_analog_with_range(&layer, config, seed, w_range)
                .map_err(engine)
        })
    }

    /// The layers whose weights a crossbar can hold (`program('all')` programs these).
    #[napi]
    pub fn crossbar_capable_layers(&self) -> Result<Vec<String>> {
        guard("crossbarCapableLayers", || {
            Ok(try_lock(&self.inner)?.crossbar_capable_layers())
        })
    }

    /// The layers on a crossbar.
    #[napi]
    pub fn analog_layers(&self) -> Result<Vec<String>> {
        guard(
            "analogLayers",
            || Ok(try_lock(&self.inner)?.analog_layers()),
        )
    }

    /// Moves every crossbar to `seconds` after programming (drift and read noise).
    #[napi]
    pub fn set_analog_time(&self, #[napi(ts_arg_type = "number")] seconds: Unknown) -> Result<()> {
        guard("setAnalogTime", || {
            let t = args::number(seconds, "seconds")?;
            try_lock(&self.inner)?.set_analog_time(t).map_err(engine)
        })
    }

    /// Switches the global drift compensation of every crossbar on or off.
    #[napi]
    pub fn set_drift_compensation(
        &self,
        #[napi(ts_arg_type = "boolean")] on: Unknown,
    ) -> Result<()> {
        guard("setDriftCompensation", || {
            let on = args::optional_bool(Some(on), "on")?;
            try_lock(&self.inner)?
                .set_drift_compensation(on)
                .map_err(engine)
        })
    }

    /// Device statistics of the named layer's crossbar.
    #[napi]
    pub fn analog_stats(
        &self,
        #[napi(ts_arg_type = "string")] layer: Unknown,
        #[napi(ts_arg_type = "number | undefined")] bins: Option<Unknown>,
    ) -> Result<AnalogStats> {
        guard("analogStats", || {
            let layer = args::string(layer, "layer")?;
            let bins = match bins {
                Some(b) if !matches!(b.get_type()?, ValueType::Undefined) => {
                    Some(args::integer(b, "bins", 1, MAX_WIDTH as u64)?)
                }
                // The tile's own `histogramBins` (PcmConfig), not a default of the binding's.
                _ => None,
            };
            let s = try_lock(&self.inner)?
                .analog_stats(&layer, bins)
                .map_err(engine)?;
            Ok(AnalogStats {
                devices: s.devices as u32,
                g_plus: histogram(s.g_plus),
                g_minus: histogram(s.g_minus),
                total_pulses: s.total_pulses as f64,
                pulses_plus: Uint32Array::new(s.pulses_plus),
                pulses_minus: Uint32Array::new(s.pulses_minus),
                refreshes: s.refreshes as f64,
            })
        })
    }

    /// Pulses and refreshes the last training step sent to the crossbars.
    #[napi(getter)]
    pub fn last_device_update(&self) -> Result<DeviceUpdate> {
        guard("lastDeviceUpdate", || {
            Ok(DeviceUpdate::from(&try_lock(&self.inner)?.last_update))
        })
    }
}
