// Conductance histograms of PCM crossbars (what `model.analog.stats` gives), drawn as outlines so
// that G+ and G-, or the same devices at two times, can share one chart.
import { checkObject, checkInteger, describe } from '../checks.js';
import { PALETTE, axes, escapeXml, fmt, frame, label, legend, niceTicks, open, scale } from './svg.js';

/** Counts over equal bins of `[lo, hi]`, e.g. `model.analog.stats(layer).gPlus` (µS). */
export interface BinnedCounts {
  lo: number;
  hi: number;
  counts: ArrayLike<number>;
}

/**
 * Histograms that share their bins' range as step outlines in one SVG chart, one
 * `<path class="series" data-total="…">` per histogram (`data-total`: its count), with a legend.
 * `yScale: 'log'` shows the tail beside the pile of devices near 0 µS (the idle device of each pair).
 *
 * @example
 * ```ts
 * model.analog.program('all', { seed: 1 });
 * model.analog.setTime(1);
 * const { gPlus, gMinus } = model.analog.stats('snu_0', 50);
 * const svg = conductances([{ name: 'G+', histogram: gPlus }, { name: 'G-', histogram: gMinus }], { title: 'snu_0 at 1 s' });
 * ```
 */
export function conductances(series: { name: string; histogram: BinnedCounts }[], options: { title?: string; xLabel?: string; width?: number; height?: number; yScale?: 'linear' | 'log' } = {}): string {
  if (!Array.isArray(series) || series.length === 0) throw new TypeError(`conductances: expected a non-empty array of { name, histogram }, got ${describe(series)}`);
  const o = checkObject('conductances options', options);
  series.forEach((s, i) => {
    const h = s?.histogram;
    if (typeof s?.name !== 'string' || !h || !Number.isFinite(h.lo) || !Number.isFinite(h.hi) || !(h.hi > h.lo) || h.counts == null || !(h.counts.length > 0)) {
      throw new TypeError(`conductances: series[${i}]: expected { name: string, histogram: { lo, hi > lo, counts: non-empty } }, got ${describe(s)}`);
    }
    for (let b = 0; b < h.counts.length; b++) {
      if (!(Number(h.counts[b]) >= 0)) throw new RangeError(`conductances: series[${i}] (${s.name}): counts[${b}] is ${h.counts[b]}, expected a count >= 0`);
    }
  });
  const f = frame(checkInteger('conductances: width', o.width ?? 480, 120, 4000), checkInteger('conductances: height', o.height ?? 300, 120, 4000));
  const lo = Math.min(...series.map((s) => s.histogram.lo));
  const hi = Math.max(...series.map((s) => s.histogram.hi));
  if (o.yScale !== undefined && o.yScale !== 'linear' && o.yScale !== 'log') throw new TypeError(`conductances: yScale: expected 'linear' or 'log', got ${describe(o.yScale)}`);
  const log = o.yScale === 'log';
  const top = Math.max(1, ...series.flatMap((s) => Array.from(s.histogram.counts, Number)));
  // On a log scale a count c sits at log10(c + 1): empty bins on the axis; ticks at the counts 0, 1, 10, 100, ...
  const logCounts = [0, ...Array.from({ length: Math.ceil(Math.log10(top)) + 1 }, (_, k) => 10 ** k)];
  const yTicks = log ? logCounts.map((c) => Math.log10(c + 1)) : niceTicks(0, top, 5);
  const xTicks = niceTicks(lo, hi, 6).filter((v) => v >= lo && v <= hi);
  const x = scale(lo, hi, f.left, f.width - f.right);
  const yAxis = scale(0, yTicks[yTicks.length - 1]!, f.height - f.bottom, f.top);
  const y = log ? (c: number) => yAxis(Math.log10(c + 1)) : yAxis;
  const yTickLabel = log ? (v: number) => label(Math.round(10 ** v - 1)) : label;
  let svg = open(f, o.title as string | undefined, 'conductances') + axes(f, x, yAxis, xTicks, yTicks, (o.xLabel as string | undefined) ?? 'conductance (µS)', log ? 'devices (log scale)' : 'devices', label, yTickLabel);
  series.forEach((s, i) => {
    const { lo: a, hi: b, counts } = s.histogram;
    const width = (b - a) / counts.length;
    // Up the left edge of each bin, across its top, on to the next: a step outline from 0 to 0.
    let d = `M${fmt(x(a))} ${fmt(y(0))}`;
    let total = 0;
    for (let k = 0; k < counts.length; k++) {
      const c = Number(counts[k]);
      total += c;
      d += `V${fmt(y(c))}H${fmt(x(a + (k + 1) * width))}`;
    }
    d += `V${fmt(y(0))}`;
    svg += `<path class="series" data-name="${escapeXml(s.name)}" data-total="${total}" d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5"/>`;
  });
  return `${svg}${legend(f, series.map((s) => s.name))}</svg>`;
}
