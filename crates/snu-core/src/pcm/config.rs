//! Every parameter of the simulated PCM crossbar, with the defaults of docs/design.md §3 and of IBM's
//! analog hardware kit (aihwkit: `PCMLikeNoiseModel` for programming, drift and read noise,
//! `PCMPresetDevice` for the pulsed update), and `validate`, which names any bad parameter.
//!
//! Conductances are in µS. `q = g / gMax` is a conductance relative to `gMax`; the update model
//! works in the same relative unit (`u`). The configuration is plain data (JSON, camelCase), so
//! the bindings can pass it through unchanged.

use crate::bail;
use crate::error::js_num;
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// The whole tile: devices, periphery, the cell (pairs per weight), the update model and the
/// drift compensation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "FullPcmConfig"))]
pub struct PcmConfig {
    pub device: PcmDevice,
    pub periphery: Periphery,
    pub cell: CellConfig,
    pub update: UpdateModel,
    pub drift_compensation: DriftCompensation,
    /// Bins of the conductance histograms of `AnalogTile::stats` over `[0, gMax]`.
    pub histogram_bins: usize,
}

impl Default for PcmConfig {
    fn default() -> Self {
        PcmConfig {
            device: PcmDevice::default(),
            periphery: Periphery::default(),
            cell: CellConfig::default(),
            update: UpdateModel::default(),
            drift_compensation: DriftCompensation::default(),
            histogram_bins: 50,
        }
    }
}

impl PcmConfig {
    /// Every device and periphery non-ideality off: the tile computes `x W` up to f32 rounding.
    /// A starting point for tests and for switching effects on one at a time.
    pub fn ideal() -> Self {
        let mut c = PcmConfig::default();
        c.device.prog_noise_scale = 0.0;
        c.device.drift_scale = 0.0;
        c.device.read_noise_scale = 0.0;
        c.periphery = Periphery::ideal();
        c.update.dw_min_dtod = 0.0;
        c.update.dw_min_std = 0.0;
        c.drift_compensation.enabled = false;
        c
    }

    pub fn validate(&self) -> Result<()> {
        self.device.validate()?;
        self.periphery.validate()?;
        self.cell.validate()?;
        self.update.validate()?;
        self.drift_compensation.validate()?;
        if self.histogram_bins == 0 || self.histogram_bins > 1 << 20 {
            bail!(
                "pcm.histogramBins: expected 1 ..= 1048576 bins, got {}",
                self.histogram_bins
            );
        }
        Ok(())
    }
}

/// A `clamp(slope · ln q + offset, min, max)` law (the drift exponent's mean and spread).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogLaw {
    pub slope: f64,
    pub offset: f64,
    pub min: f64,
    pub max: f64,
}

impl LogLaw {
    /// `clamp(slope · ln q + offset, min, max)`
    #[inline]
    pub fn at(&self, q: f64) -> f64 {
        (self.slope * q.ln() + self.offset).clamp(self.min, self.max)
    }

    fn validate(&self, name: &str) -> Result<()> {
        for (field, v) in [
            ("slope", self.slope),
            ("offset", self.offset),
            ("min", self.min),
            ("max", self.max),
        ] {
            if !v.is_finite() {
                bail!(
                    "{name}.{field}: expected a finite number, got {}",
                    js_num(v)
                );
            }
        }
        if self.min < 0.0 || self.min > self.max {
            bail!(
                "{name}: expected 0 <= min <= max, got min {} and max {}",
                self.min,
                self.max
            );
        }
        Ok(())
    }
}

