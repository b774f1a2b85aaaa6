// Spike encoders through the native binding: shapes, determinism, statistics and bad inputs.
import test from 'ava';
import { encodedDataset } from '../ts/data.js';
import { deltaEncode, directEncoder, latencyEncoder, poissonEncoder, rateEncoder } from '../ts/encoders.js';
import { native } from '../ts/native.js';

const values = [0, 0.1, 0.3, 0.7, 1];

/** `batch` copies of `values`: `[batch, values.length]`. */
function rows(batch: number): Float32Array {
  return Float32Array.from({ length: batch * values.length }, (_, i) => values[i % values.length]!);
}

/** Spikes per feature, summed over steps and batch; fails on anything but 0 and 1. */
function counts(out: Float32Array, features: number): number[] {
  const c = new Array<number>(features).fill(0);
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0 && out[i] !== 1) throw new Error(`value ${out[i]} at ${i} is not a spike`);
    c[i % features]! += out[i]!;
  }
  return c;
}

/** A binomial count within 5 standard deviations of `n p` (fails by chance with p ~ 6e-7). */
function binomialOk(count: number, n: number, p: number): boolean {
  return Math.abs(count - n * p) <= 5 * Math.sqrt(n * p * (1 - p)) + 1e-9;
}

/** The steps at which feature `f` of sample `b` spikes, in `[steps, batch, features]`. */
function spikeSteps(out: Float32Array, steps: number, batch: number, features: number, b: number, f: number): number[] {
  const ts: number[] = [];
  for (let t = 0; t < steps; t++) if (out[(t * batch + b) * features + f] === 1) ts.push(t);
  return ts;
}

test('rateEncoder: shape, spike frequency v * maxSpikes / steps, and the same as the native call', (t) => {
  const [steps, batch] = [5000, 20]; // 100 000 draws per value
  const out = rateEncoder({ steps }).encode(rows(batch), batch, 7);
  t.is(out.length, steps * batch * values.length);
  counts(out, values.length).forEach((c, f) => t.true(binomialOk(c, steps * batch, values[f]!), `v=${values[f]}: ${c} spikes`));
  t.deepEqual(out, native.encodeRate(rows(batch), batch, steps, steps, 7));
  // maxSpikes = 2: probability v * 2 / 10; maxSpikes above steps clamps at 1.
  const half = rateEncoder({ steps: 10, maxSpikes: 2 }).encode(rows(10_000), 10_000, 1);
  counts(half, values.length).forEach((c, f) => t.true(binomialOk(c, 100_000, values[f]! / 5), `v=${values[f]}: ${c}`));
  t.deepEqual(counts(rateEncoder({ steps: 10, maxSpikes: 50 }).encode(Float32Array.of(0.5, 0), 1, 1), 2), [10, 0]);
});

test('poissonEncoder: spike probability 1 - exp(-v maxRate dt) with defaults 100 Hz and 1 ms', (t) => {
  const [steps, batch] = [10_000, 10];
  const out = poissonEncoder({ steps }).encode(rows(batch), batch, 3);
  t.is(out.length, steps * batch * values.length);
  counts(out, values.length).forEach((c, f) => {
    const p = 1 - Math.exp(-values[f]! * 100 * 1e-3);
    t.true(binomialOk(c, steps * batch, p), `v=${values[f]}: ${c} spikes, expected ${steps * batch * p}`);
  });
  // Explicit rate and step: p = 1 - exp(-0.7 * 400 * 0.002) = 0.428.
  const fast = poissonEncoder({ steps: 1000, maxRate: 400, dt: 0.002 }).encode(rows(100), 100, 4);
  t.true(binomialOk(counts(fast, values.length)[3]!, 100_000, 1 - Math.exp(-0.7 * 400 * 0.002)));
  // A huge rate gives one spike per step, never more.
  const sat = poissonEncoder({ steps: 50, maxRate: 1e9 }).encode(Float32Array.of(1), 1, 0);
  t.true(sat.every((s) => s === 1));
});

