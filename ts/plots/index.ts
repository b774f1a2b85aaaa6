// Pictures of models and runs as SVG strings (no network, no fonts to fetch): curves of a run,
// spike rasters, heatmaps of non-spiking layers, firing-rate and PCM conductance histograms. A script or a notebook shows the string; a report
// puts several in one page.
export { curves } from './curves.js';
export type { CurvesOptions, Series } from './curves.js';
export { firingRates, histogram, meanValues, raster, traces } from './raster.js';
export { heatmap } from './heatmap.js';
export { conductances } from './conductances.js';
export type { BinnedCounts } from './conductances.js';
export type { SpikeLayout } from './layout.js';
export { niceTicks } from './svg.js';
