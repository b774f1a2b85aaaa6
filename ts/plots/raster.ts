// Spike rasters and firing-rate histograms of one layer's output sequence `[steps, batch, units]`
// (what `predictWithLayers` gives).
import { checkInteger, checkObject, describe } from '../checks.js';
import { layout, type SpikeLayout } from './layout.js';
import { curves } from './curves.js';
import { axes, escapeXml, fmt, frame, niceTicks, open, scale } from './svg.js';

/**
 * A spike raster as an SVG string: time across, units down, one `<rect class="spike">` per
 * spike (a non-zero value) of sample `sample`, of the first `maxUnits` units (default all).
 *
 * @example
 * ```ts
 * const { layers } = model.predictWithLayers(batch.x, batch);
 * const svg = raster(layers[0]!, { steps: batch.steps, batch: batch.batch, units: 256, sample: 0, title: 'snu_0' });
 * ```
 */
export function raster(spikes: ArrayLike<number>, options: SpikeLayout & { sample?: number; maxUnits?: number; title?: string; width?: number; height?: number }): string {
  const o = checkObject('raster options', options);
  const { steps, batch, units: all } = layout('raster', spikes, o);
  const sample = checkInteger('raster: sample', o.sample ?? 0, 0, batch - 1);
  // Only the first maxUnits units are drawn (a wide layer would be a page of marks); rows keep their stride `all`.
  const units = Math.min(all, checkInteger('raster: maxUnits', o.maxUnits ?? all, 1));
  const f = frame(checkInteger('raster: width', o.width ?? 480, 120, 4000), checkInteger('raster: height', o.height ?? 300, 120, 4000));
  const x = scale(0, steps, f.left, f.width - f.right);
  // Unit 0 at the bottom, as the axis counts: unit j fills [j, j + 1] of the y axis.
  const y = scale(0, units, f.height - f.bottom, f.top);
  const [w, h] = [Math.max(0.6, x(1) - x(0)), Math.max(0.6, y(0) - y(1))];
  let marks = '';
  let count = 0;
  for (let t = 0; t < steps; t++) {
    const row = (t * batch + sample) * all;
    for (let j = 0; j < units; j++) {
      if (spikes[row + j] !== 0) {
        marks += `<rect class="spike" x="${fmt(x(t))}" y="${fmt(y(j + 1))}" width="${fmt(w)}" height="${fmt(h)}"/>`;
        count++;
      }
    }
  }
  const title = o.title === undefined ? undefined : `${o.title as string}${units < all ? ` (units 0-${units - 1} of ${all})` : ''}`;
  const svg = open(f, title, 'raster') + axes(f, x, y, niceTicks(0, steps, 6), niceTicks(0, units, 5).filter((v) => v <= units), 'step', 'unit');
  return `${svg}<g class="spikes" fill="#222" data-count="${count}">${marks}</g><desc>${escapeXml(`${count} spikes of ${steps * units} step-units`)}</desc></svg>`;
}

/**
 * Each unit's firing rate over all steps and samples: the fraction of its outputs that are spikes.
 *
 * @example
 * ```ts
 * const { layers } = model.predictWithLayers(batch.x, batch);
 * const rates = firingRates(layers[0]!, { steps: batch.steps, batch: batch.batch, units: 256 }); // Float64Array(256)
 * ```
 */
export function firingRates(spikes: ArrayLike<number>, options: SpikeLayout): Float64Array {
  const { steps, batch, units } = layout('firingRates', spikes, checkObject('firingRates options', options));
  const rates = new Float64Array(units);
  for (let r = 0; r < steps * batch; r++) for (let j = 0; j < units; j++) if (spikes[r * units + j] !== 0) rates[j]! += 1;
  return rates.map((c) => c / (steps * batch));
}

/**
 * Each unit's mean output over all steps and samples: the firing rate's counterpart for layers
 * whose outputs are not spikes (sSNU's sigmoid outputs, dense layers).
 *
 * @example
 * ```ts
 * const { layers } = model.predictWithLayers(batch.x, batch);
 * const means = meanValues(layers[0]!, { steps: batch.steps, batch: batch.batch, units: 256 }); // Float64Array(256)
 * ```
 */