test('latencyEncoder: one spike at the closed-form step, earlier for larger values', (t) => {
  const x = Float32Array.of(1, 0.5, 0.3, 0.04, 0.01, 0);
  const out = latencyEncoder({ steps: 11 }).encode(x, 1, 0);
  t.is(out.length, 11 * 6);
  // round((1 - v) * 10); v <= threshold 0.01 never spikes.
  t.deepEqual([0, 1, 2, 3, 4, 5].map((f) => spikeSteps(out, 11, 1, 6, 0, f)), [[0], [5], [7], [10], [], []]);
  // Log code: round(5 ln(v / (v - 0.01))), clipped to the last step.
  const log = latencyEncoder({ steps: 20, code: 'log', tau: 5 }).encode(Float32Array.of(1, 0.02, 0.011, 0.0101), 1, 0);
  t.deepEqual([0, 1, 2, 3].map((f) => spikeSteps(log, 20, 1, 4, 0, f)), [[0], [3], [12], [19]]);
  // Monotonic, per sample normalization puts the sample's latest spike on the last step.
  const grid = Float32Array.from({ length: 200 }, (_, i) => (i + 1) / 200);
  for (const code of ['linear', 'log'] as const) {
    const enc = latencyEncoder({ steps: 30, code, tau: 3, normalize: true }).encode(grid, 1, 0);
    const times = Array.from(grid, (_, f) => spikeSteps(enc, 30, 1, 200, 0, f));
    t.true(times.slice(2).every((s) => s.length === 1), code); // v > 0.01: exactly one spike
    t.deepEqual(times.slice(0, 2), [[], []]); // v = 0.005, 0.01: none
    for (let f = 3; f < 200; f++) t.true(times[f]![0]! <= times[f - 1]![0]!, `${code}: v=${grid[f]}`);
    t.deepEqual(times[2], [29]);
  }
});

test('directEncoder repeats the real values at every step', (t) => {
  const x = Float32Array.of(0.25, -3, 7.5, 0, 1e-3, 100);
  const out = directEncoder({ steps: 3 }).encode(x, 2, 0);
  t.deepEqual(out, Float32Array.from([...x, ...x, ...x]));
});

