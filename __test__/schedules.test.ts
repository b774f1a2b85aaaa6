// What a script user has without the CLI: learning-rate schedules in fit, resuming a fit from a
// checkpoint at an epoch, smoothed labels, and an encoder measured over more steps.
import test from 'ava';
import {
  adam,
  cosineDecay,
  encodedDataset,
  exponentialDecay,
  oneHot,
  poissonEncoder,
  rateEncoder,
  Sequential,
  sequential,
  snu,
} from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

function task(count: number, seed: number) {
  const rand = seededRandom(seed);
  const x = Float32Array.from({ length: count * 8 }, () => rand());
  const labels = Uint8Array.from({ length: count }, (_, i) => (x[i * 8]! > 0.5 ? 1 : 0));
  return encodedDataset({ x, y: oneHot(labels, 2), features: 8, encoder: rateEncoder({ steps: 6 }) });
}

const model = () =>
  sequential([snu({ units: 12 }), snu({ units: 2 })], { inputSize: 8 }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.01 }), seed: 2 });

test('cosineDecay and exponentialDecay at their closed-form points', (t) => {
  const close = (a: number, b: number) => t.true(Math.abs(a - b) <= 1e-15, `${a} vs ${b}`);
  // cos(0) = 1, cos(pi/3) = 1/2, cos(2 pi/3) = -1/2.
  const cosine = cosineDecay({ lr: 0.004, epochs: 3 });
  [0.004, 0.003, 0.001].forEach((lr, e) => close(cosine(e), lr));
  const exponential = exponentialDecay({ lr: 0.01, decay: 0.5 });
  [0.01, 0.005, 0.0025].forEach((lr, e) => close(exponential(e), lr));
  t.throws(() => cosineDecay({ lr: 0, epochs: 3 }), { instanceOf: RangeError, message: 'cosineDecay.lr: expected a number in (0, 1000000], got 0' });
  t.throws(() => exponentialDecay({ lr: 1, decay: Number.NaN }), { instanceOf: TypeError, message: 'exponentialDecay.decay: expected a number in (0, 1], got number NaN' });
  t.throws(() => cosineDecay({ lr: 1, epochs: 3, warmup: 1 } as never), { message: /^cosineDecay: unknown option 'warmup'/ });
});

test('fit with lrSchedule trains each epoch at its rate and reports it', async (t) => {
  const m = model();
  const seen: number[] = [];
  const history = await m.fit(task(64, 1), {
    epochs: 3,
    batchSize: 16,
    lrSchedule: cosineDecay({ lr: 0.004, epochs: 3 }),
    onEpochEnd: () => void seen.push(m.spec.optimizer.lr!),
  });
  const expected = [0, 1, 2].map(cosineDecay({ lr: 0.004, epochs: 3 }));
  t.deepEqual(history.epochs.map((e) => Math.fround(e.lr)), expected.map(Math.fround));
  // The engine holds the rate as f32.
  t.deepEqual(seen.map(Math.fround), expected.map(Math.fround));
  // Without a schedule the optimizer's rate is reported unchanged.
  const plain = await model().fit(task(16, 1), { epochs: 1, batchSize: 16 });
  t.is(plain.epochs[0]!.lr, 0.01);
});

test('fit refuses a schedule that gives no usable rate, naming the epoch', async (t) => {
  await t.throwsAsync(model().fit(task(16, 1), { epochs: 2, batchSize: 16, lrSchedule: (e) => (e === 1 ? Number.NaN : 0.01) }), {
    instanceOf: TypeError,
    message: 'lrSchedule(1): expected a number in (0, 1000000], got number NaN',
  });
  await t.throwsAsync(model().fit(task(16, 1), { epochs: 2, batchSize: 16, lrSchedule: 0.01 as never }), { message: 'lrSchedule: expected a function, got number 0.01' });
});

test('a fit resumed from a checkpoint with initialEpoch ends with the bytes of an uninterrupted one', async (t) => {
  const data = task(48, 3);
  const options = { epochs: 3, batchSize: 16, seed: 7, lrSchedule: cosineDecay({ lr: 0.01, epochs: 3 }) };
  const whole = model();
  const wholeHistory = await whole.fit(data, options);

  const first = model();
  await first.fit(data, { ...options, epochs: 1 });
  const resumed = Sequential.fromBytes(first.toBytes());
  const rest = await resumed.fit(data, { ...options, initialEpoch: 1 });

  t.deepEqual(Buffer.from(resumed.toBytes()), Buffer.from(whole.toBytes()));
  t.deepEqual(rest.epochs.map((e) => [e.epoch, e.lr, e.loss]), wholeHistory.epochs.slice(1).map((e) => [e.epoch, e.lr, e.loss]));
  await t.throwsAsync(model().fit(data, { ...options, initialEpoch: 4 }), { instanceOf: RangeError, message: 'initialEpoch: expected an integer from 0 to 3, got 4' });
});

test('oneHot with smoothing: (1 - e) one-hot + e / classes, and plain one-hot without', (t) => {
  t.deepEqual([...oneHot([1, 0], 4, { smoothing: 0.2 })], [0.05, 0.85, 0.05, 0.05, 0.85, 0.05, 0.05, 0.05].map(Math.fround));
  t.deepEqual(oneHot([2], 3, { smoothing: 0 }), oneHot([2], 3));
  const rows = oneHot([0, 1, 2], 3, { smoothing: 0.3 });
  for (let r = 0; r < 3; r++) t.true(Math.abs(rows[r * 3]! + rows[r * 3 + 1]! + rows[r * 3 + 2]! - 1) < 1e-6, 'each row sums to 1');
  t.throws(() => oneHot([0], 2, { smoothing: 1 }), { instanceOf: RangeError, message: 'smoothing: expected a number in [0, 1), got 1' });
  t.throws(() => oneHot([0], 2, { smothing: 0.1 } as never), { message: /unknown option 'smothing' \(did you mean 'smoothing'\?\)/ });
});

test('withSteps: a rate code over more steps keeps its spike probability per step', (t) => {
  const code = rateEncoder({ steps: 10, maxSpikes: 5 }); // p = v / 2 per step
  const long = code.withSteps!(2000);
  t.is(long.steps, 2000);
  const x = long.encode(Float32Array.of(1, 0.5, 0), 1, 3);
  const count = (f: number) => x.filter((_, i) => i % 3 === f).reduce((a, b) => a + b, 0);
  // Binomial(2000, p): p = 0.5 (sd 22), 0.25 (sd 19), 0.
  t.true(Math.abs(count(0) - 1000) < 5 * 22.4, `${count(0)}`);
  t.true(Math.abs(count(1) - 500) < 5 * 19.4, `${count(1)}`);
  t.is(count(2), 0);
  // The same encoder over its own steps is the same code, draw for draw.
  t.deepEqual(code.withSteps!(10).encode(Float32Array.of(0.7, 0.2), 1, 9), code.encode(Float32Array.of(0.7, 0.2), 1, 9));
  t.is(poissonEncoder({ steps: 5 }).withSteps!(50).steps, 50);
  t.throws(() => code.withSteps!(0), { instanceOf: RangeError, message: /^withSteps: steps: expected an integer from 1 to/ });
});