/// The statistical PCM device model (Nandakumar et al. 2019, as aihwkit's `PCMLikeNoiseModel`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PcmDevice {
    /// Largest conductance (µS): `max|W|` of a tile maps onto it. 25 µS.
    pub g_max: f64,
    /// Programming noise `sigma = (Σ_i c_i q^i) · gMax / gRef` µS: `[0.26348, 1.9650, -1.1731]`.
    pub prog_coeff: Vec<f64>,
    /// `gRef`, the `gMax` the coefficients were fitted at: 25 µS.
    pub prog_coeff_g_max_reference: f64,
    /// Multiplies the programming noise (0 switches it off). 1.
    pub prog_noise_scale: f64,
    /// First read after programming (s); drift runs as `((t + t0) / t0)^(-nu)`. 20 s.
    pub t0: f64,
    /// Mean of the drift exponent: `clamp(-0.0155 ln q + 0.0244, 0.049, 0.1)`.
    pub drift_mu: LogLaw,
    /// Spread of the drift exponent: `clamp(-0.0125 ln q - 0.0059, 0.008, 0.045)`.
    pub drift_sd: LogLaw,
    /// Multiplies every drift exponent (0 switches drift off). 1.
    pub drift_scale: f64,
    /// `q` is floored here before `ln q` (a RESET device has `q = 0`). 1e-7 (aihwkit's clip).
    pub q_floor: f64,
    /// 1/f read noise `Qs = min(c / max(q^e, floor), max)`: `c` = 0.0088.
    pub read_qs_coeff: f64,
    /// `e` = 0.65.
    pub read_qs_exponent: f64,
    /// `floor` = 1e-3.
    pub read_qs_floor: f64,
    /// `max` = 0.2.
    pub read_qs_max: f64,
    /// Read pulse duration of the 1/f fit (s). 250 ns.
    pub t_read: f64,
    /// Multiplies the read noise (0 switches it off). 1.
    pub read_noise_scale: f64,
}

impl Default for PcmDevice {
    fn default() -> Self {
        PcmDevice {
            g_max: 25.0,
            prog_coeff: vec![0.26348, 1.9650, -1.1731],
            prog_coeff_g_max_reference: 25.0,
            prog_noise_scale: 1.0,
            t0: 20.0,
            drift_mu: LogLaw {
                slope: -0.0155,
                offset: 0.0244,
                min: 0.049,
                max: 0.1,
            },
            drift_sd: LogLaw {
                slope: -0.0125,
                offset: -0.0059,
                min: 0.008,
                max: 0.045,
            },
            drift_scale: 1.0,
            q_floor: 1e-7,
            read_qs_coeff: 0.0088,
            read_qs_exponent: 0.65,
            read_qs_floor: 1e-3,
            read_qs_max: 0.2,
            t_read: 250e-9,
            read_noise_scale: 1.0,
        }
    }
}

/// Largest `gMax` accepted, µS (1 S): a thousand times any PCM device.
pub const MAX_G_MAX: f64 = 1e6;

fn positive(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        bail!(
            "{name}: expected a positive finite number, got {}",
            js_num(v)
        );
    }
    Ok(())
}

fn non_negative(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        bail!("{name}: expected a finite number >= 0, got {}", js_num(v));
    }
    Ok(())
}

fn in_unit(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0 && v <= 1.0) {
        bail!("{name}: expected a number in (0, 1], got {}", js_num(v));
    }
    Ok(())
}

impl PcmDevice {
    pub fn validate(&self) -> Result<()> {
        positive("pcm.device.gMax", self.g_max)?;
        // Real PCM devices reach tens of µS; far beyond that, g^2 terms of the noise models
        // overflow f32 and every read is infinite.
        if self.g_max > MAX_G_MAX {
            bail!(
                "pcm.device.gMax: expected at most {MAX_G_MAX} µS, got {}",
                self.g_max
            );
        }
        if self.prog_coeff.is_empty() || self.prog_coeff.len() > 16 {
            bail!(
                "pcm.device.progCoeff: expected 1 ..= 16 polynomial coefficients, got {}",
                self.prog_coeff.len()
            );
        }
        if let Some(v) = self.prog_coeff.iter().find(|v| !v.is_finite()) {
            bail!("pcm.device.progCoeff: expected finite coefficients, got {v}");
        }
        positive(
            "pcm.device.progCoeffGMaxReference",
            self.prog_coeff_g_max_reference,
        )?;
        non_negative("pcm.device.progNoiseScale", self.prog_noise_scale)?;
        positive("pcm.device.t0", self.t0)?;
        self.drift_mu.validate("pcm.device.driftMu")?;
        self.drift_sd.validate("pcm.device.driftSd")?;
        non_negative("pcm.device.driftScale", self.drift_scale)?;
        in_unit("pcm.device.qFloor", self.q_floor)?;
        non_negative("pcm.device.readQsCoeff", self.read_qs_coeff)?;
        if !self.read_qs_exponent.is_finite() {
            bail!(
                "pcm.device.readQsExponent: expected a finite number, got {}",
                self.read_qs_exponent
            );
        }
        in_unit("pcm.device.readQsFloor", self.read_qs_floor)?;
        non_negative("pcm.device.readQsMax", self.read_qs_max)?;
        positive("pcm.device.tRead", self.t_read)?;
        non_negative("pcm.device.readNoiseScale", self.read_noise_scale)?;
        Ok(())
    }
}

