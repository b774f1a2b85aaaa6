// Spike encoders, computed natively (snu-core `encode`): seeded, deterministic, time-major.
//
// Static encoders (`rateEncoder`, `poissonEncoder`, `latencyEncoder`, `directEncoder`) return an
// `Encoder`: `encode(x [batch, features], batch, seed)` gives `[steps, batch, features]`, element
// `(t, b, f)` at `(t * batch + b) * features + f`. Rate, Poisson and latency coding take values in
// [0, 1] and refuse others (scale pixels by 1/255 first); direct coding takes any finite values.
// `deltaEncode` turns a sequence `[steps, batch, features]` into spikes where it changes.
import { MAX_DIM, MAX_SEED, MAX_VALUES } from './generated/limits.js';
import { checkBoolean, checkFloat32, checkInteger, checkNumber, checkObject, checkOneOf } from './checks.js';
import type { Encoder } from './data.js';
import { native } from './native.js';

/**
 * An `Encoder` whose `encode` checks `batch` and `seed` and hands the rest to `run`; `withSteps`
 * makes the same code over another number of steps.
 */
function encoder(steps: number, run: (x: Float32Array, batch: number, seed: number) => Float32Array, withSteps: (steps: number) => Encoder): Encoder {
  return {
    steps,
    encode: (x, batch, seed) =>
      run(checkFloat32('x', x), checkInteger('batch', batch, 1, MAX_DIM), checkInteger('seed', seed, 0, MAX_SEED)),
    withSteps: (n) => withSteps(checkInteger('withSteps: steps', n, 1, MAX_DIM)),
  };
}

/**
 * Rate coding (docs/design.md §2, the paper's MNIST input): at each of `steps` steps a value `v` in
 * [0, 1] spikes with probability `clamp(v * maxSpikes / steps, 0, 1)`, so about `v * maxSpikes`
 * spikes in all. Default `maxSpikes = steps`: the probability is `v` itself.
 *
 * @example
 * ```ts
 * const enc = rateEncoder({ steps: 10 });
 * const spikes = enc.encode(Float32Array.of(0, 0.5, 1), 1, 42); // [10, 1, 3] of 0/1
 * // feature 0 never spikes, feature 2 spikes at every step, feature 1 about 5 times
 * ```
 */
export function rateEncoder(o: { steps: number; maxSpikes?: number }): Encoder {
  checkObject('rateEncoder', o);
  const steps = checkInteger('steps', o.steps, 1, MAX_DIM);
  const maxSpikes = checkNumber('maxSpikes', o.maxSpikes ?? steps, { min: 0 });
  // withSteps keeps the probability per step: maxSpikes scales with the steps.
  return encoder(
    steps,
    (x, batch, seed) => native.encodeRate(x, batch, steps, maxSpikes, seed),
    (n) => rateEncoder({ steps: n, maxSpikes: (maxSpikes * n) / steps }),
  );
}

/**
 * Poisson coding: a value `v` in [0, 1] is a Poisson process of rate `v * maxRate` (Hz),
 * sampled with time step `dt` (s). Each step spikes with probability `1 - exp(-v * maxRate * dt)`,
 * the chance of at least one event in the step; at most one spike per step (several events in
 * one step count once, rare while `maxRate * dt` is well below 1). Intervals between spikes are
 * geometric with mean `1 / p` steps. Defaults: `maxRate = 100` Hz, `dt = 0.001` s (1 ms).
 *
 * @example
 * ```ts
 * const enc = poissonEncoder({ steps: 1000, maxRate: 50 }); // one second at 1 ms steps
 * const spikes = enc.encode(Float32Array.of(1, 0.5), 1, 7); // [1000, 1, 2]
 * // on average a white pixel spikes 49 times (p = 1 - exp(-0.05) per step), a grey one 25
 * ```
 */
export function poissonEncoder(o: { steps: number; maxRate?: number; dt?: number }): Encoder {
  checkObject('poissonEncoder', o);
  const steps = checkInteger('steps', o.steps, 1, MAX_DIM);
  const maxRate = checkNumber('maxRate', o.maxRate ?? 100, { min: 0 });
  const dt = checkNumber('dt', o.dt ?? 1e-3, { above: 0 });
  return encoder(
    steps,
    (x, batch, seed) => native.encodePoisson(x, batch, steps, maxRate, dt, seed),
    (n) => poissonEncoder({ steps: n, maxRate, dt }),
  );
}

