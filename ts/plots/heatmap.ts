// The values of one layer over time as a picture (units down, steps across), for layers whose
// outputs are not spikes: sSNU's sigmoid outputs, dense and pooling layers.
import { checkInteger, checkObject } from '../checks.js';
import { axes, escapeXml, fmt, frame, niceTicks, open, scale } from './svg.js';
import { greyPng } from './png.js';
import { layout, type SpikeLayout } from './layout.js';

/**
 * A heatmap of one sample's values `[steps, batch, units]` as an SVG string: an embedded
 * greyscale PNG, one pixel per step and unit, from white at `min` to black at `max` (default the
 * sample's range), drawn without smoothing.
 *
 * @example
 * ```ts
 * const { layers } = model.predictWithLayers(batch.x, batch);
 * const svg = heatmap(layers[0]!, { steps: batch.steps, batch: batch.batch, units: 256, min: 0, max: 1, title: 'snu_0 (sigmoid)' });
 * ```
 */
export function heatmap(values: ArrayLike<number>, options: SpikeLayout & { sample?: number; min?: number; max?: number; maxUnits?: number; title?: string; width?: number; height?: number }): string {
  const o = checkObject('heatmap options', options);
  const { steps, batch, units } = layout('heatmap', values, o);
  const sample = checkInteger('heatmap: sample', o.sample ?? 0, 0, batch - 1);
  const shown = Math.min(units, checkInteger('heatmap: maxUnits', o.maxUnits ?? units, 1));
  const f = frame(checkInteger('heatmap: width', o.width ?? 480, 120, 4000), checkInteger('heatmap: height', o.height ?? 300, 120, 4000));
  let [lo, hi] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < shown; j++) {
      const v = values[(t * batch + sample) * units + j]!;
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  lo = o.min === undefined ? lo : Number(o.min);
  hi = o.max === undefined ? hi : Number(o.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  const span = hi > lo ? hi - lo : 1;
  // Pixel (x = step, y = unit, unit 0 in the bottom row as the axis counts): 255 at lo (white)
  // down to 0 at hi (black); non-finite values grey.
  const pixels = new Uint8Array(steps * shown);
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < shown; j++) {
      const v = values[(t * batch + sample) * units + j]!;
      pixels[(shown - 1 - j) * steps + t] = Number.isFinite(v) ? Math.round(255 * (1 - Math.min(1, Math.max(0, (v - lo) / span)))) : 128;
    }
  }
  const png = Buffer.from(greyPng(pixels, steps, shown)).toString('base64');
  const x = scale(0, steps, f.left, f.width - f.right);
  const yAxis = scale(0, shown, f.height - f.bottom, f.top);
  const [x0, y0, w, h] = [f.left, f.top, f.width - f.right - f.left, f.height - f.bottom - f.top];
  const title = o.title === undefined ? undefined : `${o.title as string}${shown < units ? ` (units 0-${shown - 1} of ${units})` : ''}`;
  const svg = open(f, title, 'heatmap') + axes(f, x, yAxis, niceTicks(0, steps, 6).filter((v) => v <= steps), niceTicks(0, shown, 5).filter((v) => v <= shown), 'step', 'unit');
  const image = `<image class="values" x="${x0}" y="${y0}" width="${w}" height="${h}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`;
  return `${svg}${image}<desc>${escapeXml(`values from ${fmt(lo)} (white) to ${fmt(hi)} (black)`)}</desc></svg>`;
}
