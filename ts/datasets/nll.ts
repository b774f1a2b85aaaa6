// The music benchmark's metric (docs/design.md §2): per-frame negative log-likelihood of independent
// Bernoulli keys, summed over keys, averaged over real (unmasked) frames, in float64.
import { describe } from '../checks.js';

/**
 * Result of `frameNll`: `mean` = `sum / frames`; keep `sum` and `frames` to pool over batches.
 *
 * @example
 * ```ts
 * const r: FrameNll = frameNll([0.5, 0.5], [1, 0], undefined, 2);
 * console.log(r.mean, r.sum, r.frames); // 1.386… (2 ln 2), 1.386…, 1
 * ```
 */
export interface FrameNll {
  /** The NLL per frame: `sum / frames`. */
  mean: number;
  /** The NLL summed over the frames counted. */
  sum: number;
  /** Frames counted (those where the mask is 1). */
  frames: number;
}

/**
 * `-sum_k [v_k log p_k + (1 - v_k) log(1 - p_k)]` per frame (natural log), over the frames where
 * `mask` is 1 (all if no mask). `probabilities` and `targets` are `[frames, keys]` (e.g. a batch's
 * `[steps, batch, 88]`), `mask` `[frames]`. Terms with a zero coefficient are skipped, so a certain
 * and right prediction costs 0; a certain and wrong one costs Infinity (no clamping).
 *
 * @example
 * ```ts
 * // a JSB model (binaryCrossEntropy, from logits or not) with the `sequence` readout:
 * // predictProbabilities gives probabilities either way (predict gives logits with fromLogits)
 * let total = 0;
 * let count = 0;
 * for (const b of [batch]) {
 *   const probs = model.predictProbabilities(b.x, b);
 *   const { sum, frames } = frameNll(probs, b.y, b.mask);
 *   total += sum;
 *   count += frames;
 * }
 * console.log('NLL per frame', total / count);
 * ```
 */
export function frameNll(
  probabilities: ArrayLike<number>,
  targets: ArrayLike<number>,
  mask?: ArrayLike<number>,
  keys = 88,
): FrameNll {
  if (!Number.isInteger(keys) || keys < 1) throw new RangeError(`keys: expected a positive integer, got ${describe(keys)}`);
  if (probabilities.length !== targets.length) {
    throw new RangeError(`targets: expected ${probabilities.length} values (as many as probabilities), got ${targets.length}`);
  }
  if (probabilities.length % keys !== 0) throw new RangeError(`probabilities: expected frames x ${keys} values, got ${probabilities.length}`);
  const total = probabilities.length / keys;
  if (mask !== undefined && mask.length !== total) throw new RangeError(`mask: expected ${total} values (one per frame), got ${mask.length}`);
  let sum = 0;
  let frames = 0;
  for (let f = 0; f < total; f++) {
    if (mask !== undefined && mask[f] === 0) continue;
    frames++;
    for (let k = f * keys; k < (f + 1) * keys; k++) {
      const p = probabilities[k]!;
      const v = targets[k]!;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`probabilities: value at index ${k} is ${p}, expected a number in [0, 1]`);
      if (!(v >= 0 && v <= 1)) throw new RangeError(`targets: value at index ${k} is ${v}, expected a number in [0, 1]`);
      if (v !== 0) sum -= v * Math.log(p);
      if (v !== 1) sum -= (1 - v) * Math.log1p(-p);
    }
  }
  if (frames === 0) throw new RangeError('mask: no real frame to average over');
  return { mean: sum / frames, sum, frames };
}
