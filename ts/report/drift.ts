// A trained model on simulated PCM over time (docs/pcm.md): program its weights onto devices
// once, then measure a metric at times after programming, with and without global drift
// compensation, and keep the conductance histograms at the first and last time.
import { checkInteger, checkNumber, checkObject, checkString, describe } from '../checks.js';
import type { ConductanceHistogram, PcmConfig } from '../analog.js';
import type { Sequential } from '../model.js';

/** A time after programming: its label in charts and its seconds. */
export interface TimePoint {
  label: string;
  seconds: number;
}

/**
 * 1 s, 1 min, 1 h, 1 day, 1 week and 1 month (30 days) after programming: `measureDrift`'s default times.
 *
 * @example
 * ```ts
 * const drift = await measureDrift(model, async (m) => (await m.evaluate(test)).loss, { metric: 'test loss', times: DRIFT_TIMES.slice(0, 3) }); // 1 s to 1 h
 * ```
 */
export const DRIFT_TIMES: readonly TimePoint[] = [
  { label: '1 s', seconds: 1 },
  { label: '1 min', seconds: 60 },
  { label: '1 h', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '1 week', seconds: 7 * 86_400 },
  { label: '1 month', seconds: 30 * 86_400 },
];

/** The metric at one time after programming. */
export interface DriftPoint extends TimePoint {
  compensated: number;
  uncompensated: number;
}

/** What `measureDrift` measured. */
export interface DriftMeasurement {
  /** The metric's name, as given. */
  metric: string;
  /** The devices' seed (layer `i` got `seed + i`). */
  seed: number;
  points: DriftPoint[];
  /** Each layer on a crossbar: G+ and G- histograms (µS) at the first and at the last time. */
  layers: { name: string; devices: number; first: { gPlus: ConductanceHistogram; gMinus: ConductanceHistogram }; last: { gPlus: ConductanceHistogram; gMinus: ConductanceHistogram } }[];
}

/** Options of `measureDrift`. */
export interface DriftOptions {
  /** The metric's name in charts, e.g. `'test NLL'`. */
  metric: string;
  /** Default `DRIFT_TIMES`, 1 s to 1 month. */
  times?: readonly TimePoint[];
  /** Seed of the devices; default 0. */
  seed?: number;
  /** Crossbar configuration (docs/design.md §3 defaults for what is left out). */
  config?: PcmConfig;
  /** Bins of the conductance histograms; default 50. */
  bins?: number;
}

/**
 * Programs every weight matrix of `model` onto PCM crossbars (once: the same devices for every
 * time) and, at each time after programming, measures `evaluate(model)` with global drift
 * compensation on and off. The model is left on its crossbars at the last time: measure on a
 * copy (`Sequential.load`) if you need the software model afterwards.
 *
 * @example
 * ```ts
 * const model = await Sequential.load('runs/jsb/best.snu');
 * const drift = await measureDrift(model, async (m) => (await m.evaluate(test)).loss, { metric: 'test NLL', seed: 1 });
 * drift.points.map((p) => [p.label, p.compensated, p.uncompensated]);
 * ```
 */
export async function measureDrift(model: Sequential, evaluate: (model: Sequential) => Promise<number>, options: DriftOptions): Promise<DriftMeasurement> {
  const o = checkObject('measureDrift options', options);
  if (typeof evaluate !== 'function') throw new TypeError(`measureDrift: evaluate: expected a function (model) => Promise<number>, got ${describe(evaluate)}`);
  const metric = checkString('measureDrift: metric', o.metric);
  const seed = checkInteger('measureDrift: seed', o.seed ?? 0, 0);
  const bins = checkInteger('measureDrift: bins', o.bins ?? 50, 1, 10_000);
  const times = (o.times as readonly TimePoint[] | undefined) ?? DRIFT_TIMES;
  if (!Array.isArray(times) || times.length === 0) throw new TypeError(`measureDrift: times: expected a non-empty array of { label, seconds }, got ${describe(times)}`);
  times.forEach((t, i) => {
    checkString(`measureDrift: times[${i}].label`, t?.label);
    checkNumber(`measureDrift: times[${i}].seconds`, t?.seconds, { above: 0 });
  });
  model.analog.program('all', { seed, ...(o.config === undefined ? {} : { config: o.config as PcmConfig }) });
  const layers = model.analog.layers();
  const histograms = () => layers.map((l) => {
    const s = model.analog.stats(l, bins);
    return { devices: s.devices, gPlus: s.gPlus, gMinus: s.gMinus };
  });
  const points: DriftPoint[] = [];
  let first: ReturnType<typeof histograms> = [];
  for (const [i, t] of times.entries()) {
    model.analog.setTime(t.seconds);
    if (i === 0) first = histograms();
    model.analog.setDriftCompensation(true);
    const compensated = await evaluate(model);
    model.analog.setDriftCompensation(false);
    const uncompensated = await evaluate(model);
    points.push({ label: t.label, seconds: t.seconds, compensated, uncompensated });
  }
  model.analog.setDriftCompensation(true);
  const last = histograms();
  return {
    metric,
    seed,
    points,
    layers: layers.map((name, i) => ({ name, devices: first[i]!.devices, first: { gPlus: first[i]!.gPlus, gMinus: first[i]!.gMinus }, last: { gPlus: last[i]!.gPlus, gMinus: last[i]!.gMinus } })),
  };
}
