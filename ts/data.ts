// Datasets and batches. The engine takes time-major batches; datasets hold samples and
// gather them into batches on demand (so encoded spikes never fill memory).
import { checkFloat32, checkInteger, checkKeys, checkNumber, checkObject, describe } from './checks.js';
import type { Augmenter } from './augment.js';
import { MAX_VALUES, MAX_WIDTH } from './generated/limits.js';

/**
 * One batch in the engine's layout.
 * - `x`: inputs, time-major `[steps, batch, features]`; element `(t, b, f)` is at `(t * batch + b) * features + f`.
 *   For a model whose first layer is an `embedding`, `features` is 1 and `x` holds token ids.
 * - `y`: targets `[batch, outputs]`, or `[steps, batch, outputs]` for the `sequence` readout.
 *   With the `sparseSoftmaxCrossEntropy` loss, one class id per row instead: `[batch]` or `[steps, batch]`.
 * - `mask`: optional, `[steps, batch]`, for batches of sequences of different length: 1 for a
 *   real step, 0 for padding. Padding comes after a sample's real steps. Padded steps change
 *   neither the loss nor the gradients (the `sum`/`mean` readouts count real steps only, `last`
 *   takes a sample's last real step, `sequence` averages the loss over real steps).
 *
 * @example
 * ```ts
 * // 2 samples of 3 steps with 1 feature; the second sample is 2 steps long
 * const b: Batch = {
 *   x: Float32Array.of(1, 1, 0, 1, 1, 0), // (t, b) at t * 2 + b
 *   y: Float32Array.of(1, 0, 0, 1),       // [batch, 2 outputs]
 *   steps: 3,
 *   batch: 2,
 *   mask: Float32Array.of(1, 1, 1, 1, 1, 0),
 * };
 * model.trainOnBatch(b);
 * ```
 */
export interface Batch {
  x: Float32Array;
  y: Float32Array;
  steps: number;
  batch: number;
  mask?: Float32Array;
}

/**
 * A collection of samples that can be gathered into batches. `sequenceDataset`,
 * `encodedDataset` and `jsbDataset` make one; any object of this shape works with `fit` and
 * `evaluate`.
 *
 * @example
 * ```ts
 * // 100 random sequences of 5 steps with 2 features; target: did feature 0 sum above 2.5?
 * const xs = Float32Array.from({ length: 100 * 5 * 2 }, () => Math.random());
 * const data: Dataset = {
 *   size: 100,
 *   batch(indices) {
 *     const n = indices.length;
 *     const x = new Float32Array(5 * n * 2);
 *     const y = new Float32Array(n * 2);
 *     for (let i = 0; i < n; i++) {
 *       let sum = 0;
 *       for (let t = 0; t < 5; t++) {
 *         for (let f = 0; f < 2; f++) x[(t * n + i) * 2 + f] = xs[(indices[i]! * 5 + t) * 2 + f]!;
 *         sum += x[(t * n + i) * 2]!;
 *       }
 *       y[i * 2 + (sum > 2.5 ? 1 : 0)] = 1;
 *     }
 *     return { x, y, steps: 5, batch: n };
 *   },
 * };
 * ```
 */
export interface Dataset {
  /** Number of samples. */
  readonly size: number;
  /** Gathers the samples at `indices` into one batch; `seed` drives any random encoding. */
  batch(indices: ArrayLike<number>, seed: number): Batch;
}

/**
 * Turns static inputs `[batch, features]` into time-major spikes `[steps, batch, features]`.
 * `rateEncoder`, `poissonEncoder`, `latencyEncoder` and `directEncoder` make one.
 *
 * @example
 * ```ts
 * const enc: Encoder = rateEncoder({ steps: 20 });
 * const spikes = enc.encode(new Float32Array(8 * 784).fill(0.3), 8, 42); // [20, 8, 784]
 * ```
 */