export function meanValues(values: ArrayLike<number>, options: SpikeLayout): Float64Array {
  const { steps, batch, units } = layout('meanValues', values, checkObject('meanValues options', options));
  const means = new Float64Array(units);
  for (let r = 0; r < steps * batch; r++) for (let j = 0; j < units; j++) means[j]! += values[r * units + j]!;
  return means.map((c) => c / (steps * batch));
}

/**
 * A histogram as an SVG string: `bins` equal bins over `[min, max]` of the values (default
 * their range), one `<rect class="bar">` per bin with `data-count`.
 *
 * @example
 * ```ts
 * const svg = histogram([0.02, 0.1, 0.1, 0.35], { bins: 20, xLabel: 'firing rate' });
 * ```
 */
export function histogram(values: ArrayLike<number>, options: { bins?: number; min?: number; max?: number; title?: string; xLabel?: string; width?: number; height?: number } = {}): string {
  const o = checkObject('histogram options', options);
  if (values == null || typeof values.length !== 'number') throw new TypeError(`histogram: expected an array of numbers, got ${describe(values)}`);
  const finite = Array.from(values, Number).filter(Number.isFinite);
  if (finite.length === 0) throw new RangeError('histogram: no finite value to count');
  const bins = checkInteger('histogram: bins', o.bins ?? 20, 1, 1000);
  const lo = o.min === undefined ? Math.min(...finite) : Number(o.min);
  let hi = o.max === undefined ? Math.max(...finite) : Number(o.max);
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || hi < lo) throw new RangeError(`histogram: min ${lo} and max ${hi} do not make a range`);
  if (hi === lo) hi = lo + 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) if (v >= lo && v <= hi) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]! += 1;
  const f = frame(checkInteger('histogram: width', o.width ?? 480, 120, 4000), checkInteger('histogram: height', o.height ?? 300, 120, 4000));
  const yTicks = niceTicks(0, Math.max(...counts), 5);
  const x = scale(lo, hi, f.left, f.width - f.right);
  const y = scale(0, yTicks[yTicks.length - 1]!, f.height - f.bottom, f.top);
  let svg = open(f, o.title as string | undefined, 'histogram') + axes(f, x, y, niceTicks(lo, hi, 6).filter((v) => v >= lo && v <= hi), yTicks, (o.xLabel as string | undefined) ?? '', 'count');
  svg += '<g class="bars" fill="#4e79a7">';
  counts.forEach((c, i) => {
    const [x0, x1] = [x(lo + ((hi - lo) * i) / bins), x(lo + ((hi - lo) * (i + 1)) / bins)];
    svg += `<rect class="bar" data-count="${c}" x="${fmt(x0)}" y="${fmt(y(c))}" width="${fmt(Math.max(0, x1 - x0 - 1))}" height="${fmt(y(0) - y(c))}"/>`;
  });
  return `${svg}</g></svg>`;
}

/**
 * Membrane traces as an SVG line chart: the state `s_t` of a few units of one sample over time
 * (`states` as `predictWithLayers` gives them for an SNU layer, `[steps, batch, units]`), one
 * `<path class="series">` per unit.
 *
 * @example
 * ```ts
 * const { states } = model.predictWithLayers(batch.x, batch);
 * const svg = traces(states[0]!, { steps: batch.steps, batch: batch.batch, units: 256, select: [0, 1, 2] });
 * ```
 */
export function traces(states: ArrayLike<number>, options: SpikeLayout & { sample?: number; select?: number[]; title?: string; width?: number; height?: number }): string {
  const o = checkObject('traces options', options);
  const { steps, batch, units } = layout('traces', states, o);
  const sample = checkInteger('traces: sample', o.sample ?? 0, 0, batch - 1);
  const select = (o.select as number[] | undefined) ?? Array.from({ length: Math.min(4, units) }, (_, j) => j);
  if (!Array.isArray(select) || select.length === 0) throw new TypeError(`traces: select: expected a non-empty array of unit indices, got ${describe(select)}`);
  const series = select.map((j, i) => {
    checkInteger(`traces: select[${i}]`, j, 0, units - 1);
    return { name: `unit ${j}`, values: Array.from({ length: steps }, (_, t) => states[(t * batch + sample) * units + j]!) };
  });
  return curves(series, { xLabel: 'step', yLabel: 'state s', ...(o.title === undefined ? {} : { title: o.title as string }), ...(o.width === undefined ? {} : { width: o.width as number }), ...(o.height === undefined ? {} : { height: o.height as number }) });
}
