//! What a tile reports about its devices: conductance histograms, pulse and refresh counts.

/// Counts of values in `bins` equal bins over `[lo, hi]`; values beyond the range count in the
/// first or last bin (a programmed conductance can exceed gMax by its programming noise).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u64>,
}

impl Histogram {
    pub fn of(values: &[f32], lo: f32, hi: f32, bins: usize) -> Self {
        let mut counts = vec![0u64; bins.max(1)];
        let last = counts.len() - 1;
        let per = counts.len() as f32 / (hi - lo);
        for &v in values {
            let b = ((v - lo) * per).max(0.0) as usize;
            counts[b.min(last)] += 1;
        }
        Histogram { lo, hi, counts }
    }

    pub fn bin_width(&self) -> f32 {
        (self.hi - self.lo) / self.counts.len() as f32
    }
}

/// `AnalogTile::stats`.
#[derive(Clone, Debug, PartialEq)]
pub struct TileStats {
    /// Devices in the tile: `2 · pairs · k · n`.
    pub devices: usize,
    /// Present conductances (µS) of the G+ and G- devices over `[0, gMax]`.
    pub g_plus: Histogram,
    pub g_minus: Histogram,
    /// SET pulses of all updates since the tile was made.
    pub total_pulses: u64,
    /// SET pulses per device, pair-major (`p·k·n + i·n + j`).
    pub pulses_plus: Vec<u32>,
    pub pulses_minus: Vec<u32>,
    /// Pairs refreshed since the tile was made.
    pub refreshes: u64,
}

/// `AnalogTile::apply_update`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateReport {
    /// SET pulses on G+ and G- devices in this update.
    pub pulses_plus: u64,
    pub pulses_minus: u64,
    /// Weights whose pulses were held back by `maxPulsesPerUpdate`.
    pub capped: usize,
    /// Pairs refreshed after the pulses.
    pub refreshes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_and_overflow() {
        let h = Histogram::of(&[0.0, 2.4, 2.5, 24.99, 25.0, 26.0, -0.1], 0.0, 25.0, 10);
        assert_eq!(h.counts[0], 2 + 1); // 0.0, 2.4 and the clamped -0.1
        assert_eq!(h.counts[1], 1);
        assert_eq!(h.counts[9], 3);
        assert_eq!(h.counts.iter().sum::<u64>(), 7);
    }
}
