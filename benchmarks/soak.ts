// Soak test (on demand, not in CI): a long MNIST training run through the library, with a
// checkpoint saved and loaded back every epoch, the resident set sampled every minute. Flat
// RSS after the first epochs is the bar: anything that grows per step or per epoch (a leak in
// the engine, the binding, the async tasks or the checkpoint path) shows as a slope.
//
//   npx tsx benchmarks/soak.ts [--minutes 20] [--sample-seconds 60] [--train 10000] [--out benchmarks/results/soak.json]
//
// Prints one line per sample and per epoch, then a summary with the RSS slope after warm-up.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { adam, encodedDataset, loadMnist, oneHot, rateEncoder, Sequential, sequential, snu } from '../ts/index.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`);
  return v;
}
const minutes = option('minutes', 20);
const sampleSeconds = option('sample-seconds', 60);
const trainCount = option('train', 10_000);
const outIndex = process.argv.indexOf('--out');
const out = outIndex >= 0 ? process.argv[outIndex + 1]! : join('benchmarks', 'results', 'soak.json');

const train = loadMnist('train');
const test = loadMnist('test');
const encoder = rateEncoder({ steps: 10 });
const trainData = encodedDataset({ x: train.images.subarray(0, trainCount * 784), y: oneHot(train.labels.subarray(0, trainCount), 10), features: 784, encoder });
const testData = encodedDataset({ x: test.images.subarray(0, 2000 * 784), y: oneHot(test.labels.subarray(0, 2000), 10), features: 784, encoder });

let model = sequential([snu({ units: 256, decay: 0.9 }), snu({ units: 10, decay: 0.9 })], { inputSize: 784 }).compile({
  loss: 'softmaxCrossEntropy',
  optimizer: adam({ lr: 1e-3 }),
  seed: 1,
});
const dir = mkdtempSync(join(tmpdir(), 'snu-soak-'));
const checkpoint = join(dir, 'checkpoint.snu');

const mb = () => process.memoryUsage().rss / 2 ** 20;
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const samples: { seconds: number; rssMB: number; heapMB: number; epoch: number }[] = [];
const epochs: { epoch: number; seconds: number; loss: number; accuracy: number; rssMB: number }[] = [];
let epoch = 0;
const sample = () => {
  const s = { seconds: Math.round(elapsed()), rssMB: mb(), heapMB: process.memoryUsage().heapUsed / 2 ** 20, epoch };
  samples.push(s);
  console.log(`t ${String(s.seconds).padStart(5)} s  epoch ${String(epoch).padStart(3)}  RSS ${s.rssMB.toFixed(1)} MB  JS heap ${s.heapMB.toFixed(1)} MB`);
};
sample();
const timer = setInterval(sample, sampleSeconds * 1000);

const deadline = minutes * 60;
while (elapsed() < deadline) {
  const controller = new AbortController();
  const stop = setTimeout(() => controller.abort(), Math.max(0, (deadline - elapsed()) * 1000));
  // One epoch per call, as a script with its own checkpointing would run it; resumable exactly.
  const history = await model.fit(trainData, { epochs: epoch + 1, initialEpoch: epoch, batchSize: 64, seed: 1, signal: controller.signal });
  clearTimeout(stop);
  if (history.aborted) break;
  await model.save(checkpoint);
  // Load the checkpoint back and go on with the loaded model; the old one is freed at once.
  const loaded = await Sequential.load(checkpoint);
  model.dispose();
  model = loaded;
  const { accuracy } = await model.evaluate(testData, { batchSize: 500 });
  epoch++;
  epochs.push({ epoch, seconds: Math.round(elapsed()), loss: history.epochs[0]!.loss, accuracy: accuracy!, rssMB: mb() });
  console.log(`epoch ${epoch}: loss ${history.epochs[0]!.loss.toFixed(4)}, test accuracy ${(accuracy! * 100).toFixed(2)} %, RSS ${mb().toFixed(1)} MB`);
}
clearInterval(timer);
sample();
rmSync(dir, { recursive: true, force: true });

// The least-squares slope of RSS against time over the samples after the first two minutes.
const after = samples.filter((s) => s.seconds >= 120);
const n = after.length;
const mean = (f: (s: (typeof after)[number]) => number) => after.reduce((a, s) => a + f(s), 0) / n;
const [mt, mr] = [mean((s) => s.seconds), mean((s) => s.rssMB)];
const slope = n > 1 ? after.reduce((a, s) => a + (s.seconds - mt) * (s.rssMB - mr), 0) / after.reduce((a, s) => a + (s.seconds - mt) ** 2, 0) : Number.NaN;
const rss = after.map((s) => s.rssMB);
const summary = {
  minutes,
  epochs: epoch,
  trainImagesPerEpoch: trainCount,
  rssAfterWarmupMB: { min: Math.min(...rss), max: Math.max(...rss), first: rss[0], last: rss.at(-1) },
  slopeMBPerHour: slope * 3600,
};
console.log(`summary: ${JSON.stringify(summary)}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ summary, samples, epochs }, null, 2)}\n`);
console.log(`wrote ${out}`);
