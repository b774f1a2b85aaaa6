// Quick start: train a spiking SNU network on rate-coded MNIST and print the test accuracy.
//   npm start            (or: npx tsx examples/mnist.ts [--epochs N] [--steps T] [--hidden H] [--report FILE])
// With --report, also writes an HTML report of the run (curves, spike rasters, membrane traces).
import { writeFileSync } from 'node:fs';
import { adam, encodedDataset, loadMnist, oneHot, rateEncoder, recordActivity, runReport, sequential, snu } from '../ts/index.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`);
  return v;
}

const epochs = option('epochs', 4);
const steps = option('steps', 10);
const hidden = option('hidden', 256);
const batchSize = option('batch-size', 64);
const reportAt = process.argv.indexOf('--report');
const reportFile = reportAt >= 0 ? process.argv[reportAt + 1] : undefined;
if (reportAt >= 0 && !reportFile) throw new Error('--report: expected the file to write');

const train = loadMnist('train');
const test = loadMnist('test');
const encoder = rateEncoder({ steps });
const trainData = encodedDataset({ x: train.images, y: oneHot(train.labels, 10), features: 784, encoder });
const testData = encodedDataset({ x: test.images, y: oneHot(test.labels, 10), features: 784, encoder });

// Spiking SNU layers (step output, tanh surrogate); the output layer's spike counts are the logits.
const model = sequential([snu({ units: hidden, decay: 0.9 }), snu({ units: 10, decay: 0.9 })], { inputSize: 784 });
model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 1e-3 }), readout: 'sum', seed: 1 });

console.log(`MNIST: ${train.count} train / ${test.count} test images, rate-coded over ${steps} steps; 784-${hidden}-10 SNU`);
const started = performance.now();
const history = await model.fit(trainData, {
  epochs,
  batchSize,
  seed: 1,
  onBatchEnd: ({ epoch, batch, batches, loss }) => {
    if (process.stdout.isTTY && batch % 20 === 0) process.stdout.write(`\repoch ${epoch + 1}/${epochs}  batch ${batch}/${batches}  loss ${loss.toFixed(4)}   `);
  },
  onEpochEnd: (logs) => {
    if (process.stdout.isTTY) process.stdout.write('\n');
    console.log(`epoch ${logs.epoch + 1}: loss ${logs.loss.toFixed(4)}, ${logs.samplesPerSecond.toFixed(0)} samples/s, ${logs.seconds.toFixed(1)} s`);
  },
});
const trainSeconds = (performance.now() - started) / 1000;
const result = await model.evaluate(testData, { batchSize: 500 });
console.log(`training took ${trainSeconds.toFixed(1)} s`);
console.log(`test accuracy: ${(100 * result.accuracy!).toFixed(2)} %`);

if (reportFile) {
  writeFileSync(
    reportFile,
    runReport({
      title: `MNIST quick start: 784-${hidden}-10 SNU`,
      subtitle: `${epochs} epochs, rate-coded over ${steps} steps`,
      facts: [
        ['test accuracy', `${(100 * result.accuracy!).toFixed(2)} %`],
        ['training time', `${trainSeconds.toFixed(1)} s`],
      ],
      epochs: history.epochs.map((e) => ({ ...e, epoch: e.epoch + 1 })),
      // The layers at work on the first four test images.
      activity: recordActivity(model, testData.batch([0, 1, 2, 3], 0)),
    }),
  );
  console.log(`wrote ${reportFile}`);
}
