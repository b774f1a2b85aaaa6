// The report of a training run as one HTML page: curves per epoch, what the layers do on a few
// samples (rasters or heatmaps, rate histograms, membrane traces), and the model on PCM over time.
import { curves, type Series } from '../plots/curves.js';
import { conductances } from '../plots/conductances.js';
import { heatmap } from '../plots/heatmap.js';
import { frame, niceTicks, open } from '../plots/svg.js';
import { firingRates, histogram, meanValues, raster, traces } from '../plots/raster.js';
import { sampleValues, type Activity } from './activity.js';
import type { DriftMeasurement } from './drift.js';
import { reportPage, type Block, type Section } from './page.js';

/**
 * One epoch of a run: the shape of metrics.json's epochs; `fit`'s history fits too once its
 * `epoch` counts from 1 (its `valLoss` and `valAccuracy` are read as `val.loss` and `val.accuracy`).
 */
export interface ReportEpoch {
  /** 1-based. */
  epoch: number;
  loss: number;
  lr?: number;
  /** Training accuracy (classifiers). */
  accuracy?: number;
  seconds?: number;
  samplesPerSecond?: number;
  tokensPerSecond?: number;
  /** Metrics on the validation split, e.g. `{ accuracy: 0.97, loss: 0.1 }`. */
  val?: Record<string, number>;
  /** `fit`'s names for `val.loss` and `val.accuracy`. */
  valLoss?: number;
  valAccuracy?: number;
}

/** `val` with `fit`'s `valLoss` and `valAccuracy` folded in. */
function validation(e: ReportEpoch): Record<string, number> | undefined {
  if (e.valLoss === undefined && e.valAccuracy === undefined) return e.val;
  return { ...(e.valLoss === undefined ? {} : { loss: e.valLoss }), ...(e.valAccuracy === undefined ? {} : { accuracy: e.valAccuracy }), ...e.val };
}

/**
 * A chart, or where its data has no finite value (a diverged model, an overflowing metric) a
 * note in its place: the rest of the report still tells what happened.
 */
function chartOr(title: string, draw: () => string): string {
  try {
    return draw();
  } catch (e) {
    if (!(e instanceof RangeError) || !/no finite value/.test(e.message)) throw e;
    const f = frame(480, 120);
    return `${open(f, title, 'empty')}<text x="${f.width / 2}" y="70" text-anchor="middle" fill="#a00">no finite value to draw (NaN or infinite)</text></svg>`;
  }
}

/** What `runReport` puts on the page; every part but the title is optional. */
export interface RunReportInput {
  title: string;
  /** One line under the title (the run's status, say). */
  subtitle?: string;
  /** Rows of the overview table: `[what, value]`. */
  facts?: [string, string][];
  epochs?: ReportEpoch[];
  /** The metric to chart from `val` (e.g. `accuracy`, `nll`, `perplexity`); default every key but `loss`. */
  metric?: string;
  activity?: Activity;
  drift?: DriftMeasurement;
}

/** Units drawn per raster or heatmap: a wider layer shows its first ones. */
const MAX_UNITS_DRAWN = 256;
/** Membrane traces drawn per layer and sample. */
const TRACED_UNITS = 4;

