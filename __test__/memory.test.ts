// Memory does not grow with training: 2,000 training steps after a warm-up leave the resident
// set within a fixed bound (a leak of one batch per step, 6 KB here, would add 12 MB).
import test from 'ava';
import { dense, rateEncoder, sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

const BOUND_MB = 8;

test(`2,000 training steps grow the resident set by less than ${BOUND_MB} MB, sync and async`, async (t) => {
  const model = sequential([snu({ units: 64, initialBias: -0.3 }), snu({ units: 64, output: 'sigmoid', g: 'identity', dropout: 0.1 }), dense({ units: 4 })], { inputSize: 16 }).compile({
    loss: 'softmaxCrossEntropy',
    readout: 'sum',
    seed: 1,
  });
  const batches = Array.from({ length: 8 }, (_, i) => randomBatch(i, 12, 8, 16, 4));
  const sync = async (i: number) => model.trainOnBatch(batches[i % batches.length]!);
  // The async form is what fit() uses: a task per step, its buffers handed across threads.
  const async_ = (i: number) => model.trainOnBatchAsync(batches[i % batches.length]!);
  for (const [name, step] of [['trainOnBatch', sync], ['trainOnBatchAsync', async_]] as const) {
    for (let i = 0; i < 200; i++) await step(i); // warm-up: buffers reach their size
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 2000; i++) await step(i);
    const grownMB = (process.memoryUsage().rss - before) / 2 ** 20;
    t.log(`${name}: resident set grew by ${grownMB.toFixed(2)} MB over 2,000 steps`);
    t.true(grownMB < BOUND_MB, `${name}: grew by ${grownMB.toFixed(2)} MB`);
  }
});

test('synchronous loops over results (predict, predictWithLayers, getWeights, toBytes, encode) do not hold them all', (t) => {
  // Each call returns megabytes; V8 owns the arrays, so the collector frees them within the loop
  // (napi's external arrays waited for the event loop: 3,000 predictWithLayers held 6 GB).
  const model = sequential([snu({ units: 256 }), snu({ units: 512 })], { inputSize: 784 }).compile({ loss: 'softmaxCrossEntropy', seed: 1 });
  const x = new Float32Array(10 * 64 * 784).fill(1);
  const encoder = rateEncoder({ steps: 20 });
  const pixels = new Float32Array(64 * 784).fill(0.5);
  const calls: [string, () => unknown][] = [
    ['predict', () => model.predict(x, { steps: 10, batch: 64 })],
    ['predictWithLayers', () => model.predictWithLayers(x, { steps: 10, batch: 64 })],
    ['getWeights', () => model.getWeights()],
    ['toBytes', () => model.toBytes()],
    ['encode', () => encoder.encode(pixels, 64, 1)],
  ];
  for (const [name, call] of calls) {
    for (let i = 0; i < 50; i++) call();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 1000; i++) call();
    const grownMB = (process.memoryUsage().rss - before) / 2 ** 20;
    t.log(`${name}: resident set grew by ${grownMB.toFixed(1)} MB over 1,000 synchronous calls`);
    t.true(grownMB < 100, `${name}: grew by ${grownMB.toFixed(1)} MB`);
  }
});
