// The small pieces every chart shares: escaping, number formatting, "nice" axis ticks, the frame
// with its axes and labels. Charts are plain SVG strings (no fonts, scripts or links to fetch),
// so they show the same in a browser, a notebook or a file.

/** Text for SVG: `&`, `<`, `>` and quotes escaped. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most 2 decimals (smaller files, no visible loss). */
export function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A tick label: integers plain, others with 3 significant digits, very large or small in e-notation. */
export function label(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/**
 * About `count` ticks covering `[lo, hi]` at a step of 1, 2 or 5 times a power of ten.
 * @example
 * ```ts
 * niceTicks(0, 0.93, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9 && ticks.length < 50; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** The size of a chart and the margins its axes' labels take. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function frame(width: number, height: number): Frame {
  return { width, height, left: 56, right: 16, top: 28, bottom: 40 };
}

/** Maps data `[lo, hi]` onto the pixels `[a, b]`. */
export function scale(lo: number, hi: number, a: number, b: number): (v: number) => number {
  const span = hi > lo ? hi - lo : 1;
  return (v) => a + ((v - lo) / span) * (b - a);
}

/** The opening tag with a white background, and the title. */
export function open(f: Frame, title: string | undefined, kind: string): string {
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="snu-${kind}" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="sans-serif" font-size="11">`;
  const background = `<rect width="${f.width}" height="${f.height}" fill="#fff"/>`;
  const heading = title ? `<text class="title" x="${fmt(f.width / 2)}" y="16" text-anchor="middle" font-size="13">${escapeXml(title)}</text>` : '';
  return head + background + heading;
}

/** Axes with ticks and labels for x in `xTicks` and y in `yTicks`; `xTickLabel` and `yTickLabel` name the ticks (default their values). */
export function axes(f: Frame, x: (v: number) => number, y: (v: number) => number, xTicks: number[], yTicks: number[], xLabel: string, yLabel: string, xTickLabel: (v: number) => string = label, yTickLabel: (v: number) => string = label): string {
  const [x0, x1, y0, y1] = [f.left, f.width - f.right, f.height - f.bottom, f.top];
  let out = `<g class="axes" stroke="#444" fill="none"><path d="M${x0} ${y1}V${y0}H${x1}"/></g><g class="ticks" fill="#333">`;
  for (const t of xTicks) out += `<text x="${fmt(x(t))}" y="${fmt(y0 + 14)}" text-anchor="middle">${escapeXml(xTickLabel(t))}</text>`;
  for (const t of yTicks) out += `<text x="${fmt(x0 - 4)}" y="${fmt(y(t) + 4)}" text-anchor="end">${escapeXml(yTickLabel(t))}</text>`;
  out += '</g><g class="grid" stroke="#eee">';
  for (const t of yTicks) out += `<path d="M${x0} ${fmt(y(t))}H${x1}"/>`;
  out += '</g>';
  out += `<text class="xlabel" x="${fmt((x0 + x1) / 2)}" y="${f.height - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>`;
  out += `<text class="ylabel" transform="translate(12 ${fmt((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`;
  return out;
}

/** The legend at the top right: a line in each series' colour (PALETTE, in order) and its name. */
export function legend(f: Frame, names: string[]): string {
  let out = '<g class="legend">';
  names.forEach((name, i) => {
    const ly = f.top + 4 + i * 14;
    out += `<path d="M${f.width - f.right - 120} ${ly}h14" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"/><text x="${f.width - f.right - 102}" y="${ly + 4}">${escapeXml(name)}</text>`;
  });
  return `${out}</g>`;
}

/** Colours of series, in order (Tableau 10). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
