//! Layers whose feed-forward weights `W` live on a simulated PCM crossbar (docs/design.md §3).
//!
//! While a layer is on a crossbar its parameter `W` always holds the weights the devices hold
//! (`AnalogTile::weights`): the forward pass multiplies with them inside the periphery (DAC,
//! output noise, ADC, drift compensation; `layers/input.rs`) and the backward pass uses them
//! as they are (the periphery is straight-through). A training step computes the optimizer's
//! update in software as usual, then hands `ΔW = W_new - W_devices` to the tile, which adds it
//! to its digital accumulator `chi` and sends whole device steps as SET pulses (mixed
//! precision); `W` is then read back from the devices. Biases, decays, recurrent `H` and
//! embeddings stay digital.

use super::Network;
use crate::bail;
use crate::error::Result;
use crate::pcm::{AnalogTile, PcmConfig, TileStats, UpdateReport};

impl Network {
    /// Puts the named layer's `W` on a new crossbar and programs the present weights onto it
    /// (programming noise, `t = 0`), `w_range` (default `max|W|`) mapping to `gMax`.
    /// `config: None` takes it off the crossbar: the layer keeps the weights the devices hold
    /// now, as ordinary digital weights.
    pub fn set_analog(&mut self, layer: &str, config: Option<PcmConfig>, seed: u64) -> Result<()> {
        self.set_analog_with_range(layer, config, seed, None)
    }

    /// `set_analog` with the weight that maps to `gMax` given (see `AnalogTile::program_with_range`).
    pub fn set_analog_with_range(
        &mut self,
        layer: &str,
        config: Option<PcmConfig>,
        seed: u64,
        w_range: Option<f32>,
    ) -> Result<()> {
        let i = self.layer_index(layer)?;
        let capable = self.crossbar_capable_layers();
        let Some((products, w)) = self.layers[i].weight_slot() else {
            let which = if capable.is_empty() {
                "no layer of this model has one".to_string()
            } else {
                format!("the layers that have one: {}", capable.join(", "))
            };
            bail!("layer {layer:?} has no weight matrix a crossbar can hold ({which})");
        };
        let Some(config) = config else {
            products.analog = None;
            return Ok(());
        };
        let shape = &self.store.params[w].shape;
        let (k, n) = (shape[0], shape[1]);
        let mut tile = AnalogTile::new(k, n, config, seed)?;
        tile.program_with_range(&self.store.params[w].value, w_range)?;
        self.store.params[w].value.copy_from_slice(tile.weights());
        products.analog = Some(Box::new(tile));
        Ok(())
    }

    /// The names of the layers whose `W` a crossbar can hold (those with a weight slot: SNU
    /// layers and untied dense layers today), in order.
    pub fn crossbar_capable_layers(&mut self) -> Vec<String> {
        (0..self.layers.len())
            .filter(|&i| self.layers[i].weight_slot().is_some())
            .map(|i| self.layer_names[i].clone())
            .collect()
    }

    /// The names of the layers on a crossbar, in order.
    pub fn analog_layers(&self) -> Vec<String> {
        (0..self.layers.len())
            .filter(|&i| self.tile(i).is_some())
            .map(|i| self.layer_names[i].clone())
            .collect()
    }

    /// Moves every crossbar to `t` seconds after its programming (drift and 1/f read noise,
    /// docs/design.md §3) and reads the weights back into the layers.
    pub fn set_analog_time(&mut self, t_seconds: f64) -> Result<()> {
        self.for_each_tile(|tile, w| {
            tile.set_time(t_seconds)?;
            w.copy_from_slice(tile.weights());
            Ok(())
        })
    }

    /// Switches the global drift compensation of every crossbar on or off.
    pub fn set_drift_compensation(&mut self, on: bool) -> Result<()> {
        self.for_each_tile(|tile, _| {
            tile.set_drift_compensation(on);
            Ok(())
        })
    }

    /// Device statistics of the named layer's crossbar: histograms of `bins` bins over
    /// [0, gMax], or of the tile's configured `histogramBins` when `bins` is `None`.
    pub fn analog_stats(&self, layer: &str, bins: Option<usize>) -> Result<TileStats> {
        let i = self.layer_index(layer)?;
        match (self.tile(i), bins) {
            (Some(tile), None) => Ok(tile.stats()),
            (Some(tile), Some(b)) if b > 0 => Ok(tile.stats_with_bins(b)),
            (Some(_), Some(_)) => bail!("bins: expected at least 1 histogram bin, got 0"),
            (None, _) => bail!("layer {layer:?} is not on a crossbar; call setAnalog first"),
        }
    }

    /// The crossbar of layer `i`, if it has one.
    pub fn tile(&self, i: usize) -> Option<&AnalogTile> {
        self.layers[i].tile()
    }

    /// After the optimizer's step: the change of every crossbar layer's `W` goes to its devices
    /// by mixed precision, and `W` is read back from them.
    pub(super) fn transfer_updates_to_devices(&mut self) -> Result<UpdateReport> {
        let mut total = UpdateReport::default();
        let mut delta = vec![];
        self.for_each_tile(|tile, w| {
            delta.clear();
            delta.extend(w.iter().zip(tile.weights()).map(|(new, old)| new - old));
            let r = tile.apply_update(&delta)?;
            total.pulses_plus += r.pulses_plus;
            total.pulses_minus += r.pulses_minus;
            total.refreshes += r.refreshes;
            total.capped += r.capped;
            w.copy_from_slice(tile.weights());
            Ok(())
        })?;
        Ok(total)
    }

    /// Writing the weights of a crossbar layer programs its devices with them.
    pub(super) fn reprogram_if_analog(&mut self, param: usize) -> Result<()> {
        for i in 0..self.layers.len() {
            let Some((products, w)) = self.layers[i].weight_slot() else {
                continue;
            };
            if let (Some(tile), true) = (products.analog.as_mut(), w == param) {
                tile.program(&self.store.params[w].value)?;
                self.store.params[w].value.copy_from_slice(tile.weights());
            }
        }
        Ok(())
    }

    fn for_each_tile(
        &mut self,
        mut f: impl FnMut(&mut AnalogTile, &mut [f32]) -> Result<()>,
    ) -> Result<()> {
        for layer in &mut self.layers {
            if let Some((products, w)) = layer.weight_slot() {
                if let Some(tile) = products.analog.as_mut() {
                    f(tile, &mut self.store.params[w].value)?;
                }
            }
        }
        Ok(())
    }

    fn layer_index(&self, layer: &str) -> Result<usize> {
        match self.layer_names.iter().position(|n| n == layer) {
            Some(i) => Ok(i),
            None => bail!(
                "layer: unknown layer {layer:?}; known: {}",
                self.layer_names.join(", ")
            ),
        }
    }
}

impl Network {
    /// Whether layer `i`'s weights live on a simulated crossbar.
    pub(crate) fn layer_on_crossbar(&self, i: usize) -> bool {
        self.layers[i].tile().is_some()
    }
}
