//! Spike encoders: turn real values into time-major spike trains for the first layer.
//!
//! Static encoders take `x` as `[batch, features]` and return `[steps, batch, features]`
//! (element `(t, b, f)` at `(t * batch + b) * features + f`, the engine's layout):
//!
//! | encoder   | a value `v` gives                                                          | random |
//! |-----------|----------------------------------------------------------------------------|--------|
//! | [`rate`]    | a spike at each step with probability `clamp(v * maxSpikes / T, 0, 1)`   | seeded |
//! | [`poisson`] | a spike at each step with probability `1 - exp(-v * maxRate * dt)`      | seeded |
//! | [`latency`] | one spike, earlier for larger `v` (linear or logarithmic time code)      | no     |
//! | [`direct`]  | `v` itself at every step                                                 | no     |
//!
//! [`delta`] takes a sequence `[steps, batch, features]` (time-major, like the engine) and
//! spikes where a value changed by at least a threshold since the previous step.
//!
//! Input rules: every value must be finite; `rate`, `poisson` and `latency` take values in
//! [0, 1] and refuse others (clamping silently would turn unscaled pixels, 0..255, into
//! all-ones). Outputs hold at most [`MAX_VALUES`] (2^31 - 1) values.
//!
//! Random encoders are deterministic in the seed and independent of the number of threads:
//! the output is cut into fixed blocks of [`BLOCK`] values and block `k` draws from its own
//! generator seeded by `mix(seed, k)`, so blocks can be filled in parallel.

use crate::bail;
use crate::error::js_num;
use crate::error::Result;
use crate::kernels::rng::Rng;
use crate::limits::MAX_VALUES;
use rayon::prelude::*;

/// Values drawn from one random stream (one parallel task) in the random encoders.
pub const BLOCK: usize = 1 << 15;

/// Rate coding (docs/design.md §2): at each of `steps` steps a value `v` in [0, 1] spikes with
/// probability
///
/// ```text
/// p = clamp(v * max_spikes / steps, 0, 1)
/// ```
///
/// so that it spikes `v * max_spikes` times on average (`max_spikes = steps`: `p = v`).
/// `x` is `[batch, features]`; the result is time-major `[steps, batch, features]` of 0/1.
pub fn rate(x: &[f32], batch: usize, steps: usize, max_spikes: f64, seed: u64) -> Result<Vec<f32>> {
    check_static(x, batch, steps, true)?;
    if !(max_spikes.is_finite() && max_spikes >= 0.0) {
        bail!("maxSpikes: expected a finite number >= 0, got {max_spikes}");
    }
    let scale = max_spikes / steps as f64;
    let p: Vec<f64> = x
        .iter()
        .map(|&v| (v as f64 * scale).clamp(0.0, 1.0))
        .collect();
    bernoulli(&p, steps, seed)
}

/// Poisson coding: value `v` in [0, 1] drives a Poisson process of rate `v * max_rate`
/// (Hz), sampled with time step `dt` (s). Each step spikes with the probability that at least
/// one event of the process falls in it,
///
/// ```text
/// p = 1 - exp(-v * max_rate * dt)
/// ```
///
/// At most one spike per step: several events in one step count as one (for
/// `v * max_rate * dt` well below 1, as with the usual 100 Hz and 1 ms, this is rare).
/// Steps are independent, so the intervals between spikes are geometric with mean `1 / p`
/// steps. `x` is `[batch, features]`; the result is `[steps, batch, features]` of 0/1.
pub fn poisson(
    x: &[f32],
    batch: usize,
    steps: usize,
    max_rate: f64,
    dt: f64,
    seed: u64,
) -> Result<Vec<f32>> {
    check_static(x, batch, steps, true)?;
    if !(max_rate.is_finite() && max_rate >= 0.0) {
        bail!("maxRate: expected a finite number >= 0 (Hz), got {max_rate}");
    }
    if !(dt.is_finite() && dt > 0.0) {
        bail!("dt: expected a finite number > 0 (seconds), got {dt}");
    }
    // -expm1(-r) = 1 - exp(-r), accurate for small r.
    let p: Vec<f64> = x
        .iter()
        .map(|&v| -(-(v as f64) * max_rate * dt).exp_m1())
        .collect();
    bernoulli(&p, steps, seed)
}

