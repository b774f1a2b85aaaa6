// Line charts of values against epochs or steps: training and validation curves.
import { checkObject, describe } from '../checks.js';
import { PALETTE, axes, escapeXml, fmt, frame, niceTicks, open, scale } from './svg.js';

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
}

function size(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 120 || v > 4000) throw new RangeError(`${name}: expected an integer from 120 to 4000 pixels, got ${describe(v)}`);
  return v;
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
  const [xs, ys] = [finite.map((p) => p[0]), finite.map((p) => p[1])];
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const x = scale(xTicks[0]!, xTicks[xTicks.length - 1]!, f.left, f.width - f.right);
  const y = scale(yTicks[0]!, yTicks[yTicks.length - 1]!, f.height - f.bottom, f.top);
  let svg = open(f, o.title as string | undefined, 'curves') + axes(f, x, y, xTicks, yTicks, (o.xLabel as string | undefined) ?? 'epoch', (o.yLabel as string | undefined) ?? '');
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
  svg += '<g class="legend">';
  series.forEach((s, i) => {
    const ly = f.top + 4 + i * 14;
    svg += `<path d="M${f.width - f.right - 120} ${ly}h14" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"/><text x="${f.width - f.right - 102}" y="${ly + 4}">${escapeXml(s.name)}</text>`;
  });
  return `${svg}</g></svg>`;
}