export interface Encoder {
  /** Time steps `T` of every encoded batch. */
  readonly steps: number;
  /** Encodes `x` (`[batch, features]`) into `[steps, batch, features]`; `seed` drives any randomness. */
  encode(x: Float32Array, batch: number, seed: number): Float32Array;
  /**
   * The same code over `steps` steps, at the same spikes per step: a rate code keeps its spike
   * probability per step (`maxSpikes` scales with the steps), a Poisson code its rate and `dt`,
   * latency and direct codes their options. The built-in encoders have it; use it to measure
   * over more steps than training used (the paper trained its convolutional net over 30 steps
   * and tested over 300).
   * @example
   * ```ts
   * const train = rateEncoder({ steps: 30 });
   * const test = train.withSteps!(300); // p = v at each of 300 steps
   * ```
   */
  withSteps?(steps: number): Encoder;
}

/** Copies rows `indices` of a row-major `[N, width]` array into `[indices.length, width]`. */
function gatherRows(src: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.set(src.subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

/** Gathers samples `[N, steps, width]` into time-major `[steps, B, width]`. */
function gatherSequences(src: Float32Array, steps: number, width: number, indices: ArrayLike<number>): Float32Array {
  const b = indices.length;
  const out = new Float32Array(steps * b * width);
  for (let i = 0; i < b; i++) {
    const base = indices[i]! * steps * width;
    for (let t = 0; t < steps; t++) {
      out.set(src.subarray(base + t * width, base + (t + 1) * width), (t * b + i) * width);
    }
  }
  return out;
}

function checkIndices(indices: ArrayLike<number>, size: number): void {
  if (indices.length === 0) throw new RangeError('indices: expected at least one sample index');
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= size) {
      throw new RangeError(`indices[${i}]: expected an integer from 0 to ${size - 1}, got ${typeof v === 'number' ? v : describe(v)}`);
    }
  }
}

/**
 * A dataset of ready-made sequences, all of the same length. It gathers them into time-major
 * batches; no encoding, so the seed is unused.
 * @param o.x samples, sample-major `[N, steps, features]`
 * @param o.y targets `[N, outputs]`, or `[N, steps, outputs]` with `targetsPerStep`
 *
 * @example
 * ```ts
 * // 4 samples of 3 steps with 2 features, one of 2 classes each
 * const data = sequenceDataset({
 *   x: new Float32Array(4 * 3 * 2).fill(1),
 *   y: oneHot([0, 1, 1, 0], 2),
 *   steps: 3,
 *   features: 2,
 * });
 * const b = data.batch([0, 2], 0); // b.x: [3, 2, 2] time-major, b.y: [2, 2]
 * ```
 */
export function sequenceDataset(o: {
  x: Float32Array;
  y: Float32Array;
  steps: number;
  features: number;
  targetsPerStep?: boolean;
}): Dataset {
  const steps = checkInteger('steps', o.steps, 1);
  const features = checkInteger('features', o.features, 1);
  checkFloat32('x', o.x);
  checkFloat32('y', o.y);
  if (o.x.length === 0 || o.x.length % (steps * features) !== 0) {
    throw new RangeError(`x: expected N x steps x features values (steps=${steps}, features=${features}), got ${o.x.length}`);
  }
  const size = o.x.length / (steps * features);
  const perStep = o.targetsPerStep ?? false;
  const yWidth = o.y.length / (size * (perStep ? steps : 1));
  if (!Number.isInteger(yWidth) || yWidth < 1) {
    throw new RangeError(`y: expected ${size} samples x ${perStep ? `${steps} steps x ` : ''}outputs values, got ${o.y.length}`);
  }
  return {
    size,
    batch(indices) {
      checkIndices(indices, size);
      const y = perStep ? gatherSequences(o.y, steps, yWidth, indices) : gatherRows(o.y, yWidth, indices);
      return { x: gatherSequences(o.x, steps, features, indices), y, steps, batch: indices.length };
    },
  };
}