/// How [`latency`] turns a value into a spike time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyCode {
    /// `t = (1 - v) * (steps - 1)`: `v = 1` at step 0, `v = 0` at the last step.
    Linear,
    /// `t = tau * ln(v / (v - threshold))`: the time a leaky integrator (time constant `tau`
    /// steps, constant input `v`) needs to reach `threshold` (snnTorch's `spikegen.latency`).
    Log,
}

/// Options of [`latency`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latency {
    pub code: LatencyCode,
    /// Values `v <= threshold` never spike. In [0, 1) for `Linear`, (0, 1) for `Log`.
    pub threshold: f64,
    /// Time constant in steps of the `Log` code (> 0); unused by `Linear`.
    pub tau: f64,
    /// Scale each sample's spike times so that its latest spike falls on step `steps - 1`.
    pub normalize: bool,
}

impl Default for Latency {
    /// Linear code, threshold 0.01 (snnTorch's default), tau 1 step, no normalization.
    fn default() -> Self {
        Latency {
            code: LatencyCode::Linear,
            threshold: 0.01,
            tau: 1.0,
            normalize: false,
        }
    }
}

impl Latency {
    /// The spike time of `v` before normalization and rounding, or `None` when `v <= threshold`.
    pub fn raw_time(&self, v: f64, steps: usize) -> Option<f64> {
        if v <= self.threshold {
            return None;
        }
        Some(match self.code {
            LatencyCode::Linear => (1.0 - v) * (steps - 1) as f64,
            LatencyCode::Log => self.tau * (v / (v - self.threshold)).ln(),
        })
    }

    fn check(&self) -> Result<()> {
        let th = self.threshold;
        match self.code {
            LatencyCode::Linear if !(th.is_finite() && (0.0..1.0).contains(&th)) => {
                bail!(
                    "threshold: expected a number in [0, 1) for the linear latency code, got {th}"
                )
            }
            LatencyCode::Log if !(th.is_finite() && th > 0.0 && th < 1.0) => {
                bail!("threshold: expected a number in (0, 1) for the log latency code, got {th}")
            }
            _ => {}
        }
        if self.code == LatencyCode::Log && !(self.tau.is_finite() && self.tau > 0.0) {
            bail!(
                "tau: expected a finite number > 0 (steps), got {}",
                self.tau
            );
        }
        Ok(())
    }
}

/// Latency (time-to-first-spike) coding: each value `v` in [0, 1] above `threshold` spikes
/// exactly once, at step
///
/// ```text
/// linear:  t = (1 - v) * (T - 1)
/// log:     t = tau * ln(v / (v - threshold))
/// normalize (optional, per sample):  t <- t * (T - 1) / max_f t_f   (over the sample's spiking values)
/// step = min(round(t), T - 1)        (halves round up; later spikes are clipped to the last step)
/// ```
///
/// Values `v <= threshold` never spike. Larger values spike earlier (never later). The
/// normalization uses the sample alone, never the rest of the batch, so a sample's code does
/// not depend on the batch it is drawn in. Deterministic: no seed.
/// `x` is `[batch, features]`; the result is `[steps, batch, features]` of 0/1.
pub fn latency(x: &[f32], batch: usize, steps: usize, opts: &Latency) -> Result<Vec<f32>> {
    let features = check_static(x, batch, steps, true)?;
    opts.check()?;
    let mut out = zeros(steps * x.len())?;
    let last = (steps - 1) as f64;
    let mut times = vec![None; features];
    for (b, row) in x.chunks_exact(features).enumerate() {
        for (t, &v) in times.iter_mut().zip(row) {
            *t = opts.raw_time(v as f64, steps);
        }
        let scale = if opts.normalize {
            let max = times.iter().flatten().fold(0.0f64, |m, &t| m.max(t));
            if max > 0.0 {
                last / max
            } else {
                1.0
            }
        } else {
            1.0
        };
        for (f, t) in times.iter().enumerate() {
            if let Some(t) = t {
                let step = (t * scale).round().min(last) as usize;
                out[(step * batch + b) * features + f] = 1.0;
            }
        }
    }
    Ok(out)
}

