// Small helpers shared by the ava tests.
import { seededRandom } from '../ts/random.js';
import type { Batch } from '../ts/index.js';

/** A random batch: inputs uniform in [0, 1), targets one-hot over `outputs` classes. */
export function randomBatch(seed: number, steps: number, batch: number, inputs: number, outputs: number, targetRows = batch): Batch {
  const rand = seededRandom(seed);
  const x = Float32Array.from({ length: steps * batch * inputs }, () => rand());
  const y = new Float32Array(targetRows * outputs);
  for (let r = 0; r < targetRows; r++) y[r * outputs + Math.floor(rand() * outputs)] = 1;
  return { x, y, steps, batch };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