function trainingSection(epochs: ReportEpoch[], metric: string | undefined): Section {
  const x = epochs.map((e) => e.epoch);
  // Epochs are whole: ticks at round whole numbers only (unless the epochs given are not).
  const whole = niceTicks(Math.min(...x), Math.max(...x), 6)
    .filter(Number.isInteger)
    .map((value) => ({ value, label: String(value) }));
  const xTicks = whole.length > 0 ? whole : undefined;
  const vals = epochs.map(validation);
  const series = (name: string, pick: (e: ReportEpoch, val: Record<string, number> | undefined) => number | undefined): Series | null => {
    const values = epochs.map((e, i) => pick(e, vals[i]) ?? Number.NaN);
    return values.some(Number.isFinite) ? { name, values, x } : null;
  };
  const chart = (list: (Series | null)[], yLabel: string, title: string) => {
    const present = list.filter((s): s is Series => s !== null);
    return present.length > 0 ? chartOr(title, () => curves(present, { title, xLabel: 'epoch', yLabel, ...(xTicks ? { xTicks } : {}) })) : null;
  };
  const metrics = metric !== undefined ? [metric] : [...new Set(vals.flatMap((v) => Object.keys(v ?? {})))].filter((k) => k !== 'loss');
  const svgs = [
    chart([series('training loss', (e) => e.loss), series('validation loss', (_, val) => val?.loss)], 'loss', 'Loss'),
    ...metrics.map((m) => chart([series(`validation ${m}`, (_, val) => val?.[m]), m === 'accuracy' ? series('training accuracy', (e) => e.accuracy) : null], m, m[0]!.toUpperCase() + m.slice(1))),
    chart([series('learning rate', (e) => e.lr)], 'learning rate', 'Learning rate'),
    chart([series('samples/s', (e) => e.samplesPerSecond), series('tokens/s', (e) => e.tokensPerSecond)], 'per second', 'Throughput'),
  ].filter((s): s is string => s !== null);
  return { id: 'training', title: 'Training', blocks: [{ kind: 'figures', svgs }] };
}

/** The units whose outputs sum highest over a sample's `[length, units]`: the ones worth a trace. */
function mostActive(values: Float32Array, units: number): number[] {
  const sums = new Float64Array(units);
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) sums[i % units]! += values[i]!;
  return Array.from(sums.keys()).sort((a, b) => sums[b]! - sums[a]! || a - b).slice(0, Math.min(TRACED_UNITS, units)).sort((a, b) => a - b);
}

