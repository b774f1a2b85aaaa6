//! Dropout on a layer's input while training (inverted dropout, Srivastava et al. 2014):
//!
//! ```text
//! x̃ = x ⊙ m,   m_ti = 1/(1-p) with probability 1-p, else 0   (a new mask for every step and sample)
//! dL/dx = dL/dx̃ ⊙ m
//! ```
//!
//! Only the feed-forward input `x_t W` is dropped, never the recurrence `y_{t-1} H` or the
//! reset (Zaremba et al. 2014). Prediction and evaluation see `x` itself: `E[x̃] = x`.
//! A dropped spike input is kept as values (0 or 1/(1-p)), so the layer multiplies it densely
//! while training.

use crate::kernels::rng::Rng;
use crate::layers::product::SeqInput;

pub struct InputDropout {
    /// The probability of dropping an input, in (0, 1).
    p: f32,
    /// The mask of the last training forward pass, `[T*B, k]`: 0 or 1/(1-p).
    mask: Vec<f32>,
    /// The dropped input `x ⊙ m` the layer saw.
    pub values: Vec<f32>,
}

impl InputDropout {
    /// `None` for `p = 0`.
    pub fn new(p: f32) -> Option<Self> {
        (p > 0.0).then(|| InputDropout {
            p,
            mask: vec![],
            values: vec![],
        })
    }

    /// Draws a new mask for `x` (`rows x k`) and returns `x ⊙ m`.
    pub fn apply(&mut self, x: SeqInput, rows: usize, k: usize, rng: &mut Rng) -> SeqInput<'_> {
        let keep = 1.0 / (1.0 - self.p);
        let threshold = (self.p as f64 * (1u64 << 32) as f64) as u64;
        self.mask.clear();
        crate::error::reserve_or_oom(&mut self.mask, rows * k);
        // Two 32-bit draws per 64-bit random number: one draw per element is the cost here.
        let mut bits = 0u64;
        self.mask.extend((0..rows * k).map(|i| {
            let half = if i % 2 == 0 {
                bits = rng.next_u64();
                bits & 0xffff_ffff
            } else {
                bits >> 32
            };
            if half < threshold {
                0.0
            } else {
                keep
            }
        }));
        crate::error::resize_or_oom(&mut self.values, rows * k, 0.0);
        match x {
            SeqInput::Dense(v) => {
                for ((o, &x), &m) in self.values.iter_mut().zip(v).zip(&self.mask) {
                    *o = x * m;
                }
            }
            SeqInput::Spikes(bits) => {
                bits.unpack(&mut self.values);
                self.values
                    .iter_mut()
                    .zip(&self.mask)
                    .for_each(|(o, &m)| *o *= m);
            }
        }
        SeqInput::Dense(&self.values)
    }

    /// The input the layer saw in the last training forward pass.
    pub fn dropped(&self) -> SeqInput<'_> {
        SeqInput::Dense(&self.values)
    }

    /// `dL/dx = dL/dx̃ ⊙ m` in place.
    pub fn backward(&self, dx: &mut [f32]) {
        dx.iter_mut().zip(&self.mask).for_each(|(d, &m)| *d *= m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_the_stated_fraction_and_keeps_the_mean() {
        let (rows, k, p) = (1000, 200, 0.3f32);
        let x = vec![1.0f32; rows * k];
        let mut d = InputDropout::new(p).unwrap();
        let mut rng = Rng::new(5);
        let SeqInput::Dense(v) = d.apply(SeqInput::Dense(&x), rows, k, &mut rng) else {
            unreachable!()
        };
        let v = v.to_vec();
        let n = (rows * k) as f64;
        let dropped = v.iter().filter(|&&v| v == 0.0).count() as f64 / n;
        // Binomial: sd of the fraction = sqrt(p(1-p)/n) ≈ 0.001; allow 5 sd.
        let sd = (p as f64 * (1.0 - p as f64) / n).sqrt();
        assert!(
            (dropped - p as f64).abs() < 5.0 * sd,
            "dropped fraction {dropped}"
        );
        let mean = v.iter().map(|&v| v as f64).sum::<f64>() / n;
        assert!(
            (mean - 1.0).abs() < 5.0 * sd / (1.0 - p as f64),
            "mean {mean}"
        );
        assert!(v
            .iter()
            .all(|&v| v == 0.0 || (v - 1.0 / (1.0 - p)).abs() < 1e-6));
        // The gradient passes exactly where the input did, scaled alike.
        let mut g = vec![2.0f32; rows * k];
        d.backward(&mut g);
        assert!(g.iter().zip(&v).all(|(&g, &v)| g == 2.0 * v));
    }

    #[test]
    fn zero_probability_means_no_dropout() {
        assert!(InputDropout::new(0.0).is_none());
    }
}