test('deltaEncode: spikes where the sequence changes by at least the threshold', (t) => {
  // One feature over 6 steps: 1, 2, 2.9, 3, 1.5, 1.5; changes 1 (from 0), 1, 0.9, 0.1, -1.5, 0.
  const x = Float32Array.of(1, 2, 2.9, 3, 1.5, 1.5);
  const o = { steps: 6, batch: 1, features: 1, threshold: 1 };
  t.deepEqual(deltaEncode(x, o), Float32Array.of(1, 1, 0, 0, 0, 0));
  t.deepEqual(deltaEncode(x, { ...o, skipFirst: true }), Float32Array.of(0, 1, 0, 0, 0, 0));
  t.deepEqual(deltaEncode(x, { ...o, onOff: true }), Float32Array.of(1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0));
  // Two samples x two features, time-major; channels per sample [on f0, on f1, off f0, off f1].
  const seq = Float32Array.of(0, 1, 0.2, -1, 0.6, 1, 0.2, -0.4, 0, 0.2, 0.8, -0.4);
  const out = deltaEncode(seq, { steps: 3, batch: 2, features: 2, threshold: 0.5, onOff: true });
  t.is(out.length, 3 * 2 * 4);
  t.deepEqual(Array.from(out), [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
  // Without onOff: F channels, increases only; the default threshold is 0.1.
  t.deepEqual(Array.from(deltaEncode(seq, { steps: 3, batch: 2, features: 2 })), [0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0]);
});

test('same seed gives identical spikes, a different seed different ones; deterministic codes ignore it', (t) => {
  const x = rows(8);
  for (const enc of [rateEncoder({ steps: 50 }), poissonEncoder({ steps: 50, maxRate: 300 })]) {
    const a = enc.encode(x, 8, 12345);
    t.deepEqual(enc.encode(x, 8, 12345), a);
    t.notDeepEqual(enc.encode(x, 8, 12346), a);
    t.deepEqual(enc.encode(x, 8, 2 ** 53 - 1), enc.encode(x, 8, 2 ** 53 - 1)); // any safe integer seed
  }
  for (const enc of [latencyEncoder({ steps: 9 }), directEncoder({ steps: 9 })]) {
    t.deepEqual(enc.encode(x, 8, 1), enc.encode(x, 8, 2));
  }
});

test('encoders plug into encodedDataset', (t) => {
  const x = rows(4);
  const y = Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1);
  const data = encodedDataset({ x, y, features: values.length, encoder: poissonEncoder({ steps: 12 }) });
  const b = data.batch([3, 1], 9);
  t.is(b.steps, 12);
  t.is(b.batch, 2);
  t.is(b.x.length, 12 * 2 * values.length);
  t.deepEqual(data.batch([3, 1], 9).x, b.x);
});

test('bad inputs throw errors naming the argument', (t) => {
  const rate = rateEncoder({ steps: 4 });
  // Wrong lengths.
  t.throws(() => rate.encode(new Float32Array(5), 2, 0), { message: /^x: expected batch x features values with batch = 2/ });
  t.throws(() => rate.encode(new Float32Array(0), 1, 0), { message: /^x: expected batch x features values/ });
  t.throws(() => deltaEncode(new Float32Array(5), { steps: 2, batch: 1, features: 3 }), { message: /^x: expected steps x batch x features = 2 x 1 x 3 = 6 values, got 5/ });
  // NaN, infinities, values outside [0, 1] where a probability or a time is made of them.
  for (const enc of [rate, poissonEncoder({ steps: 4 }), latencyEncoder({ steps: 4 }), directEncoder({ steps: 4 })]) {
    t.throws(() => enc.encode(Float32Array.of(0.5, Number.NaN), 1, 0), { message: /^x: value at index 1 is NaN, expected a finite number/ });
  }
  t.throws(() => directEncoder({ steps: 2 }).encode(Float32Array.of(Infinity), 1, 0), { message: /^x: value at index 0 is Infinity, expected a finite number$/ });
  t.throws(() => rate.encode(Float32Array.of(0.5, 255), 1, 0), { message: /^x: value at index 1 is 255, expected a value in \[0, 1\]/ });
  t.throws(() => poissonEncoder({ steps: 2 }).encode(Float32Array.of(-0.5), 1, 0), { message: /^x: value at index 0 is -0.5/ });
  t.throws(() => latencyEncoder({ steps: 2 }).encode(Float32Array.of(1.5), 1, 0), { message: /^x: value at index 0 is 1.5/ });
  t.throws(() => deltaEncode(Float32Array.of(0, Number.NaN), { steps: 2, batch: 1, features: 1 }), { message: /^x: value at index 1 is NaN/ });
  // Negative, fractional or missing sizes; seeds.
  t.throws(() => rateEncoder({ steps: -3 }), { message: /^steps: expected an integer from 1/ });
  t.throws(() => poissonEncoder({ steps: 2.5 }), { message: /^steps: expected an integer/ });
  t.throws(() => latencyEncoder({} as { steps: number }), { message: /^steps: expected an integer[^,]*, got undefined/ });
  t.throws(() => rate.encode(Float32Array.of(0.5), 0, 0), { message: /^batch: expected an integer from 1/ });
  t.throws(() => rate.encode(Float32Array.of(0.5), 1, -1), { message: /^seed: expected an integer >= 0, got -1/ });
  t.throws(() => rate.encode(Float32Array.of(0.5), 1, Number.NaN), { message: /^seed: expected an integer[^,]*, got number NaN/ });
  t.throws(() => deltaEncode(Float32Array.of(0), { steps: 1, batch: 1, features: 0 }), { message: /^features: expected an integer from 1/ });
  // Wrong types.
  t.throws(() => rate.encode([0.5] as unknown as Float32Array, 1, 0), { message: /^x: expected a Float32Array, got an array/ });
  t.throws(() => deltaEncode(new Float64Array(2) as unknown as Float32Array, { steps: 2, batch: 1, features: 1 }), { message: /^x: expected a Float32Array, got a Float64Array/ });
  t.throws(() => rateEncoder(10 as unknown as { steps: number }), { message: /^rateEncoder: expected an options object/ });
  t.throws(() => latencyEncoder({ steps: 4, code: 'exp' as 'log' }), { message: /^code: expected one of 'linear', 'log'/ });
  t.throws(() => latencyEncoder({ steps: 4, normalize: 'yes' as unknown as boolean }), { message: /^normalize: expected a boolean/ });
  t.throws(() => deltaEncode(Float32Array.of(0), { steps: 1, batch: 1, features: 1, onOff: 1 as unknown as boolean }), { message: /^onOff: expected a boolean/ });
  // Hyperparameters out of range.
  t.throws(() => rateEncoder({ steps: 4, maxSpikes: -1 }), { message: /^maxSpikes: expected a number >= 0, got -1/ });
  t.throws(() => poissonEncoder({ steps: 4, maxRate: Number.NaN }), { message: /^maxRate: expected a number >= 0, got number NaN/ });
  t.throws(() => poissonEncoder({ steps: 4, dt: 0 }), { message: /^dt: expected a number > 0, got 0/ });
  t.throws(() => latencyEncoder({ steps: 4, threshold: 1 }), { message: /^threshold: expected a number in \[0, 1\) for the linear code/ });
  t.throws(() => latencyEncoder({ steps: 4, code: 'log', threshold: 0 }), { message: /^threshold: expected a number in \(0, 1\) for the log code/ });
  t.throws(() => latencyEncoder({ steps: 4, code: 'log', tau: -1 }), { message: /^tau: expected a number > 0/ });
  t.throws(() => deltaEncode(Float32Array.of(0), { steps: 1, batch: 1, features: 1, threshold: 0 }), { message: /^threshold: expected a number > 0/ });
  // Huge sizes: refused before anything is allocated.
  t.throws(() => rateEncoder({ steps: 2 ** 24 }).encode(new Float32Array(1000), 1, 0), { message: /^steps x batch x features = 16777216 x 1 x 1000 = 16777216000 values: more than 2147483647/ });
  t.throws(() => directEncoder({ steps: 2 ** 30 }), { message: /^steps: expected an integer from 1 to 16777216/ });
  t.throws(() => deltaEncode(new Float32Array(4), { steps: 2 ** 24, batch: 2 ** 24, features: 2 ** 31 - 1 }), { message: /more than 2147483647/ });
});

test('the native functions check their own arguments (no TypeScript layer in front)', (t) => {
  const x = Float32Array.of(0.5, 0.5);
  t.throws(() => native.encodeRate(x, 1, 0, 1, 0), { message: /^steps: expected an integer from 1/ });
  t.throws(() => native.encodeRate(x, 1, 2, -1, 0), { message: /^maxSpikes: expected a finite number >= 0/ });
  t.throws(() => native.encodeRate(x, 1, 2, 1, 2 ** 60), { message: /^seed: expected an integer from 0 to 9007199254740991/ });
  t.throws(() => native.encodePoisson(x, 1, 2, 100, -1, 0), { message: /^dt: expected a finite number > 0/ });
  t.throws(() => native.encodePoisson(x, 1, 2, 'fast' as unknown as number, 1e-3, 0), { message: /^maxRate: expected a number, got a string/ });
  t.throws(() => native.encodeLatency(x, 1, 2, 'cubic' as 'log', 0.01, 1), { message: /^code: expected 'linear' or 'log', got 'cubic'/ });
  t.throws(() => native.encodeLatency(x, 1, 2, 'log', 0.01, 0), { message: /^tau: expected a finite number > 0/ });
  t.throws(() => native.encodeLatency(x, 1, 2, 'linear', 0.01, 1, 3 as unknown as boolean), { message: /^normalize: expected a boolean/ });
  t.throws(() => native.encodeDirect(x, 3, 2), { message: /^x: expected batch x features values with batch = 3/ });
  t.throws(() => native.encodeDirect(null as unknown as Float32Array, 1, 2), { message: /^x: expected a Float32Array, got null/ });
  t.throws(() => native.encodeDelta(x, 2, 1, 1, Number.POSITIVE_INFINITY), { message: /^threshold: expected a finite number, got Infinity$/ });
  t.throws(() => native.encodeDelta(x, 2, 1, 2 ** 40, 0.1), { message: /^features: expected an integer from 1 to 2147483647/ });
  // Still alive, and still right.
  t.deepEqual(native.encodeDirect(x, 1, 2), Float32Array.of(0.5, 0.5, 0.5, 0.5));
});