/// How an input row is scaled before the DAC.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InputRange {
    /// Each row by its own `max|x|` (aihwkit's `NoiseManagementType.ABS_MAX`); an all-zero row
    /// by 1.
    RowAbsMax,
    /// Every row by this fixed range; values beyond it clip.
    Fixed(f64),
}

/// The digital/analog periphery of the tile (aihwkit's `IOParameters`). Each stage can be
/// switched off on its own.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Periphery {
    /// Input scaling; after it, inputs clip to ±1. Row `max|x|`.
    pub input_range: InputRange,
    /// DAC magnitude bits, the sign being extra: `2·(2^bits - 1) + 1` levels `k / (2^bits - 1)`,
    /// `|k| <= 2^bits - 1`. 7 (255 levels). `None`: no input quantisation.
    pub dac_bits: Option<u32>,
    /// Additive Gaussian output noise, sd in normalised output units. 0.06.
    pub out_noise: f64,
    /// Outputs clip to `±bound` (normalised units). 12. `None`: no clipping.
    pub out_bound: Option<f64>,
    /// ADC bits, sign included: `2^bits - 1` levels `k · bound / (2^(bits-1) - 1)`,
    /// `|k| <= 2^(bits-1) - 1` (the two's-complement code `-2^(bits-1)` unused, so 0 is a
    /// level). 9 (511 levels). Needs `outBound`. `None`: no output quantisation.
    pub adc_bits: Option<u32>,
}

impl Default for Periphery {
    fn default() -> Self {
        Periphery {
            input_range: InputRange::RowAbsMax,
            dac_bits: Some(7),
            out_noise: 0.06,
            out_bound: Some(12.0),
            adc_bits: Some(9),
        }
    }
}

impl Periphery {
    /// No quantisation, noise or clipping.
    pub fn ideal() -> Self {
        Periphery {
            input_range: InputRange::RowAbsMax,
            dac_bits: None,
            out_noise: 0.0,
            out_bound: None,
            adc_bits: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if let InputRange::Fixed(r) = self.input_range {
            positive("pcm.periphery.inputRange.fixed", r)?;
        }
        if let Some(b) = self.dac_bits {
            if !(1..=24).contains(&b) {
                bail!("pcm.periphery.dacBits: expected 1 ..= 24 magnitude bits, got {b}");
            }
        }
        non_negative("pcm.periphery.outNoise", self.out_noise)?;
        if let Some(b) = self.out_bound {
            positive("pcm.periphery.outBound", b)?;
        }
        if let Some(b) = self.adc_bits {
            if !(2..=24).contains(&b) {
                bail!("pcm.periphery.adcBits: expected 2 ..= 24 bits (sign included), got {b}");
            }
            if self.out_bound.is_none() {
                bail!("pcm.periphery.adcBits: the ADC needs outBound (its full scale), got none");
            }
        }
        Ok(())
    }
}

/// Devices per weight: `pairsPerWeight` differential pairs with significance factors `F_p`,
/// most significant first. The cell reads `Σ_p F_p (G+_p - G-_p) / Σ_p F_p`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CellConfig {
    /// 1.
    pub pairs_per_weight: usize,
    /// Default factors `F_p = base^(N-1-p)`: `[.., base², base, 1]`. 3.
    pub significance_base: f64,
    /// Explicit factors, most significant first (overrides the base).
    pub significance: Option<Vec<f64>>,
}

