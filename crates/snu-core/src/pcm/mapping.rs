//! Weights to conductances and back (docs/design.md §3, "Mapping").
//!
//! One scale per tile, `scale = gMax / max|W|` (µS per weight unit). A cell of `N` differential
//! pairs with significance factors `F_p` (most significant first, `S = Σ_p F_p`) reads
//!
//! ```text
//! W = Σ_p F_p (G+_p - G-_p) / (S · scale)
//! ```
//!
//! so `max|W|` is reached with every pair at `±gMax`. With one pair this is
//! `G+ = clamp(scale·W, 0, gMax)`, `G- = clamp(-scale·W, 0, gMax)`, `W = (G+ - G-)/scale`.
//!
//! Writing a weight, the remainder `R = S·scale·W` (in significance-weighted µS) goes to the
//! pairs in order: pair `p` takes what it can, `d_p = clamp(R / F_p, -gMax, gMax)`, is
//! programmed (`G+ = max(d_p, 0)`, `G- = max(-d_p, 0)`), and `R -= F_p (G+ - G-)` of what was
//! *actually* programmed. Without noise the first pair takes everything it can hold; with
//! programming noise each later pair also corrects the error of the ones before it, which is
//! smaller by `F_p / F_0` in the read-back: the point of several pairs.

/// The scale of one tile.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    /// `max|W|` at programming (1 for an all-zero matrix, so the scale stays finite).
    pub w_max: f32,
    /// `scale = gMax / max|W|`, µS per weight unit.
    pub scale: f32,
    /// `F_p`, most significant first.
    pub factors: Vec<f32>,
    /// `S = Σ_p F_p`.
    pub norm: f32,
    pub g_max: f32,
}

impl Mapping {
    /// The mapping of a weight matrix `w` (any shape).
    pub fn for_weights(w: &[f32], g_max: f32, factors: &[f32]) -> Self {
        let amax = w.iter().fold(0f32, |m, v| m.max(v.abs()));
        Self::with_w_max(amax, g_max, factors)
    }

    /// The mapping for a given `max|W|` (0 is taken as 1).
    pub fn with_w_max(w_max: f32, g_max: f32, factors: &[f32]) -> Self {
        let w_max = if w_max > 0.0 && w_max.is_finite() {
            w_max
        } else {
            1.0
        };
        Mapping {
            w_max,
            scale: g_max / w_max,
            factors: factors.to_vec(),
            norm: factors.iter().sum(),
            g_max,
        }
    }

    /// Weight units per µS of `G+_p - G-_p`: `F_p / (S · scale)`.
    #[inline]
    pub fn weight_per_siemens(&self, pair: usize) -> f32 {
        self.factors[pair] / (self.norm * self.scale)
    }

    /// Writes one weight: calls `program(p, g_plus_target, g_minus_target)`, most significant
    /// pair first, which returns the conductances actually reached.
    pub fn write(&self, w: f32, mut program: impl FnMut(usize, f32, f32) -> (f32, f32)) {
        let g_max = self.g_max as f64;
        let mut rest = self.norm as f64 * self.scale as f64 * w as f64;
        for (p, &f) in self.factors.iter().enumerate() {
            let f = f as f64;
            let d = (rest / f).clamp(-g_max, g_max);
            let (gp, gm) = program(p, d.max(0.0) as f32, (-d).max(0.0) as f32);
            rest -= f * (gp as f64 - gm as f64);
        }
    }

    /// The noise-free targets `(G+_p, G-_p)` of one weight, most significant pair first.
    pub fn targets(&self, w: f32) -> Vec<(f32, f32)> {
        let mut out = Vec::with_capacity(self.factors.len());
        self.write(w, |_, gp, gm| {
            out.push((gp, gm));
            (gp, gm)
        });
        out
    }

    /// Reads one weight from its pairs `(G+_p, G-_p)`, most significant first.
    pub fn read(&self, pairs: impl IntoIterator<Item = (f32, f32)>) -> f32 {
        let sum: f64 = pairs
            .into_iter()
            .zip(&self.factors)
            .map(|((gp, gm), &f)| f as f64 * (gp as f64 - gm as f64))
            .sum();
        (sum / (self.norm as f64 * self.scale as f64)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pair_is_the_clamped_differential_pair() {
        let m = Mapping::for_weights(&[0.5, -2.0, 1.0], 25.0, &[1.0]);
        assert_eq!(m.scale, 12.5);
        assert_eq!(m.targets(0.5), vec![(6.25, 0.0)]);
        assert_eq!(m.targets(-2.0), vec![(0.0, 25.0)]);
        assert_eq!(m.read([(6.25, 0.0)]), 0.5);
    }

    #[test]
    fn zero_matrix_has_a_finite_scale() {
        let m = Mapping::for_weights(&[0.0; 4], 25.0, &[1.0]);
        assert!(m.scale.is_finite() && m.scale > 0.0);
        assert_eq!(m.targets(0.0), vec![(0.0, 0.0)]);
    }

    #[test]
    fn most_significant_pair_takes_what_it_can() {
        // F = [3, 1], S = 4; max|W| = 1 -> scale 25; W = 0.9 -> R = 4·25·0.9 = 90 µS·F.
        let m = Mapping::for_weights(&[1.0], 25.0, &[3.0, 1.0]);
        let t = m.targets(0.9);
        // Pair 0 takes 90 / 3 = 30 -> clamped to 25 (75 of 90); pair 1 the remaining 15.
        assert_eq!(t[0], (25.0, 0.0));
        assert!((t[1].0 - 15.0).abs() < 1e-5 && t[1].1 == 0.0, "{t:?}");
        assert!((m.read(t) - 0.9).abs() < 1e-6);
        // A small weight fits in pair 0 entirely (pair 1 keeps only f32 rounding).
        let t = m.targets(-0.1);
        assert!(t[0].0 == 0.0 && (t[0].1 - 10.0 / 3.0).abs() < 1e-6, "{t:?}");
        assert!(t[1].0 < 1e-5 && t[1].1 < 1e-5, "{t:?}");
    }
}