/// Direct coding: the value itself at every step (`out[t, b, f] = x[b, f]`), so the first
/// layer sees real values. Any finite values. Deterministic: no seed.
pub fn direct(x: &[f32], batch: usize, steps: usize) -> Result<Vec<f32>> {
    check_static(x, batch, steps, false)?;
    let mut out = zeros(steps * x.len())?;
    out.par_chunks_mut(x.len())
        .for_each(|step| step.copy_from_slice(x));
    Ok(out)
}

/// Options of [`delta`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Delta {
    /// A change of at least this much (> 0) spikes.
    pub threshold: f64,
    /// Two channels per feature: `[0, F)` spike on increase, `[F, 2F)` on decrease.
    pub on_off: bool,
    /// No spikes at step 0; otherwise step 0 is compared with 0.
    pub skip_first: bool,
}

impl Default for Delta {
    /// Threshold 0.1 (snnTorch's default), increases only, step 0 compared with 0.
    fn default() -> Self {
        Delta {
            threshold: 0.1,
            on_off: false,
            skip_first: false,
        }
    }
}

/// Delta modulation (as snnTorch's `spikegen.delta`): a sequence `x`, time-major
/// `[steps, batch, features]`, spikes where a value changed since the previous step:
///
/// ```text
/// d_t = x_t - x_{t-1}        (x_{-1} = 0; with skip_first, step 0 never spikes)
/// on_t  = [d_t >=  threshold]
/// off_t = [d_t <= -threshold]   (only with on_off)
/// ```
///
/// The reference is the previous step, not the last value that spiked, so a drift slower than
/// `threshold` per step never spikes. The result is `[steps, batch, C]` of 0/1 with `C =
/// features` (on spikes) or, with `on_off`, `C = 2 * features`: on spikes in channels
/// `[0, features)` and off spikes in `[features, 2 * features)`. Any finite values.
pub fn delta(
    x: &[f32],
    steps: usize,
    batch: usize,
    features: usize,
    opts: &Delta,
) -> Result<Vec<f32>> {
    if steps == 0 {
        bail!("steps: expected an integer >= 1, got 0");
    }
    if batch == 0 {
        bail!("batch: expected an integer >= 1, got 0");
    }
    if features == 0 {
        bail!("features: expected an integer >= 1, got 0");
    }
    // Sizes in u128: no product of three usizes overflows it.
    let channels = features as u128 * if opts.on_off { 2 } else { 1 };
    let n_out = steps as u128 * batch as u128 * channels;
    if n_out > MAX_VALUES as u128 {
        bail!(
            "steps x batch x {} = {steps} x {batch} x {channels} = {n_out} values: more than {MAX_VALUES} (2^31 - 1); use fewer steps or a smaller batch",
            if opts.on_off { "2 features" } else { "features" }
        );
    }
    let (channels, n_in, n_out) = (channels as usize, steps * batch * features, n_out as usize);
    if x.len() != n_in {
        bail!("x: expected steps x batch x features = {steps} x {batch} x {features} = {n_in} values, got {}", x.len());
    }
    check_values(x, false)?;
    let th = opts.threshold;
    if !(th.is_finite() && th > 0.0) {
        bail!("threshold: expected a finite number > 0, got {th}");
    }
    let mut out = zeros(n_out)?;
    let row = batch * features;
    for t in 0..steps {
        if t == 0 && opts.skip_first {
            continue;
        }
        let cur = &x[t * row..(t + 1) * row];
        let dst = &mut out[t * batch * channels..(t + 1) * batch * channels];
        for b in 0..batch {
            for f in 0..features {
                let i = b * features + f;
                let prev = if t == 0 {
                    0.0
                } else {
                    x[(t - 1) * row + i] as f64
                };
                let d = cur[i] as f64 - prev;
                if d >= th {
                    dst[b * channels + f] = 1.0;
                } else if opts.on_off && d <= -th {
                    dst[b * channels + features + f] = 1.0;
                }
            }
        }
    }
    Ok(out)
}

