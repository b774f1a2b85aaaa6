// What a report shows of a model at work: every layer's outputs (and SNU states) over a few
// samples, which layers spike, and for classifiers each sample's label and prediction.
import { checkObject, describe } from '../checks.js';
import type { Batch } from '../data.js';
import type { Sequential } from '../model.js';

/** One layer's outputs over the recorded samples. */
export interface LayerActivity {
  name: string;
  type: string;
  /** Per step: `[n]` or `[C, H, W]`. */
  outputShape: number[];
  /** Values per step and sample: the product of `outputShape`. */
  units: number;
  /** Trainable values of the layer. */
  params: number;
  /** `[steps, batch, units]`. */
  values: Float32Array;
  /** The SNU state `s_t`, `[steps, batch, units]`, for SNU layers; null for others. */
  states: Float32Array | null;
  /** True when the outputs are spikes (SNU with the step output): its rate is `firingRate`. */
  spiking: boolean;
  /** Fraction of outputs that were spikes over the recorded samples' real steps (spiking layers), else null. */
  firingRate: number | null;
}

/** What `recordActivity` measured. */
export interface Activity {
  steps: number;
  /** Samples recorded. */
  batch: number;
  layers: LayerActivity[];
  /** Each sample's real steps: `steps`, or fewer where the batch's mask pads it (sequences of different lengths). */
  lengths: number[];
  /** Classifiers (softmax cross-entropy, one output per sample): each sample's target class and the model's. */
  classes?: { label: number; predicted: number }[];
}

/**
 * One sample's values over its real steps, `[length, units]`, out of `[steps, batch, units]`.
 * @example
 * ```ts
 * const activity = recordActivity(model, batch);
 * const first = activity.layers[0]!;
 * const spikes = sampleValues(first.values, activity, first.units, 0); // the first sample's [length, units]
 * ```
 */
export function sampleValues(values: Float32Array, a: { steps: number; batch: number; lengths: number[] }, units: number, sample: number): Float32Array {
  const out = new Float32Array(a.lengths[sample]! * units);
  for (let t = 0; t < a.lengths[sample]!; t++) out.set(values.subarray((t * a.batch + sample) * units, (t * a.batch + sample + 1) * units), t * units);
  return out;
}

function argmax(v: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[from + k]! > v[from + best]!) best = k;
  return best;
}

/**
 * Runs the model on a batch (`predictWithLayers`) and keeps every layer's outputs and SNU
 * states, for `runReport` or for your own plots.
 *
 * @example
 * ```ts
 * const activity = recordActivity(model, test.batch([0, 1, 2, 3], 0));
 * activity.layers.map((l) => [l.name, l.firingRate]); // e.g. [['snu_0', 0.11], ['snu_1', 0.07]]
 * ```
 */
export function recordActivity(model: Sequential, batch: Batch): Activity {
  const b = checkObject('recordActivity: batch', batch);
  if (!(b.x instanceof Float32Array)) throw new TypeError(`recordActivity: batch.x: expected a Float32Array, got ${describe(b.x)}`);
  const { steps, batch: n } = batch;
  const { output, layers, states } = model.predictWithLayers(batch.x, batch);
  // The mask is [steps, batch]; a sample's real steps come first, its padding after.
  const lengths = Array.from({ length: n }, (_, s) => {
    if (!batch.mask) return steps;
    let length = 0;
    for (let t = 0; t < steps; t++) if (batch.mask[t * n + s] !== 0) length = t + 1;
    return length;
  });
  const realSteps = lengths.reduce((a, b) => a + b, 0);
  const summary = model.summary().layers;
  const recorded: LayerActivity[] = summary.map((l, i) => {
    const values = layers[i]!;
    const units = values.length / (steps * n);
    // summary() gives a firing rate, after a pass, exactly for the layers whose outputs are spikes.
    const spiking = l.firingRate !== null;
    let fired = 0;
    if (spiking) for (let s = 0; s < n; s++) for (const v of sampleValues(values, { steps, batch: n, lengths }, units, s)) fired += v !== 0 ? 1 : 0;
    return { name: l.name, type: l.type, outputShape: l.outputShape, units, params: l.params, values, states: states[i] ?? null, spiking, firingRate: spiking ? fired / (realSteps * units) : null };
  });
  const spec = model.spec;
  const out = model.outputSize;
  const activity: Activity = { steps, batch: n, lengths, layers: recorded };
  if (spec.loss.kind === 'softmaxCrossEntropy' && spec.readout !== 'sequence' && output.length === n * out && batch.y?.length === n * out) {
    activity.classes = Array.from({ length: n }, (_, s) => ({ label: argmax(batch.y, s * out, out), predicted: argmax(output, s * out, out) }));
  }
  return activity;
}
