// Child process of dispose.test.ts: builds `count` throwaway 784-256-10 models, trains each one
// step (off the main thread, as fit does) and disposes it (or not, with `keep`), and prints the resident set before and after as JSON.
import { sequential, snu } from '../../ts/index.js';
import { randomBatch } from '../helpers.js';

const [count, mode] = [Number(process.argv[2] ?? 2000), process.argv[3] ?? 'dispose'];
const batch = randomBatch(1, 10, 16, 784, 10);
const mb = () => process.memoryUsage().rss / 2 ** 20;

const trial = async (i: number) => {
  const model = sequential([snu({ units: 256 }), snu({ units: 10 })], { inputSize: 784 }).compile({ loss: 'softmaxCrossEntropy', seed: i });
  await model.trainOnBatchAsync(batch);
  if (mode === 'dispose') model.dispose();
};
// Warm-up: the addon, the thread pool and the allocator's arenas reach their working size.
for (let i = 0; i < 20; i++) await trial(i);
const start = mb();
let peak = start;
for (let i = 0; i < count; i++) {
  await trial(i);
  if (i % 100 === 0) peak = Math.max(peak, mb());
}
console.log(JSON.stringify({ count, mode, startMB: start, endMB: mb(), peakMB: Math.max(peak, mb()) }));
