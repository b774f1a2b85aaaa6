// Datasets and batches. The engine takes time-major batches; datasets hold samples and
// gather them into batches on demand (so encoded spikes never fill memory).
import { checkFloat32, checkInteger } from './checks.js';

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
 */
export interface Batch {
  x: Float32Array;
  y: Float32Array;
  steps: number;
  batch: number;
  mask?: Float32Array;
}

/** A collection of samples that can be gathered into batches. */
export interface Dataset {
  /** Number of samples. */
  readonly size: number;
  /** Gathers the samples at `indices` into one batch; `seed` drives any random encoding. */
  batch(indices: ArrayLike<number>, seed: number): Batch;
}

/** Turns static inputs `[batch, features]` into time-major spikes `[steps, batch, features]`. */
export interface Encoder {
  readonly steps: number;
  encode(x: Float32Array, batch: number, seed: number): Float32Array;
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
      throw new RangeError(`indices[${i}]: expected an integer from 0 to ${size - 1}, got ${v}`);
    }
  }
}

/**
 * A dataset of ready-made sequences.
 * @param o.x samples, sample-major `[N, steps, features]`
 * @param o.y targets `[N, outputs]`, or `[N, steps, outputs]` with `targetsPerStep`
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
 * @param o.x samples `[N, features]`
 * @param o.y targets `[N, outputs]` (see `oneHot` for class labels)
 */
export function encodedDataset(o: { x: Float32Array; y: Float32Array; features: number; encoder: Encoder }): Dataset {
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
      const x = o.encoder.encode(gatherRows(o.x, features, indices), indices.length, seed);
      return { x, y: gatherRows(o.y, yWidth, indices), steps: o.encoder.steps, batch: indices.length };
    },
  };
}

/** One-hot rows `[N, classes]` from integer labels. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  checkInteger('classes', classes, 1);
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(`labels[${i}]: expected an integer from 0 to ${classes - 1}, got ${c}`);
    }
    out[i * classes + c] = 1;
  }
  return out;
}