impl Default for CellConfig {
    fn default() -> Self {
        CellConfig {
            pairs_per_weight: 1,
            significance_base: 3.0,
            significance: None,
        }
    }
}

impl CellConfig {
    /// `F_p`, most significant first.
    pub fn factors(&self) -> Vec<f64> {
        match &self.significance {
            Some(f) => f.clone(),
            None => (0..self.pairs_per_weight)
                .map(|p| {
                    self.significance_base
                        .powi((self.pairs_per_weight - 1 - p) as i32)
                })
                .collect(),
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !(1..=8).contains(&self.pairs_per_weight) {
            bail!(
                "pcm.cell.pairsPerWeight: expected 1 ..= 8 pairs, got {}",
                self.pairs_per_weight
            );
        }
        positive("pcm.cell.significanceBase", self.significance_base)?;
        if let Some(f) = &self.significance {
            if f.len() != self.pairs_per_weight {
                bail!(
                    "pcm.cell.significance: expected one factor per pair ({}), got {}",
                    self.pairs_per_weight,
                    f.len()
                );
            }
            for &v in f {
                positive("pcm.cell.significance", v)?;
            }
        }
        let f = self.factors();
        if let Some(v) = f.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            bail!("pcm.cell.significanceBase: a factor overflowed to {v}");
        }
        Ok(())
    }
}

/// One device step in weight units, the `epsilon` of mixed-precision training.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EpsilonRule {
    /// The mean step of the device that would be pulsed, at its present conductance (capped at
    /// the refresh threshold, so that `epsilon` stays away from 0 near saturation).
    PerDevice,
    /// One tile-wide value: the mean step at this relative conductance `q` in [0, 1).
    AtConductance(f64),
}

/// The pulsed update of a PCM device (potentiation only), after aihwkit's `PCMPresetDevice`
/// (Nandakumar et al., Front. Neurosci. 2020):
///
/// ```text
/// dw(u) = dwMin · (1 + A·e^(-γ·2u)) · (1 - u)        u = g / gMax in [0, 1]
/// ```
///
/// `1 + A·e^(-γ w)` with `A = 27.235`, `γ = 2.5` is the preset's step in its own coordinate
/// `w = 2u` (its `w_max` is 2); the factor `(1 - u)` makes the step reach 0 at `gMax` (the preset
/// relies on a hard bound instead), so repeated pulses approach `gMax` and never pass it.
/// `dwMin = 0.005` is the preset's 0.01 on its range of 2.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateModel {
    /// Relative to gMax. 0.005.
    pub dw_min: f64,
    /// `A`. 27.235.
    pub a_up: f64,
    /// `γ`. 2.5.
    pub gamma_up: f64,
    /// Device-to-device spread: each device's steps carry a factor `exp(s ξ - s²/2)`
    /// (log-normal, mean 1) drawn once per device. `s` = 0.2.
    pub dw_min_dtod: f64,
    /// Cycle-to-cycle spread: each pulse carries a new factor `exp(s ξ - s²/2)` (mean 1; a SET
    /// pulse never lowers g). `s` = 0.6.
    pub dw_min_std: f64,
    /// Refresh a pair when refreshing is on, its larger device is at least `refreshUpper·gMax`
    /// and its smaller one at least `refreshLower·gMax`. On.
    pub refresh: bool,
    /// 0.9.
    pub refresh_upper: f64,
    /// 0.1: the rewritten difference then lands at most `(upper - lower)·gMax` (before
    /// programming noise), so a refreshed pair does not refresh again at the next update; a
    /// large weight whose small device is near 0 gains nothing from a refresh and keeps
    /// saturating instead.
    pub refresh_lower: f64,
    /// At most this many pulses per device per update; what is left stays in `chi`. 64.
    pub max_pulses_per_update: u32,
    /// `epsilon`: per device.
    pub epsilon: EpsilonRule,
    /// After an update, read the devices with 1/f read noise (as at `t = t0`, one draw per
    /// update) instead of exactly. Off.
    pub training_read_noise: bool,
}