/// Checks a static input `[batch, features]` for an output of `steps` steps and returns
/// `features`. With `unit`, values must lie in [0, 1].
fn check_static(x: &[f32], batch: usize, steps: usize, unit: bool) -> Result<usize> {
    if steps == 0 {
        bail!("steps: expected an integer >= 1, got 0");
    }
    if batch == 0 {
        bail!("batch: expected an integer >= 1, got 0");
    }
    if x.is_empty() || !x.len().is_multiple_of(batch) {
        bail!("x: expected batch x features values with batch = {batch} and features >= 1, got {} values", x.len());
    }
    let features = x.len() / batch;
    match steps.checked_mul(x.len()) {
        Some(n) if n <= MAX_VALUES => {}
        _ => bail!(
            "steps x batch x features = {steps} x {batch} x {features} = {} values: more than {MAX_VALUES} (2^31 - 1); use fewer steps or a smaller batch",
            steps as u128 * x.len() as u128
        ),
    }
    check_values(x, unit)?;
    Ok(features)
}

/// Every value finite and, with `unit`, in [0, 1]; the error names the first bad index.
fn check_values(x: &[f32], unit: bool) -> Result<()> {
    let ok = |v: f32| {
        if unit {
            (0.0..=1.0).contains(&v)
        } else {
            v.is_finite()
        }
    };
    // The fast scan first (it vectorises); the position only when something is wrong.
    if x.iter().fold(true, |all, &v| all & ok(v)) {
        return Ok(());
    }
    let i = x.iter().position(|&v| !ok(v)).unwrap_or(0);
    if !x[i].is_finite() {
        bail!(
            "x: value at index {i} is {}, expected a finite number",
            js_num(x[i])
        );
    }
    bail!("x: value at index {i} is {}, expected a value in [0, 1] (scale inputs first, e.g. pixels / 255)", x[i])
}

/// A zeroed output, or an error (not an abort) when the memory cannot be had. Fresh zeroed
/// pages from the allocator (calloc) are not written twice.
fn zeros(n: usize) -> Result<Vec<f32>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let bytes = n as u128 * 4;
    let Ok(layout) = std::alloc::Layout::array::<f32>(n) else {
        bail!("out of memory: cannot allocate {n} output values ({bytes} bytes)");
    };
    // SAFETY: `layout` has a non-zero size; a null pointer (failure) is checked before use.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) } as *mut f32;
    if ptr.is_null() {
        bail!("out of memory: cannot allocate {n} output values ({bytes} bytes)");
    }
    // SAFETY: allocated by the global allocator with the layout of `[f32; n]`, which is what a
    // `Vec<f32>` of capacity `n` frees with; all `n` values are initialized (0.0 is all-zero bits).
    Ok(unsafe { Vec::from_raw_parts(ptr, n, n) })
}