/**
 * Latency (time-to-first-spike) coding: each value `v` in [0, 1] above `threshold` spikes once,
 * larger values earlier; values at or below `threshold` never spike.
 * - `code: 'linear'` (default): step `round((1 - v) * (steps - 1))`: `v = 1` at step 0, `v -> 0`
 *   at the last step.
 * - `code: 'log'`: step `round(tau * ln(v / (v - threshold)))`, the time a leaky integrator with
 *   time constant `tau` (steps, default 1) takes to reach `threshold` (as snnTorch's
 *   `spikegen.latency`); spikes later than `steps - 1` are clipped to the last step.
 * - `normalize` (default false): each sample's spike times are scaled so that its latest spike
 *   falls on the last step. Per sample, never per batch: a sample's code does not depend on the
 *   batch it is drawn in.
 *
 * `threshold` defaults to 0.01 (snnTorch's default), in [0, 1) for `linear` and (0, 1) for `log`.
 * Deterministic: the seed is accepted (for the `Encoder` interface) and ignored.
 *
 * @example
 * ```ts
 * const enc = latencyEncoder({ steps: 11 });
 * enc.encode(Float32Array.of(1, 0.5, 0), 1, 0); // spikes at steps 0 and 5; 0 never spikes
 * const logCode = latencyEncoder({ steps: 100, code: 'log', tau: 5, normalize: true });
 * ```
 */
export function latencyEncoder(o: {
  steps: number;
  code?: 'linear' | 'log';
  threshold?: number;
  tau?: number;
  normalize?: boolean;
}): Encoder {
  checkObject('latencyEncoder', o);
  const steps = checkInteger('steps', o.steps, 1, MAX_DIM);
  const code = checkOneOf('code', o.code ?? 'linear', ['linear', 'log'] as const);
  const threshold = checkNumber('threshold', o.threshold ?? 0.01);
  // The log code's spike time ln(v / (v - threshold)) is 0 for every v at threshold 0.
  if (threshold >= 1 || threshold < 0 || (code === 'log' && threshold === 0)) {
    throw new RangeError(`threshold: expected a number in ${code === 'log' ? '(0, 1)' : '[0, 1)'} for the ${code} code, got ${threshold}`);
  }
  const tau = checkNumber('tau', o.tau ?? 1, { above: 0 });
  const normalize = checkBoolean('normalize', o.normalize, false);
  return encoder(
    steps,
    (x, batch) => native.encodeLatency(x, batch, steps, code, threshold, tau, normalize),
    (n) => latencyEncoder({ steps: n, code, threshold, tau, normalize }),
  );
}

/**
 * Direct coding: the value itself at every step, so the first layer receives real values
 * (any finite numbers, no [0, 1] restriction). Deterministic: the seed is ignored.
 *
 * @example
 * ```ts
 * const enc = directEncoder({ steps: 4 });
 * enc.encode(Float32Array.of(0.2, -1), 1, 0); // Float32Array [0.2, -1, 0.2, -1, 0.2, -1, 0.2, -1]
 * ```
 */
export function directEncoder(o: { steps: number }): Encoder {
  checkObject('directEncoder', o);
  const steps = checkInteger('steps', o.steps, 1, MAX_DIM);
  return encoder(
    steps,
    (x, batch) => native.encodeDirect(x, batch, steps),
    (n) => directEncoder({ steps: n }),
  );
}

/**
 * Delta modulation of a sequence (as snnTorch's `spikegen.delta`): `x` is time-major
 * `[steps, batch, features]`, like the engine's batches. With `d = x[t] - x[t-1]` (the previous
 * step, not the last value that spiked, so a drift slower than `threshold` per step never spikes):
 * - a spike where `d >= threshold` (default 0.1, > 0);
 * - with `onOff` (default false), also an "off" spike where `d <= -threshold`; the output then
 *   has `2 * features` channels: increases in `[0, features)`, decreases in `[features, 2 * features)`;
 * - step 0 is compared with 0, or, with `skipFirst` (default false), never spikes.
 *
 * Returns 0/1 spikes `[steps, batch, features]` (or `[steps, batch, 2 * features]` with `onOff`).
 * Deterministic. (It is no `Encoder`: that interface is for static inputs.)
 *
 * @example
 * ```ts
 * // one sample, one feature over 4 steps: 0.5, 0.5, 0.1, 0.9
 * deltaEncode(Float32Array.of(0.5, 0.5, 0.1, 0.9), { steps: 4, batch: 1, features: 1, threshold: 0.3, onOff: true });
 * // -> [on, off] per step: [1, 0,  0, 0,  0, 1,  1, 0]
 * ```
 */
export function deltaEncode(
  x: Float32Array,
  o: { steps: number; batch: number; features: number; threshold?: number; onOff?: boolean; skipFirst?: boolean },
): Float32Array {
  checkFloat32('x', x);
  checkObject('deltaEncode', o);
  const steps = checkInteger('steps', o.steps, 1, MAX_DIM);
  const batch = checkInteger('batch', o.batch, 1, MAX_DIM);
  const features = checkInteger('features', o.features, 1, MAX_VALUES);
  const threshold = checkNumber('threshold', o.threshold ?? 0.1, { above: 0 });
  const onOff = checkBoolean('onOff', o.onOff, false);
  const skipFirst = checkBoolean('skipFirst', o.skipFirst, false);
  return native.encodeDelta(x, steps, batch, features, threshold, onOff, skipFirst);
}
