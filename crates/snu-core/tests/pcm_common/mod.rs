//! Statistics for the PCM tests: sample moments with their standard errors, the normal CDF, and
//! the folded normal `|N(mu, sd)|` (the law of the drift exponent).
//!
//! Every statistical check compares an estimate with its closed form within `Z` standard
//! errors computed from the sample itself, so that the tolerance follows the sample size.
#![allow(dead_code)]

/// Standard errors allowed between an estimate and its closed form.
pub const Z: f64 = 5.0;

#[derive(Debug, Clone, Copy)]
pub struct Moments {
    pub n: f64,
    pub mean: f64,
    /// Population (1/n) standard deviation.
    pub sd: f64,
    /// Fourth central moment.
    pub m4: f64,
}

impl Moments {
    pub fn of(xs: impl IntoIterator<Item = f64>) -> Self {
        let xs: Vec<f64> = xs.into_iter().collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
        Moments {
            n,
            mean,
            sd: m2.sqrt(),
            m4,
        }
    }

    /// `m4 / sd⁴` (3 for a normal law).
    pub fn kurtosis(&self) -> f64 {
        self.m4 / self.sd.powi(4)
    }

    pub fn se_mean(&self) -> f64 {
        self.sd / self.n.sqrt()
    }

    /// Standard error of the sample sd (delta method from the sample's fourth moment; `sd/√(2n)`
    /// for normal data).
    pub fn se_sd(&self) -> f64 {
        ((self.m4 - self.sd.powi(4)) / (4.0 * self.n * self.sd.powi(2))).sqrt()
    }
}

/// Panics unless `|value - expected| <= Z · se`.
#[track_caller]
pub fn assert_within(what: &str, value: f64, expected: f64, se: f64) {
    let z = (value - expected) / se;
    assert!(
        z.abs() <= Z,
        "{what}: {value} vs closed form {expected} ({z:+.2} standard errors, se {se:e})"
    );
}

/// Complementary error function, fractional error below 1.2e-7 everywhere (Press et al.,
/// Numerical Recipes, `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// `Φ(x)`, the standard normal CDF.
pub fn phi_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal density.
pub fn phi_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Mean and sd of `|X|`, `X ~ N(mu, sd)`:
/// `E|X| = sd·√(2/π)·e^(-mu²/2sd²) + mu·(1 - 2Φ(-mu/sd))`, `E X² = mu² + sd²`.
pub fn folded_normal(mu: f64, sd: f64) -> (f64, f64) {
    let mean = 2.0 * sd * phi_pdf(mu / sd) + mu * (1.0 - 2.0 * phi_cdf(-mu / sd));
    let var = mu * mu + sd * sd - mean * mean;
    (mean, var.sqrt())
}

/// Kolmogorov–Smirnov distance of a sample from `N(0, 1)`.
pub fn ks_normal(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = phi_cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// A deterministic generator for test data (not the engine's).
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed ^ 0x853C_49E6_748F_EA9B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn vec(&mut self, len: usize, lo: f64, hi: f64) -> Vec<f32> {
        (0..len).map(|_| self.uniform(lo, hi) as f32).collect()
    }
}
