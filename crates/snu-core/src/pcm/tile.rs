//! `AnalogTile`: the PCM devices of one `k x n` weight matrix (row-major like the engine's `W`:
//! `k` inputs by `n` outputs), their life (programming, drift and read noise over time, pulsed
//! updates with refresh) and the periphery around the product.
//!
//! The engine multiplies itself, between the two halves of the periphery:
//!
//! ```text
//! x_q, s = tile.quantize_inputs(x)              DAC (per-row range s)
//! y      = x_q · tile.weights()                  the engine's own fast product
//! tile.finish_outputs(y, s, counter)             output noise, bound, ADC, undo scales, alpha
//! ```
//!
//! `weights()` are the weights the devices hold at the present time, in weight units, so that an
//! exact product with them is the crossbar's analog product. Device `p·k·n + i·n + j` is pair `p`
//! of weight `(i, j)`; G+ and G- devices are kept in two arrays.
//!
//! Random draws: programming, drift exponents, read noise, update spreads and refresh come from
//! one seeded `Rng` in a fixed order, so a seed and a sequence of calls give the same devices.
//! The output noise is counter-based (`gaussian`): `finish_outputs` with the same counter gives
//! the same bits whatever the number of threads.

use super::config::PcmConfig;
use super::gaussian::NoiseKey;
use super::mapping::Mapping;
use super::periphery::{Adc, Dac};
use super::stats::{Histogram, TileStats, UpdateReport};
use super::{drift, drift_compensation, mixed_precision, programming, read_noise, update};
use crate::bail;
use crate::error::{check_finite, Result};
use crate::kernels::linalg::{gemm, Mat};
use crate::kernels::rng::Rng;

/// One side (every G+ or every G-) of all pairs.
#[derive(Clone, Debug)]
struct Devices {
    /// Conductance at `t = 0`: right after programming or the last pulse (µS).
    g_prog: Vec<f32>,
    /// What the last programming aimed at (or the conductance a pulse reached): the `q` of the
    /// drift law.
    g_target: Vec<f32>,
    /// Conductance read at the present time (drift and read noise).
    g_now: Vec<f32>,
    /// The standard normal behind the device's drift exponent, drawn at each programming.
    xi_nu: Vec<f32>,
    /// Device-to-device factor of the update step, drawn once.
    d2d: Vec<f32>,
    /// SET pulses received.
    pulses: Vec<u32>,
}

impl Devices {
    fn new(count: usize, config: &PcmConfig, rng: &mut Rng) -> Self {
        Devices {
            g_prog: vec![0.0; count],
            g_target: vec![0.0; count],
            g_now: vec![0.0; count],
            xi_nu: vec![0.0; count],
            d2d: (0..count)
                .map(|_| update::draw_d2d(&config.update, rng))
                .collect(),
            pulses: vec![0; count],
        }
    }

    /// Programs device `d` towards `target` (programming noise, a new drift draw).
    fn program(&mut self, d: usize, target: f32, config: &PcmConfig, rng: &mut Rng) -> f32 {
        let g = programming::program_conductance(&config.device, target as f64, rng) as f32;
        self.g_prog[d] = g;
        self.g_target[d] = target;
        self.xi_nu[d] = rng.normal() as f32;
        g
    }
}

#[derive(Clone, Debug)]
pub struct AnalogTile {
    k: usize,
    n: usize,
    config: PcmConfig,
    rng: Rng,
    noise_key: NoiseKey,
    dac: Dac,
    adc: Adc,
    map: Mapping,
    plus: Devices,
    minus: Devices,
    /// Mixed-precision accumulator per weight (weight units).
    chi: Vec<f64>,
    weights: Vec<f32>,
    /// Seconds since programming.
    time: f64,
    /// Drift-compensation factor at `time` (1 at `t = 0`).
    alpha: f32,
    probe: Vec<f32>,
    probe_vectors: usize,
    /// `mean|P W(0)|`.
    reference: f64,
    refreshes: u64,
}

