// Pictures of models and runs as SVG strings (no network, no fonts to fetch): curves of a run,
// spike rasters, firing-rate histograms. A script or a notebook shows the string; a report
// puts several in one page.
export { curves } from './curves.js';
export type { CurvesOptions, Series } from './curves.js';
export { firingRates, histogram, raster, traces } from './raster.js';
export type { SpikeLayout } from './raster.js';
export { niceTicks } from './svg.js';
