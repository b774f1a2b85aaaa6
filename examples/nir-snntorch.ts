// Train an SNU network on MNIST, export it as NIR, and write the test inputs for snnTorch
// (docs/nir.md, "Guide"). Then run examples/nir_snntorch.py on the folder it writes.
//   npx tsx examples/nir-snntorch.ts [--out nir-guide] [--epochs 1] [--test 1000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adam, encodedDataset, loadMnist, oneHot, rateEncoder, sequential, snu } from '../ts/index.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const out = option('out', 'nir-guide');
const epochs = Number(option('epochs', '1'));
const testCount = Number(option('test', '1000'));
const steps = 10;

const train = loadMnist('train');
const test = loadMnist('test');
const encoder = rateEncoder({ steps });
// g identity: NIR's LIF has no rectification of the membrane (docs/nir.md).
const model = sequential([snu({ units: 128, g: 'identity', decay: 0.9 }), snu({ units: 10, g: 'identity', decay: 0.9 })], { inputSize: 784 });
model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 1e-3 }), readout: 'sum', seed: 1 });
await model.fit(encodedDataset({ x: train.images, y: oneHot(train.labels, 10), features: 784, encoder }), { epochs, batchSize: 64, seed: 1 });

// The first `testCount` test images, rate-coded once: both libraries see the same spikes.
const images = test.images.subarray(0, testCount * 784);
const x = encoder.encode(images, testCount, 7); // [steps, testCount, 784]
const counts = model.predict(x, { steps, batch: testCount }); // spike counts per class (readout sum)
let correct = 0;
for (let i = 0; i < testCount; i++) {
  const row = counts.subarray(i * 10, i * 10 + 10);
  if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
}
mkdirSync(out, { recursive: true });
// Thresholds differ per unit after training; snnTorch's importer takes one per layer, so they
// are normalised to 1 (each unit's weights divided by its threshold: the same spikes).
await model.toNir(join(out, 'mnist.nir'), { normalizeThresholds: true });
writeFileSync(join(out, 'inputs.f32'), x);
writeFileSync(join(out, 'snu-counts.f32'), counts);
writeFileSync(join(out, 'meta.json'), JSON.stringify({ steps, batch: testCount, features: 784, labels: Array.from(test.labels.subarray(0, testCount)) }));
console.log(`snu: ${correct} of ${testCount} test images right (${((100 * correct) / testCount).toFixed(1)} %); wrote ${join(out, 'mnist.nir')}`);
