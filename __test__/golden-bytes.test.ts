// Fixed-seed runs whose checkpoint bytes must not change when the code is restructured: a
// rate-coded MNIST run through `fit` and a masked JSB run, each with validation and the optimizer
// state, hashed. The hashes were written by the build before the batch/binding renovation
// (commit 6378459); a change that alters them changes what users' seeds train.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adam, dense, encodedDataset, jsbDataset, loadJsb, loadMnist, oneHot, rateEncoder, sequential, snu } from '../ts/index.js';

const root = new URL('..', import.meta.url).pathname;
const dataDir = process.env.SNU_DATA_DIR ?? join(root, '..', 'shared', 'data');
const jsbPath = join(dataDir, 'jsb', 'jsb-chorales-quarter.json');

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const GOLDEN = {
  mnist: '7f01be1115f9586ff77d929107120bc3e86ccbcf70f11dde9675937e5c6e547e',
  jsb: '21f8fef2a450d2123178f3e27ec66fa8eb6e261164e7e33d498c0c4d6f32b00c',
};

test('a fixed-seed MNIST run trains the same checkpoint bytes and metrics', async (t) => {
  const train = loadMnist('train');
  const n = 512;
  const data = encodedDataset({ x: train.images.subarray(0, n * 784), y: oneHot(train.labels.subarray(0, n), 10), features: 784, encoder: rateEncoder({ steps: 8 }) });
  const valid = encodedDataset({ x: train.images.subarray(n * 784, (n + 128) * 784), y: oneHot(train.labels.subarray(n, n + 128), 10), features: 784, encoder: rateEncoder({ steps: 8 }) });
  const model = sequential([snu({ units: 64, dropout: 0.1 }), snu({ units: 10, output: 'sigmoid' })], { inputSize: 784 }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: adam({ lr: 2e-3 }),
    clipNorm: 5,
    seed: 3,
  });
  const history = await model.fit(data, { epochs: 2, batchSize: 32, seed: 4, validationData: valid });
  const metrics = history.epochs.map((e) => [e.loss, e.accuracy, e.valLoss, e.valAccuracy]);
  t.log(JSON.stringify(metrics));
  t.is(sha256(model.toBytes()), GOLDEN.mnist);
});

(existsSync(jsbPath) ? test : test.skip)('a fixed-seed masked JSB run trains the same checkpoint bytes', async (t) => {
  const { train } = loadJsb(jsbPath);
  const data = jsbDataset(train.slice(0, 24), { maxSteps: 40 });
  const model = sequential([snu({ units: 32, output: 'sigmoid', recurrent: true }), dense({ units: 88 })], { inputSize: 88 }).compile({
    loss: { kind: 'binaryCrossEntropy', fromLogits: true },
    readout: 'sequence',
    optimizer: adam({ lr: 3e-3 }),
    tbptt: 16,
    seed: 5,
  });
  const history = await model.fit(data, { epochs: 2, batchSize: 8, seed: 6 });
  t.log(JSON.stringify(history.epochs.map((e) => e.loss)));
  t.is(sha256(model.toBytes()), GOLDEN.jsb);
});