/** Every sample's real steps of a layer, one after another: `[sum of lengths, units]`. */
function realSteps(a: Activity, values: Float32Array, units: number): Float32Array {
  const parts = a.lengths.map((_, s) => sampleValues(values, a, units, s));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function activitySection(a: Activity): Section {
  const { batch } = a;
  const total = a.lengths.reduce((x, y) => x + y, 0);
  const blocks: Block[] = [];
  // Each layer's real steps over all samples, gathered once for its table row and its histogram.
  const reals = a.layers.map((l) => realSteps(a, l.values, l.units));
  const rows = a.layers.map((l, i) => {
    const rate = l.spiking ? l.firingRate!.toFixed(3) : '-';
    const real = reals[i]!;
    const mean = l.spiking ? '-' : (real.reduce((s, v) => s + v, 0) / real.length).toPrecision(3);
    return [l.name, l.type, `[${l.outputShape.join(', ')}]`, l.params.toLocaleString('en-US'), rate, mean];
  });
  const params = a.layers.reduce((n, l) => n + l.params, 0);
  rows.push(['total', '', '', params.toLocaleString('en-US'), '', '']);
  blocks.push({ kind: 'table', head: ['layer', 'type', 'output', 'params', 'firing rate', 'mean output'], rows });
  blocks.push({
    kind: 'figures',
    svgs: a.layers.map((l, i) => {
      const o = { steps: total, batch: 1, units: l.units };
      const real = reals[i]!;
      return l.spiking
        ? histogram(firingRates(real, o), { bins: 20, min: 0, max: 1, title: `${l.name}: firing rate per unit`, xLabel: 'firing rate' })
        : chartOr(`${l.name}: mean output per unit`, () => histogram(meanValues(real, o), { bins: 20, title: `${l.name}: mean output per unit`, xLabel: 'mean output' }));
    }),
  });
  const padded = a.lengths.some((n) => n < a.steps);
  blocks.push({ kind: 'text', text: `The histograms count the units of each layer over all ${batch} samples and their ${padded ? 'real steps (padding left out)' : `${a.steps} steps`}. Below, one sample at a time: spiking layers as rasters (a mark per spike), others as heatmaps (white low, black high), and the state s_t of the ${TRACED_UNITS} most active units of each SNU layer.` });
  const labels = Array.from({ length: batch }, (_, s) => {
    const c = a.classes?.[s];
    return `sample ${s + 1}${c ? `: label ${c.label}, predicted ${c.predicted}` : ''}${padded ? ` (${a.lengths[s]} steps)` : ''}`;
  });
  blocks.push({ kind: 'picker', label: 'Sample', options: labels });
  for (let sample = 0; sample < batch; sample++) {
    const svgs: string[] = [];
    const steps = a.lengths[sample]!;
    if (steps === 0) continue;
    for (const l of a.layers) {
      const values = sampleValues(l.values, a, l.units, sample);
      const o = { steps, units: l.units, maxUnits: MAX_UNITS_DRAWN };
      svgs.push(l.spiking ? raster(values, { ...o, title: `${l.name}: spikes` }) : heatmap(values, { ...o, title: `${l.name}: outputs` }));
      if (l.states) svgs.push(chartOr(`${l.name}: state s_t`, () => traces(sampleValues(l.states!, a, l.units, sample), { steps, units: l.units, select: mostActive(values, l.units), title: `${l.name}: state s_t` })));
    }
    blocks.push({ kind: 'figures', svgs, sample });
  }
  return { id: 'activity', title: 'Layers at work', blocks };
}

function driftSection(d: DriftMeasurement): Section {
  const seconds = d.points.map((p) => p.seconds);
  const ticks = d.points.map((p) => ({ value: p.seconds, label: p.label }));
  const overTime = chartOr(`${d.metric} after programming`, () => curves(
    [
      { name: 'drift compensated', values: d.points.map((p) => p.compensated), x: seconds },
      { name: 'uncompensated', values: d.points.map((p) => p.uncompensated), x: seconds },
    ],
    { title: `${d.metric} after programming`, xLabel: 'time since programming', yLabel: d.metric, xScale: 'log', xTicks: ticks, width: 560 },
  ));
  const [first, last] = [d.points[0]!.label, d.points[d.points.length - 1]!.label];
  const layers = d.layers.map((l) =>
    conductances(
      [
        { name: `G+ at ${first}`, histogram: l.first.gPlus },
        { name: `G- at ${first}`, histogram: l.first.gMinus },
        { name: `G+ at ${last}`, histogram: l.last.gPlus },
        { name: `G- at ${last}`, histogram: l.last.gMinus },
      ],
      { title: `${l.name}: ${l.devices.toLocaleString('en-US')} devices`, yScale: 'log' },
    ),
  );
  const fix = (v: number) => Number(v.toPrecision(5));
  return {
    id: 'pcm',
    title: 'On phase-change memory',
    blocks: [
      { kind: 'text', text: `Every weight matrix programmed onto simulated PCM crossbars (docs/pcm.md; device seed ${d.seed}), then read at each time after programming, with global drift compensation and without.` },
      { kind: 'figures', svgs: [overTime] },
      { kind: 'table', head: ['time', `${d.metric}, compensated`, 'uncompensated'], rows: d.points.map((p) => [p.label, fix(p.compensated), fix(p.uncompensated)]) },
      { kind: 'figures', svgs: layers },
    ],
  };
}

/**
 * A self-contained HTML report (inline SVG, no network at view time) of a run: an overview
 * table, curves per epoch, the layers' activity on a few samples (`recordActivity`), and the
 * model on PCM over time (`measureDrift`). `snu report <run folder>` writes one for a run of
 * `snu train`; this function makes one from your own training loop.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * const history = await model.fit(train, { epochs: 4, batchSize: 64 });
 * const html = runReport({
 *   title: 'MNIST, 784-256-10 SNU',
 *   epochs: history.epochs.map((e) => ({ ...e, epoch: e.epoch + 1 })),
 *   activity: recordActivity(model, test.batch([0, 1, 2, 3], 0)),
 * });
 * await writeFile('report.html', html);
 * ```
 */
export function runReport(input: RunReportInput): string {
  if (typeof input !== 'object' || input === null || typeof input.title !== 'string') throw new TypeError('runReport: expected { title: string, ... }');
  const sections: Section[] = [];
  if (input.facts?.length) sections.push({ id: 'overview', title: 'Overview', blocks: [{ kind: 'table', head: ['', ''], rows: input.facts }] });
  if (input.epochs?.length) sections.push(trainingSection(input.epochs, input.metric));
  if (input.activity) sections.push(activitySection(input.activity));
  if (input.drift) sections.push(driftSection(input.drift));
  return reportPage(input.title, input.subtitle ?? '', sections);
}