impl Default for UpdateModel {
    fn default() -> Self {
        UpdateModel {
            dw_min: 0.005,
            a_up: 27.235,
            gamma_up: 2.5,
            dw_min_dtod: 0.2,
            dw_min_std: 0.6,
            refresh: true,
            refresh_upper: 0.9,
            refresh_lower: 0.1,
            max_pulses_per_update: 64,
            epsilon: EpsilonRule::PerDevice,
            training_read_noise: false,
        }
    }
}

impl UpdateModel {
    pub fn validate(&self) -> Result<()> {
        in_unit("pcm.update.dwMin", self.dw_min)?;
        non_negative("pcm.update.aUp", self.a_up)?;
        non_negative("pcm.update.gammaUp", self.gamma_up)?;
        non_negative("pcm.update.dwMinDtod", self.dw_min_dtod)?;
        non_negative("pcm.update.dwMinStd", self.dw_min_std)?;
        if self.dw_min_dtod > 3.0 || self.dw_min_std > 3.0 {
            bail!(
                "pcm.update.dwMinDtod/dwMinStd: expected log-normal spreads <= 3, got {} and {}",
                self.dw_min_dtod,
                self.dw_min_std
            );
        }
        in_unit("pcm.update.refreshUpper", self.refresh_upper)?;
        if !(self.refresh_lower.is_finite()
            && self.refresh_lower >= 0.0
            && self.refresh_lower <= self.refresh_upper)
        {
            bail!(
                "pcm.update.refreshLower: expected 0 <= refreshLower <= refreshUpper ({}), got {}",
                self.refresh_upper,
                self.refresh_lower
            );
        }
        if self.max_pulses_per_update == 0 {
            bail!("pcm.update.maxPulsesPerUpdate: expected at least 1, got 0");
        }
        if let EpsilonRule::AtConductance(q) = self.epsilon {
            if !(q.is_finite() && (0.0..1.0).contains(&q)) {
                bail!("pcm.update.epsilon.atConductance: expected q in [0, 1), got {q}");
            }
        }
        Ok(())
    }
}

/// The known input the global drift compensation reads the tile with.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Probe {
    /// One all-ones vector (aihwkit's `GlobalDriftCompensation`): the column sums.
    Ones,
    /// This many seeded ±1 vectors.
    RandomSigns(usize),
}

/// Global drift compensation in the digital periphery (docs/design.md §3).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DriftCompensation {
    /// Rescale the outputs by the drift of a probe read (the reading at programming time over
    /// the one now), as aihwkit's global drift compensation does. Default on.
    pub enabled: bool,
    /// The probe inputs read to estimate the drift. Default `"ones"`.
    pub probe: Probe,
}

impl Default for DriftCompensation {
    fn default() -> Self {
        DriftCompensation {
            enabled: true,
            probe: Probe::Ones,
        }
    }
}

impl DriftCompensation {
    pub fn validate(&self) -> Result<()> {
        if let Probe::RandomSigns(v) = self.probe {
            if !(1..=4096).contains(&v) {
                bail!(
                    "pcm.driftCompensation.probe.randomSigns: expected 1 ..= 4096 vectors, got {v}"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_json_round_trips() {
        let c = PcmConfig::default();
        c.validate().unwrap();
        PcmConfig::ideal().validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"gMax\":25.0"), "{json}");
        let back: PcmConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        // Missing fields take their defaults.
        let partial: PcmConfig = serde_json::from_str(r#"{"device":{"gMax":10.0}}"#).unwrap();
        assert_eq!(partial.device.g_max, 10.0);
        assert_eq!(partial.device.t0, 20.0);
    }

    #[test]
    fn significance_factors_are_powers_of_the_base() {
        let c = CellConfig {
            pairs_per_weight: 3,
            significance_base: 4.0,
            significance: None,
        };
        assert_eq!(c.factors(), vec![16.0, 4.0, 1.0]);
    }
}