/**
 * A dataset of static inputs (images, say) that an encoder turns into spike trains per batch.
 * The spikes are drawn when a batch is made, with the batch's seed, and never stored.
 * @param o.x samples `[N, features]`
 * @param o.y targets `[N, outputs]` (see `oneHot` for class labels)
 * @param o.augment distorts the samples of every batch before they are encoded (for example
 *   `elasticDistortion`), from the batch's seed: give it to the training set only.
 *
 * @example
 * ```ts
 * const { images, labels } = loadMnist('test');
 * const data = encodedDataset({ x: images, y: oneHot(labels, 10), features: 784, encoder: rateEncoder({ steps: 10 }) });
 * const b = data.batch([0, 1, 2], 7); // b.x: [10, 3, 784] spikes, b.y: [3, 10]
 * ```
 */
export function encodedDataset(o: { x: Float32Array; y: Float32Array; features: number; encoder: Encoder; augment?: Augmenter }): Dataset {
  const features = checkInteger('features', o.features, 1);
  checkFloat32('x', o.x);
  checkFloat32('y', o.y);
  if (o.x.length === 0 || o.x.length % features !== 0) {
    throw new RangeError(`x: expected N x features values (features=${features}), got ${o.x.length}`);
  }
  const size = o.x.length / features;
  const yWidth = o.y.length / size;
  if (!Number.isInteger(yWidth) || yWidth < 1) throw new RangeError(`y: expected ${size} x outputs values, got ${o.y.length}`);
  return {
    size,
    batch(indices, seed) {
      checkIndices(indices, size);
      const rows = gatherRows(o.x, features, indices);
      // The distortion draws from the batch's seed too (a stream of its own: seed + 1).
      const samples = o.augment ? o.augment.apply(rows, indices.length, (seed + 1) >>> 0) : rows;
      const x = o.encoder.encode(samples, indices.length, seed);
      return { x, y: gatherRows(o.y, yWidth, indices), steps: o.encoder.steps, batch: indices.length };
    },
  };
}

/**
 * One-hot rows `[N, classes]` from integer labels. With `smoothing` `e` in [0, 1) (label
 * smoothing, Szegedy et al. 2016), each row is `(1 - e) * onehot + e / classes`: the label's
 * class gets `1 - e + e / classes`, every other class `e / classes`. Smooth training targets only;
 * measure against plain one-hot rows.
 *
 * @example
 * ```ts
 * oneHot([2, 0], 3); // Float32Array [0, 0, 1, 1, 0, 0]
 * oneHot([1], 2, { smoothing: 0.1 }); // Float32Array [0.05, 0.95]
 * ```
 */
export function oneHot(labels: ArrayLike<number>, classes: number, options?: { smoothing?: number }): Float32Array {
  if (typeof labels !== 'object' || labels === null || typeof (labels as { length?: unknown }).length !== 'number') {
    throw new TypeError(`labels: expected an array or typed array of class ids, got ${describe(labels)}`);
  }
  // One output per class: no layer is wider than MAX_WIDTH, no array the engine takes longer than MAX_VALUES.
  checkInteger('classes', classes, 1, MAX_WIDTH);
  if (labels.length * classes > MAX_VALUES) {
    throw new RangeError(`labels: ${labels.length} labels x ${classes} classes = ${labels.length * classes} values, above the ${MAX_VALUES} an array handed to the engine may hold`);
  }
  const o = checkObject('oneHot: options', options, true);
  checkKeys('oneHot: options', o, ['smoothing']);
  const e = checkNumber('smoothing', o.smoothing ?? 0, { min: 0, below: 1 });
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(`labels[${i}]: expected an integer from 0 to ${classes - 1}, got ${typeof c === 'number' ? c : describe(c)}`);
    }
    out[i * classes + c] = 1;
  }
  if (e > 0) for (let i = 0; i < out.length; i++) out[i] = (1 - e) * out[i]! + e / classes;
  return out;
}
