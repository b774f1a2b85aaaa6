// The layout every per-step picture of a layer shares: values `[steps, batch, units]`, checked.
import { checkInteger, describe } from '../checks.js';
import { MAX_DIM, MAX_WIDTH } from '../generated/limits.js';

/** The layout of a spike sequence: `[steps, batch, units]`. */
export interface SpikeLayout {
  steps: number;
  units: number;
  /** Samples in the sequence; default 1. */
  batch?: number;
}

export function layout(what: string, spikes: ArrayLike<number>, o: Record<string, unknown>): { steps: number; batch: number; units: number } {
  if (spikes == null || typeof spikes.length !== 'number') throw new TypeError(`${what}: expected an array of spikes [steps, batch, units], got ${describe(spikes)}`);
  const steps = checkInteger(`${what}: steps`, o.steps, 1, MAX_DIM);
  const units = checkInteger(`${what}: units`, o.units, 1, MAX_WIDTH);
  const batch = checkInteger(`${what}: batch`, o.batch ?? 1, 1, MAX_DIM);
  if (spikes.length !== steps * batch * units) throw new RangeError(`${what}: ${spikes.length} values, but steps ${steps} x batch ${batch} x units ${units} is ${steps * batch * units}`);
  return { steps, batch, units };
}

