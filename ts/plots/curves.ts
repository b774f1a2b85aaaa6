// Line charts of values against epochs or steps: training and validation curves.
import { checkObject, describe } from '../checks.js';
import { PALETTE, axes, legend, escapeXml, fmt, frame, label, niceTicks, open, scale } from './svg.js';

/** One line: its name in the legend, its values, and (optionally) their x positions (default 1, 2, 3, ...). */
export interface Series {
  name: string;
  values: ArrayLike<number>;
  x?: ArrayLike<number>;
}

/** Options of `curves`. */
export interface CurvesOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels; default 480 x 300. */
  width?: number;
  height?: number;
  /** `'log'`: x on a base-10 log scale (every x must be above 0), e.g. time after programming. Default `'linear'`. */
  xScale?: 'linear' | 'log';
  /** Ticks of the x axis with their labels (default: about 6 round values). */
  xTicks?: { value: number; label: string }[];
}

function size(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 120 || v > 4000) throw new RangeError(`${name}: expected an integer from 120 to 4000 pixels, got ${describe(v)}`);
  return v;
}

function xScaleOf(v: unknown): boolean {
  if (v === undefined || v === 'linear') return false;
  if (v === 'log') return true;
  throw new TypeError(`curves: xScale: expected 'linear' or 'log', got ${describe(v)}`);
}

function xTicksOf(v: unknown): { value: number; label: string }[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((t) => typeof t !== 'object' || t === null || !Number.isFinite(t.value) || typeof t.label !== 'string')) {
    throw new TypeError(`curves: xTicks: expected a non-empty array of { value: number, label: string }, got ${describe(v)}`);
  }
  return [...v].sort((a, b) => a.value - b.value);
}

/** Every integer from floor(lo) to ceil(hi): the decades of a log axis. */
function integerTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let v = Math.floor(lo); v <= Math.ceil(hi); v++) ticks.push(v);
  return ticks;
}

/**
 * A line chart as an SVG string: one `<path class="series">` per series (non-finite values
 * leave a gap), axes with ticks, and a legend.
 *
 * @example
 * ```ts
 * const svg = curves([{ name: 'train loss', values: [1.2, 0.7, 0.5] }, { name: 'test loss', values: [1.3, 0.9, 0.8] }], { xLabel: 'epoch', yLabel: 'loss' });
 * ```
 */
export function curves(series: Series[], options: CurvesOptions = {}): string {
  if (!Array.isArray(series) || series.length === 0) throw new TypeError(`curves: expected a non-empty array of { name, values }, got ${describe(series)}`);
  const o = checkObject('curves options', options);
  const f = frame(size('curves: width', o.width, 480), size('curves: height', o.height, 300));
  const points = series.map((s, i) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || s.values == null || typeof s.values.length !== 'number') {
      throw new TypeError(`curves: series[${i}]: expected { name: string, values: number[] }, got ${describe(s)}`);
    }
    if (s.x !== undefined && s.x.length !== s.values.length) throw new RangeError(`curves: series[${i}] (${s.name}): ${s.x.length} x values for ${s.values.length} values`);
    return Array.from(s.values, (v, k) => [s.x ? Number(s.x[k]) : k + 1, Number(v)] as const);
  });
  const finite = points.flat().filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length === 0) throw new RangeError('curves: no finite value to draw');
  const log = xScaleOf(o.xScale);
  if (log && finite.some(([px]) => px <= 0)) throw new RangeError('curves: xScale log needs every x above 0');
  // On a log scale the chart is linear in log10(x); ticks and points map through it.
  const toAxis = log ? Math.log10 : (v: number) => v;
  const [xs, ys] = [finite.map((p) => toAxis(p[0])), finite.map((p) => p[1])];
  const given = xTicksOf(o.xTicks);
  // Room on the right for half the last named tick's label (about 6.4 px a character), centred on its tick.
  if (given) f.right = Math.max(f.right, Math.ceil(given[given.length - 1]!.label.length * 3.2) + 4);
  if (log && given?.some((t) => t.value <= 0)) throw new RangeError('curves: xScale log needs every x tick above 0');
  const xTicks = given ? given.map((t) => toAxis(t.value)) : log ? integerTicks(Math.min(...xs), Math.max(...xs)) : niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const xLo = Math.min(xTicks[0]!, ...xs);
  const xHi = Math.max(xTicks[xTicks.length - 1]!, ...xs);
  // A flat line (a constant learning rate) gets a range around its value rather than none.
  const [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = yMax > yMin ? 0 : Math.abs(yMin) / 2 || 1;
  const yTicks = niceTicks(yMin - pad, yMax + pad, 5);
  const xAxis = scale(xLo, xHi, f.left, f.width - f.right);
  const x = (v: number) => xAxis(toAxis(v));
  const y = scale(yTicks[0]!, yTicks[yTicks.length - 1]!, f.height - f.bottom, f.top);
  const tickLabel = given ? (v: number) => given.find((t) => toAxis(t.value) === v)?.label ?? '' : log ? (v: number) => label(10 ** v) : undefined;
  let svg = open(f, o.title as string | undefined, 'curves') + axes(f, xAxis, y, xTicks, yTicks, (o.xLabel as string | undefined) ?? 'epoch', (o.yLabel as string | undefined) ?? '', tickLabel);
  points.forEach((pts, i) => {
    let d = '';
    let pen = false;
    for (const [px, py] of pts) {
      if (!Number.isFinite(px) || !Number.isFinite(py)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${fmt(x(px))} ${fmt(y(py))}`;
      pen = true;
    }
    const colour = PALETTE[i % PALETTE.length]!;
    svg += `<path class="series" data-name="${escapeXml(series[i]!.name)}" d="${d}" fill="none" stroke="${colour}" stroke-width="1.8"/>`;
    // Single points would not show as lines: a dot for each point of a short series.
    if (pts.length <= 30) for (const [px, py] of pts) if (Number.isFinite(px) && Number.isFinite(py)) svg += `<circle cx="${fmt(x(px))}" cy="${fmt(y(py))}" r="2.2" fill="${colour}"/>`;
  });
  return `${svg}${legend(f, series.map((s) => s.name))}</svg>`;
}
