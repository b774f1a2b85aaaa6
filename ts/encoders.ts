// Spike encoders (seeded). Rate coding runs natively since it is on the training hot path.
import { checkInteger, checkNumber } from './checks.js';
import type { Encoder } from './data.js';
import { native } from './native.js';

/**
 * Rate coding (DESIGN §2): at each of `steps` steps a value `v` in [0, 1] spikes with
 * probability `v * maxSpikes / steps` (default `maxSpikes = steps`, so the probability is `v`).
 */
export function rateEncoder(o: { steps: number; maxSpikes?: number }): Encoder {
  const steps = checkInteger('steps', o.steps, 1);
  const maxSpikes = checkNumber('maxSpikes', o.maxSpikes ?? steps, 0);
  return {
    steps,
    encode: (x, batch, seed) => native.encodeRate(x, batch, steps, maxSpikes, seed >>> 0),
  };
}