impl AnalogTile {
    /// A tile of `k x n` weights, every device at 0 µS (all weights 0).
    pub fn new(k: usize, n: usize, config: PcmConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        if k == 0 || n == 0 {
            bail!("AnalogTile: expected at least one input and one output, got k = {k}, n = {n}");
        }
        let pairs = config.cell.pairs_per_weight;
        let Some(count) = k.checked_mul(n).and_then(|kn| kn.checked_mul(pairs)) else {
            bail!("AnalogTile: k x n x pairs = {k} x {n} x {pairs} devices is too many");
        };
        let mut rng = Rng::new(seed);
        let plus = Devices::new(count, &config, &mut rng);
        let minus = Devices::new(count, &config, &mut rng);
        // The probe has a generator of its own, so that choosing one does not shift the others.
        let (probe, probe_vectors) = drift_compensation::probe_rows(
            config.drift_compensation.probe,
            k,
            &mut Rng::new(seed ^ 0x7072_6F62_655F_7365),
        );
        let factors: Vec<f32> = config.cell.factors().iter().map(|&f| f as f32).collect();
        let map = Mapping::with_w_max(1.0, config.device.g_max as f32, &factors);
        let mut tile = AnalogTile {
            k,
            n,
            dac: Dac::new(&config.periphery),
            adc: Adc::new(&config.periphery),
            noise_key: NoiseKey::from_seed(seed ^ 0x6E6F_6973_655F_6B65),
            rng,
            map,
            plus,
            minus,
            chi: vec![0.0; k * n],
            weights: vec![0.0; k * n],
            time: 0.0,
            alpha: 1.0,
            probe,
            probe_vectors,
            reference: 0.0,
            refreshes: 0,
            config,
        };
        tile.settle(false);
        Ok(tile)
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn config(&self) -> &PcmConfig {
        &self.config
    }

    /// Seconds since the last programming or update.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// The present mapping (scale, `max|W|`, significance factors).
    pub fn mapping(&self) -> &Mapping {
        &self.map
    }

    /// Maps `w` (`k x n`) onto the devices and programs them (with programming noise): the
    /// programming reference of drift and drift compensation, at `t = 0`. Clears `chi`.
    pub fn program(&mut self, w: &[f32]) -> Result<()> {
        self.program_with_range(w, None)
    }

    /// `program` with the weight that maps to `gMax` given (`w_range`) instead of `max|W|`:
    /// larger weights clip to ±`w_range`. Room above the present weights lets training in the
    /// loop grow them; a range below `max|W|` spends the devices' resolution on the bulk of
    /// the weights at the cost of clipping the largest.
    pub fn program_with_range(&mut self, w: &[f32], w_range: Option<f32>) -> Result<()> {
        let kn = self.k * self.n;
        check_finite("w", w, kn, "k x n")?;
        self.map = match w_range {
            None => Mapping::for_weights(w, self.map.g_max, &self.map.factors),
            Some(r) if r.is_finite() && r > 0.0 => {
                Mapping::with_w_max(r, self.map.g_max, &self.map.factors)
            }
            Some(r) => bail!("weightRange: expected a finite number > 0, got {r}"),
        };
        let (config, plus, minus, rng) =
            (&self.config, &mut self.plus, &mut self.minus, &mut self.rng);
        for (idx, &wv) in w.iter().enumerate() {
            self.map.write(wv, |p, target_plus, target_minus| {
                let d = p * kn + idx;
                let gp = plus.program(d, target_plus, config, rng);
                let gm = minus.program(d, target_minus, config, rng);
                (gp, gm)
            });
        }
        self.chi.fill(0.0);
        self.settle(false);
        Ok(())
    }

    /// Moves the tile to `t` seconds after programming: every device drifts from its programmed
    /// conductance and is read once with 1/f noise accumulated over `t + t0` (one draw per call,
    /// as aihwkit's `drift_analog_weights`); then `weights()` and the drift compensation follow.
    pub fn set_time(&mut self, t_seconds: f64) -> Result<()> {
        if !(t_seconds.is_finite() && t_seconds >= 0.0) {
            bail!("t: expected a time in seconds >= 0, got {t_seconds}");
        }
        let dev = &self.config.device;
        let time_factor = read_noise::time_factor(dev, t_seconds + dev.t0);
        for side in [&mut self.plus, &mut self.minus] {
            for d in 0..side.g_prog.len() {
                let g0 = side.g_prog[d] as f64;
                let nu = drift::nu_from(dev, side.g_target[d] as f64, side.xi_nu[d] as f64);
                let g_drift = g0 * drift::drift_factor(dev, t_seconds, nu);
                let sigma = dev.read_noise_scale * read_noise::qs(dev, g0) * time_factor;
                side.g_now[d] = read_noise::read(g_drift, sigma, &mut self.rng) as f32;
            }
        }
        self.time = t_seconds;
        self.recompute_weights();
        self.alpha = if t_seconds > 0.0 {
            drift_compensation::alpha(self.reference, self.probe_response())
        } else {
            1.0
        };
        Ok(())
    }

    /// The weights the devices hold now (weight units, `k x n`).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The global drift-compensation factor the outputs are scaled by: 1 when compensation is
    /// off or at `t = 0`.
    pub fn drift_alpha(&self) -> f32 {
        if self.config.drift_compensation.enabled {
            self.alpha
        } else {
            1.0
        }
    }

    /// Switches the global drift compensation on or off.
    pub fn set_drift_compensation(&mut self, on: bool) {
        self.config.drift_compensation.enabled = on;
    }

    /// The input DAC on `x` (`rows x k`): `out` gets the quantised inputs in the input's own
    /// units (`x` itself when every value is already a level, e.g. 0/1 spikes); returns each
    /// row's range, to pass to `finish_outputs`.
    pub fn quantize_inputs(&self, x: &[f32], rows: usize, out: &mut Vec<f32>) -> Vec<f32> {
        self.dac.quantize(x, rows, self.k, out)
    }

    /// The output stage on `y = x_q · weights()` (`rows x n`), in place: output noise (stream
    /// `rng_counter` of the tile's noise key, row by row), bound, ADC, the scales undone and the
    /// drift compensation applied. Parallel over rows; the same bits for any number of threads.
    pub fn finish_outputs(&self, y: &mut [f32], rows: usize, row_scales: &[f32], rng_counter: u64) {
        self.adc.finish(
            y,
            rows,
            self.n,
            row_scales,
            self.map.w_max,
            self.drift_alpha(),
            self.noise_key,
            rng_counter,
        );
    }

    /// The whole analog forward pass `out = f(x · W)` for `x` (`rows x k`) into `out`
    /// (`rows x n`): DAC, `linalg::gemm` with `weights()`, output stage.
    pub fn forward(&self, x: &[f32], rows: usize, out: &mut [f32], rng_counter: u64) -> Result<()> {
        check_finite("x", x, rows * self.k, "rows x k")?;
        if out.len() != rows * self.n {
            bail!(
                "out: expected {} values (rows x n), got {}",
                rows * self.n,
                out.len()
            );
        }
        let mut xq = Vec::new();
        let scales = self.quantize_inputs(x, rows, &mut xq);
        gemm(
            1.0,
            Mat::new(&xq, rows, self.k),
            false,
            Mat::new(&self.weights, self.k, self.n),
            false,
            0.0,
            out,
        );
        self.finish_outputs(out, rows, &scales, rng_counter);
        Ok(())
    }

    /// One mixed-precision update with the desired change `delta_w` (`k x n`, weight units):
    /// `chi += delta_w`, whole device steps become SET pulses on the least significant pair,
    /// saturated pairs are refreshed, and the tile returns to `t = 0` (no drift while training)
    /// with `weights()` read from the devices.
    pub fn apply_update(&mut self, delta_w: &[f32]) -> Result<UpdateReport> {
        let kn = self.k * self.n;
        check_finite("deltaW", delta_w, kn, "k x n")?;
        let (m, g_max) = (&self.config.update, self.config.device.g_max as f32);
        let last = self.map.factors.len() - 1;
        let weight_per_g_max = self.map.weight_per_siemens(last) as f64 * g_max as f64;
        let mut report = UpdateReport::default();
        for (idx, (chi, &dw)) in self.chi.iter_mut().zip(delta_w).enumerate() {
            *chi += dw as f64;
            let d = last * kn + idx;
            let side = if *chi >= 0.0 {
                &mut self.plus
            } else {
                &mut self.minus
            };
            let u0 = side.g_prog[d] as f64 / g_max as f64;
            let eps = mixed_precision::epsilon(m, u0, weight_per_g_max);
            let pulses = mixed_precision::take_pulses(chi, eps, m.max_pulses_per_update);
            if chi.abs() >= eps {
                report.capped += 1;
            }
            if pulses == 0 {
                continue;
            }
            let count = pulses.unsigned_abs();
            let mut u = u0;
            for _ in 0..count {
                u = update::set_pulse(m, u, side.d2d[d], &mut self.rng);
            }
            if u != u0 {
                side.g_prog[d] = (u * g_max as f64) as f32;
                side.g_target[d] = side.g_prog[d];
            }
            side.pulses[d] = side.pulses[d].saturating_add(count as u32);
            if pulses > 0 {
                report.pulses_plus += count;
            } else {
                report.pulses_minus += count;
            }
        }
        report.refreshes = self.refresh_pairs();
        self.settle(self.config.update.training_read_noise);
        Ok(report)
    }

    /// Refreshes every pulsed pair the refresh rule picks (even when automatic refresh in
    /// `apply_update` is off): both devices RESET, the difference programmed onto one of them
    /// with programming noise. Returns to `t = 0`; returns the number of pairs refreshed.
    pub fn refresh(&mut self) -> usize {
        let saved = self.config.update.refresh;
        self.config.update.refresh = true;
        let count = self.refresh_pairs();
        self.config.update.refresh = saved;
        self.settle(self.config.update.training_read_noise);
        count
    }

    /// `epsilon` (weight units) of weight `index` for a positive (`G+`) or negative (`G-`) step
    /// at the devices' present state.
    pub fn epsilon(&self, index: usize, positive: bool) -> f64 {
        let kn = self.k * self.n;
        let last = self.map.factors.len() - 1;
        let side = if positive { &self.plus } else { &self.minus };
        let g_max = self.config.device.g_max as f32;
        let u = side.g_prog[last * kn + index] as f64 / g_max as f64;
        mixed_precision::epsilon(
            &self.config.update,
            u,
            self.map.weight_per_siemens(last) as f64 * g_max as f64,
        )
    }

    /// The mixed-precision accumulators (weight units).
    pub fn chi(&self) -> &[f64] {
        &self.chi
    }

    /// Present conductances (µS) of the G+ and G- devices, pair-major.
    pub fn conductances(&self) -> (&[f32], &[f32]) {
        (&self.plus.g_now, &self.minus.g_now)
    }

    /// Conductances at `t = 0` (after programming or the last pulse), pair-major.
    pub fn programmed_conductances(&self) -> (&[f32], &[f32]) {
        (&self.plus.g_prog, &self.minus.g_prog)
    }

    /// Histograms with the configured number of bins.
    pub fn stats(&self) -> TileStats {
        self.stats_with_bins(self.config.histogram_bins)
    }

    pub fn stats_with_bins(&self, bins: usize) -> TileStats {
        let g_max = self.config.device.g_max as f32;
        let sum = |p: &[u32]| p.iter().map(|&c| c as u64).sum::<u64>();
        TileStats {
            devices: 2 * self.plus.g_now.len(),
            g_plus: Histogram::of(&self.plus.g_now, 0.0, g_max, bins),
            g_minus: Histogram::of(&self.minus.g_now, 0.0, g_max, bins),
            total_pulses: sum(&self.plus.pulses) + sum(&self.minus.pulses),
            pulses_plus: self.plus.pulses.clone(),
            pulses_minus: self.minus.pulses.clone(),
            refreshes: self.refreshes,
        }
    }

    /// The refresh rule on the least significant pair of every weight; no settling.
    fn refresh_pairs(&mut self) -> usize {
        let kn = self.k * self.n;
        let last = self.map.factors.len() - 1;
        let g_max = self.config.device.g_max as f32;
        let (config, plus, minus, rng) =
            (&self.config, &mut self.plus, &mut self.minus, &mut self.rng);
        let mut count = 0;
        for d in last * kn..(last + 1) * kn {
            let (gp, gm) = (plus.g_prog[d], minus.g_prog[d]);
            if update::needs_refresh(&config.update, gp / g_max, gm / g_max) {
                let diff = gp - gm;
                plus.program(d, diff.max(0.0), config, rng);
                minus.program(d, (-diff).max(0.0), config, rng);
                count += 1;
            }
        }
        self.refreshes += count as u64;
        count
    }

    /// Back to `t = 0`: devices read at their programmed conductance (with one draw of 1/f noise
    /// as at `t0` when `read_noise`), weights, the compensation reference, `alpha = 1`.
    fn settle(&mut self, noisy: bool) {
        self.time = 0.0;
        let dev = &self.config.device;
        let time_factor = read_noise::time_factor(dev, dev.t0);
        for side in [&mut self.plus, &mut self.minus] {
            if noisy {
                for d in 0..side.g_prog.len() {
                    let g0 = side.g_prog[d] as f64;
                    let sigma = dev.read_noise_scale * read_noise::qs(dev, g0) * time_factor;
                    side.g_now[d] = read_noise::read(g0, sigma, &mut self.rng) as f32;
                }
            } else {
                side.g_now.copy_from_slice(&side.g_prog);
            }
        }
        self.recompute_weights();
        self.reference = self.probe_response();
        self.alpha = 1.0;
    }

    /// `W = Σ_p F_p (G+_p - G-_p) / (S · scale)` from the present conductances.
    fn recompute_weights(&mut self) {
        let kn = self.k * self.n;
        self.weights.fill(0.0);
        for p in 0..self.map.factors.len() {
            let c = self.map.weight_per_siemens(p);
            let range = p * kn..(p + 1) * kn;
            for ((w, &a), &b) in self
                .weights
                .iter_mut()
                .zip(&self.plus.g_now[range.clone()])
                .zip(&self.minus.g_now[range])
            {
                *w += c * (a - b);
            }
        }
    }

    fn probe_response(&self) -> f64 {
        drift_compensation::mean_abs_response(
            &self.probe,
            self.probe_vectors,
            &self.weights,
            self.k,
            self.n,
        )
    }
}