/// Independent Bernoulli draws: `out[t, j] = [u < p[j]]` for every step `t` and input `j`,
/// `u` a uniform 32-bit integer compared with `round(p[j] * 2^32)` (probabilities resolved to
/// 2^-32; `p = 0` never, `p = 1` always spikes). Each 64-bit draw gives two `u`. Block `k` of
/// [`BLOCK`] output values draws from `Rng::new(stream_seed(seed, k))`, so the result depends on
/// the seed only, not on the threads.
fn bernoulli(p: &[f64], steps: usize, seed: u64) -> Result<Vec<f32>> {
    let n = p.len();
    let thresholds: Vec<u64> = p
        .iter()
        .map(|&p| (p.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64)
        .collect();
    let mut out = zeros(steps * n)?;
    out.par_chunks_mut(BLOCK).enumerate().for_each_init(
        || vec![0u32; BLOCK],
        |draws, (k, block)| {
            // The draws first (the generator is sequential), then a branch-free comparison
            // over runs of consecutive inputs.
            let mut rng = Rng::new(stream_seed(seed, k as u64));
            let draws = &mut draws[..block.len()];
            for pair in draws.chunks_mut(2) {
                let r = rng.next_u64();
                pair[0] = r as u32;
                if let Some(hi) = pair.get_mut(1) {
                    *hi = (r >> 32) as u32;
                }
            }
            let (mut pos, mut j) = (0, (k * BLOCK) % n);
            while pos < block.len() {
                let len = (n - j).min(block.len() - pos);
                let run = block[pos..pos + len]
                    .iter_mut()
                    .zip(&draws[pos..pos + len])
                    .zip(&thresholds[j..j + len]);
                for ((o, &u), &t) in run {
                    // 1.0 or 0.0 from a mask: `as f32` of the bool compiled to a branch here,
                    // which mispredicts on random spikes (1.5x slower).
                    *o = f32::from_bits(0x3F80_0000 & 0u32.wrapping_sub(((u as u64) < t) as u32));
                }
                pos += len;
                j = if j + len == n { 0 } else { j + len };
            }
        },
    );
    Ok(out)
}

/// The SplitMix64 finalizer: a bijection of u64 that scatters nearby inputs.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of random stream `k` under `seed`: distinct streams get distinct, unrelated seeds.
fn stream_seed(seed: u64, k: u64) -> u64 {
    mix64(seed.wrapping_add(mix64(k.wrapping_add(0x632B_E59B_D9B4_E019))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts a binomial count within 5 standard deviations of `n p` (a chance of about
    /// 6e-7 to fail for a correct encoder, so no flakes; a wrong `p` shows up at these `n`).
    fn assert_binomial(count: f64, n: f64, p: f64, what: &str) {
        let sd = (n * p * (1.0 - p)).sqrt();
        assert!(
            (count - n * p).abs() <= 5.0 * sd + 1e-9,
            "{what}: {count} spikes of {n}, expected {} +- 5 x {sd:.2}",
            n * p
        );
    }

    /// Spike counts per feature, summed over steps and batch.
    fn counts(out: &[f32], features: usize) -> Vec<f64> {
        let mut c = vec![0.0; features];
        for (i, &s) in out.iter().enumerate() {
            assert!(s == 0.0 || s == 1.0);
            c[i % features] += s as f64;
        }
        c
    }

    #[test]
    fn rate_frequencies_match_clamped_probability() {
        let x = [0.0f32, 0.1, 0.25, 0.5, 0.9, 1.0];
        let (batch, steps) = (4, 50_000);
        // 200 000 draws per value; maxSpikes = steps / 2 halves each probability.
        let out = rate(&x.repeat(batch), batch, steps, steps as f64 / 2.0, 11).unwrap();
        assert_eq!(out.len(), steps * batch * x.len());
        let n = (steps * batch) as f64;
        for (&v, c) in x.iter().zip(counts(&out, x.len())) {
            assert_binomial(c, n, v as f64 / 2.0, &format!("rate v={v}"));
        }
        // maxSpikes > steps: the probability clamps at 1.
        let out = rate(&[0.5, 0.0], 1, 1000, 3000.0, 1).unwrap();
        assert_eq!(counts(&out, 2), vec![1000.0, 0.0]);
    }

    #[test]
    fn poisson_frequencies_match_one_minus_exp() {
        let x = [0.0f32, 0.2, 0.5, 1.0];
        let (batch, steps) = (2, 100_000);
        let (max_rate, dt) = (100.0, 1e-3);
        let out = poisson(&x.repeat(batch), batch, steps, max_rate, dt, 5).unwrap();
        let n = (steps * batch) as f64;
        for (&v, c) in x.iter().zip(counts(&out, x.len())) {
            let p = 1.0 - (-(v as f64) * max_rate * dt).exp();
            assert_binomial(c, n, p, &format!("poisson v={v}"));
        }
        // A rate far above 1/dt: every step spikes once, never more.
        let out = poisson(&[1.0], 1, 1000, 1e6, 1e-3, 2).unwrap();
        assert!(out.iter().all(|&s| s == 1.0));
    }

    #[test]
    fn poisson_intervals_are_geometric_with_mean_one_over_p() {
        let (steps, max_rate, dt) = (2_000_000, 100.0f64, 1e-3f64);
        let p = 1.0 - (-max_rate * dt).exp(); // v = 1: 0.0952
        let out = poisson(&[1.0], 1, steps, max_rate, dt, 42).unwrap();
        let times: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(_, &s)| s == 1.0)
            .map(|(t, _)| t)
            .collect();
        let isi: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
        let n = isi.len() as f64;
        assert!(n > 150_000.0, "{n} intervals");
        // Geometric on {1, 2, ...}: mean 1/p, variance (1 - p)/p^2.
        let mean = isi.iter().sum::<f64>() / n;
        let sd_mean = ((1.0 - p) / (p * p) / n).sqrt();
        assert!(
            (mean - 1.0 / p).abs() <= 5.0 * sd_mean,
            "mean ISI {mean}, expected {} +- 5 x {sd_mean}",
            1.0 / p
        );
        // P(ISI = k) = (1 - p)^(k-1) p for the first few k, each a binomial count.
        for k in 1..=6 {
            let c = isi.iter().filter(|&&d| d == k as f64).count() as f64;
            assert_binomial(c, n, (1.0 - p).powi(k - 1) * p, &format!("ISI = {k}"));
        }
        let tail = isi.iter().filter(|&&d| d > 30.0).count() as f64;
        assert_binomial(tail, n, (1.0 - p).powi(30), "ISI > 30");
    }

    #[test]
    fn latency_linear_times_exactly() {
        let steps = 11;
        let x = [1.0f32, 0.5, 0.3, 0.04, 0.01, 0.0];
        let out = latency(&x, 1, steps, &Latency::default()).unwrap();
        let spikes = |f: usize| {
            (0..steps)
                .filter(|&t| out[t * x.len() + f] == 1.0)
                .collect::<Vec<_>>()
        };
        // t = (1 - v) * 10: 0, 5, 7, 9.6 -> 10; v <= 0.01 never.
        assert_eq!(spikes(0), vec![0]);
        assert_eq!(spikes(1), vec![5]);
        assert_eq!(spikes(2), vec![7]);
        assert_eq!(spikes(3), vec![10]);
        assert_eq!(spikes(4), Vec::<usize>::new());
        assert_eq!(spikes(5), Vec::<usize>::new());
        // Threshold 0: only v = 0 stays silent.
        let opts = Latency {
            threshold: 0.0,
            ..Latency::default()
        };
        let out = latency(&[0.0, 0.001], 1, 5, &opts).unwrap();
        assert_eq!(out.iter().sum::<f32>(), 1.0);
        assert_eq!(out[4 * 2 + 1], 1.0);
    }

    #[test]
    fn latency_log_times_exactly_and_clipped() {
        let opts = Latency {
            code: LatencyCode::Log,
            threshold: 0.01,
            tau: 5.0,
            normalize: false,
        };
        let time = |v: f32, steps: usize| -> Option<usize> {
            let out = latency(&[v], 1, steps, &opts).unwrap();
            assert!(out.iter().sum::<f32>() <= 1.0);
            out.iter().position(|&s| s == 1.0)
        };
        // t = 5 ln(v / (v - 0.01)).
        assert_eq!(time(1.0, 100), Some(0)); // 0.050
        assert_eq!(time(0.02, 100), Some(3)); // 5 ln 2 = 3.466
        assert_eq!(time(0.011, 100), Some(12)); // 5 ln 11 = 11.99
        assert_eq!(time(0.0101, 100), Some(23)); // 5 ln 101 = 23.08
        assert_eq!(time(0.0101, 10), Some(9)); // clipped to T - 1
        assert_eq!(time(0.01, 100), None); // at the threshold: no spike
        assert_eq!(time(0.0, 100), None);
        let t = opts.raw_time(0.02, 100).unwrap();
        assert!((t - 5.0 * 2f64.ln()).abs() < 1e-6, "{t}");
    }

    #[test]
    fn latency_is_monotonic_and_normalize_fills_the_window() {
        let x: Vec<f32> = (0..=1000).map(|i| i as f32 / 1000.0).collect();
        for code in [LatencyCode::Linear, LatencyCode::Log] {
            for normalize in [false, true] {
                let opts = Latency {
                    code,
                    threshold: 0.01,
                    tau: 4.0,
                    normalize,
                };
                let steps = 50;
                let out = latency(&x, 1, steps, &opts).unwrap();
                let time = |f: usize| (0..steps).find(|&t| out[t * x.len() + f] == 1.0);
                let mut prev = usize::MAX;
                for (f, &v) in x.iter().enumerate() {
                    let t = time(f);
                    if v <= 0.01 {
                        assert_eq!(t, None, "{code:?} v={v}");
                        continue;
                    }
                    let t = t.unwrap_or_else(|| panic!("{code:?} v={v}: no spike"));
                    assert!(t <= prev, "{code:?} normalize={normalize}: v={v} spikes at {t}, after a smaller value at {prev}");
                    prev = t;
                }
                assert_eq!(out.iter().sum::<f32>(), 990.0);
                if normalize {
                    // The smallest spiking value lands on the last step.
                    assert_eq!(time(11), Some(steps - 1), "{code:?}");
                }
            }
        }
        // Normalization is per sample: a sample's code ignores the rest of the batch.
        let opts = Latency {
            code: LatencyCode::Log,
            threshold: 0.01,
            tau: 1.0,
            normalize: true,
        };
        let alone = latency(&[0.5, 0.9], 1, 20, &opts).unwrap();
        let both = latency(&[0.5, 0.9, 0.02, 0.3], 2, 20, &opts).unwrap();
        for t in 0..20 {
            assert_eq!(alone[t * 2..t * 2 + 2], both[t * 4..t * 4 + 2]);
        }
        assert_eq!(alone[19 * 2], 1.0); // 0.5 is this sample's latest
    }

    #[test]
    fn direct_is_identity_at_every_step() {
        let x = [0.5f32, -2.0, 3.25, 0.0, 1e6, -1e-6];
        let out = direct(&x, 2, 4).unwrap();
        assert_eq!(out.len(), 24);
        for t in 0..4 {
            assert_eq!(out[t * 6..(t + 1) * 6], x);
        }
    }

    #[test]
    fn delta_gives_hand_computed_spikes() {
        // One sample, one feature, 6 steps: x = 1, 2, 2.9, 3, 1.5, 1.5; threshold 1.
        // d = 1 (from 0), 1, 0.9, 0.1, -1.5, 0.
        let x = [1.0f32, 2.0, 2.9, 3.0, 1.5, 1.5];
        let on = |opts: Delta| delta(&x, 6, 1, 1, &opts).unwrap();
        let base = Delta {
            threshold: 1.0,
            on_off: false,
            skip_first: false,
        };
        assert_eq!(on(base), [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(
            on(Delta {
                skip_first: true,
                ..base
            }),
            [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        );
        // onOff: per step [on, off].
        assert_eq!(
            on(Delta {
                on_off: true,
                ..base
            }),
            [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        );
        // Two samples x two features, 3 steps, time-major [t][b][f]; threshold 0.5.
        #[rustfmt::skip]
        let x = [
            0.0f32, 1.0,   0.2, -1.0, // t = 0
            0.6, 1.0,      0.2, -0.4, // t = 1
            0.0, 0.2,      0.8, -0.4, // t = 2
        ];
        let opts = Delta {
            threshold: 0.5,
            on_off: true,
            skip_first: false,
        };
        let out = delta(&x, 3, 2, 2, &opts).unwrap();
        // Channels per sample: [on f0, on f1, off f0, off f1].
        #[rustfmt::skip]
        let expected = [
            0.0, 1.0, 0.0, 0.0,   0.0, 0.0, 0.0, 1.0, // t = 0 vs 0: +1 on f1; -1 off f1
            1.0, 0.0, 0.0, 0.0,   0.0, 1.0, 0.0, 0.0, // t = 1: +0.6 on f0; +0.6 on f1
            0.0, 0.0, 1.0, 1.0,   1.0, 0.0, 0.0, 0.0, // t = 2: -0.6, -0.8 off; +0.6 on f0
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn same_seed_same_spikes_different_seed_different() {
        let x: Vec<f32> = (0..300).map(|i| (i % 7) as f32 / 6.0).collect();
        let a = rate(&x, 3, 500, 250.0, 9).unwrap();
        assert_eq!(a, rate(&x, 3, 500, 250.0, 9).unwrap());
        assert_ne!(a, rate(&x, 3, 500, 250.0, 10).unwrap());
        let b = poisson(&x, 3, 500, 200.0, 1e-3, 9).unwrap();
        assert_eq!(b, poisson(&x, 3, 500, 200.0, 1e-3, 9).unwrap());
        assert_ne!(b, poisson(&x, 3, 500, 200.0, 1e-3, 10).unwrap());
        // The number of threads does not change the result.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(a, one.install(|| rate(&x, 3, 500, 250.0, 9).unwrap()));
        assert_eq!(
            b,
            one.install(|| poisson(&x, 3, 500, 200.0, 1e-3, 9).unwrap())
        );
    }

    #[test]
    fn bad_inputs_are_refused_with_the_argument_named() {
        let err = |r: Result<Vec<f32>>| r.unwrap_err().0;
        assert!(err(rate(&[0.5, f32::NAN], 1, 3, 3.0, 0)).starts_with("x: value at index 1 is NaN"));
        assert!(err(rate(&[0.5, 255.0], 1, 3, 3.0, 0))
            .starts_with("x: value at index 1 is 255, expected a value in [0, 1]"));
        assert!(
            err(poisson(&[-0.1], 1, 3, 100.0, 1e-3, 0)).starts_with("x: value at index 0 is -0.1")
        );
        assert!(
            err(latency(&[2.0], 1, 3, &Latency::default())).starts_with("x: value at index 0 is 2")
        );
        assert!(err(direct(&[f32::INFINITY], 1, 3))
            .starts_with("x: value at index 0 is Infinity, expected a finite number"));
        assert!(err(rate(&[0.5; 5], 2, 3, 3.0, 0))
            .starts_with("x: expected batch x features values with batch = 2"));
        assert!(err(rate(&[], 1, 3, 3.0, 0)).starts_with("x: expected"));
        assert!(err(rate(&[0.5], 1, 0, 3.0, 0)).starts_with("steps:"));
        assert!(err(direct(&[0.5], 0, 3)).starts_with("batch:"));
        assert!(err(rate(&[0.5], 1, 3, -1.0, 0)).starts_with("maxSpikes:"));
        assert!(err(poisson(&[0.5], 1, 3, f64::NAN, 1e-3, 0)).starts_with("maxRate:"));
        assert!(err(poisson(&[0.5], 1, 3, 100.0, 0.0, 0)).starts_with("dt:"));
        let log = Latency {
            code: LatencyCode::Log,
            ..Latency::default()
        };
        assert!(err(latency(
            &[0.5],
            1,
            3,
            &Latency {
                threshold: 0.0,
                ..log
            }
        ))
        .starts_with("threshold:"));
        assert!(err(latency(
            &[0.5],
            1,
            3,
            &Latency {
                threshold: 1.0,
                ..Latency::default()
            }
        ))
        .starts_with("threshold:"));
        assert!(err(latency(&[0.5], 1, 3, &Latency { tau: 0.0, ..log })).starts_with("tau:"));
        // Too large for one output: refused before any allocation.
        let big = vec![0.5f32; 1 << 16];
        assert!(err(direct(&big, 1, 1 << 15)).contains("more than 2147483647"));
        assert!(err(rate(&big, 1, usize::MAX, 1.0, 0)).contains("more than 2147483647"));
        let d = Delta::default();
        assert!(err(delta(&[0.0; 5], 2, 1, 3, &d))
            .starts_with("x: expected steps x batch x features = 2 x 1 x 3 = 6 values, got 5"));
        assert!(err(delta(
            &[0.0; 6],
            2,
            1,
            3,
            &Delta {
                threshold: 0.0,
                ..d
            }
        ))
        .starts_with("threshold:"));
        assert!(err(delta(&[0.0, f32::NAN], 2, 1, 1, &d)).starts_with("x: value at index 1 is NaN"));
        assert!(err(delta(&[], 1 << 20, 1 << 20, 1 << 20, &d)).contains("more than 2147483647"));
        assert!(err(delta(&[], usize::MAX, 2, 2, &d)).contains("more than 2147483647"));
        assert!(err(delta(&[], 0, 2, 2, &d)).starts_with("steps:"));
        assert!(err(delta(&[], 2, 2, 0, &d)).starts_with("features:"));
    }
}
