// Training through the TypeScript API lowers the loss, and is reproducible from a seed.
import test from 'ava';
import { adam, dense, encodedDataset, oneHot, rateEncoder, sequenceDataset, sequential, snu } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

/** Two-class task: which half of 8 input channels has the higher firing rate. */
function channelTask(count: number, seed: number) {
  const rand = seededRandom(seed);
  const x = new Float32Array(count * 8);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rand() < 0.5 ? 0 : 1;
    labels[i] = c;
    for (let f = 0; f < 8; f++) x[i * 8 + f] = (f < 4) === (c === 0) ? 0.6 + 0.4 * rand() : 0.3 * rand();
  }
  return encodedDataset({ x, y: oneHot(labels, 2), features: 8, encoder: rateEncoder({ steps: 10 }) });
}

function makeModel() {
  return sequential([snu({ units: 16, decay: 0.8 }), snu({ units: 2, decay: 0.8 })], { inputSize: 8 }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: adam({ lr: 0.01 }),
    seed: 5,
  });
}

test('fit lowers the loss of a spiking network on a rate-coded task below a quarter of its start', async (t) => {
  const data = channelTask(512, 1);
  const test = channelTask(256, 2);
  const model = makeModel();
  const before = await model.evaluate(test);
  const history = await model.fit(data, { epochs: 8, batchSize: 32, seed: 3 });
  const after = await model.evaluate(test);
  t.is(history.epochs.length, 8);
  t.false(history.aborted);
  // ln 2 ~ 0.69 is chance; the task is easy, so a trained network must do far better.
  t.true(after.loss < before.loss / 4, `loss ${before.loss} -> ${after.loss}`);
  t.true(after.accuracy! > 0.95, `accuracy ${after.accuracy}`);
});

test('the same seeds give bit-identical weights after training', async (t) => {
  const run = async () => {
    const model = makeModel();
    await model.fit(channelTask(128, 1), { epochs: 2, batchSize: 16, seed: 9 });
    return model.getWeights();
  };
  const [a, b] = [await run(), await run()];
  for (const name of Object.keys(a)) t.deepEqual(Buffer.from(a[name]!.buffer), Buffer.from(b[name]!.buffer), name);
});

test('an aborted fit stops early and keeps a usable model', async (t) => {
  const model = makeModel();
  const controller = new AbortController();
  let batches = 0;
  const history = await model.fit(channelTask(256, 1), {
    epochs: 5,
    batchSize: 16,
    signal: controller.signal,
    onBatchEnd: () => {
      if (++batches === 3) controller.abort();
    },
  });
  t.true(history.aborted);
  t.is(batches, 3);
  t.is(history.epochs.length, 0);
  t.true(Number.isFinite((await model.evaluate(channelTask(32, 4))).loss));
});

test("fit's training accuracy counts each step's output before its update", async (t) => {
  // One batch of the whole set: the epoch's training accuracy is the accuracy of the model
  // before the step, which evaluate measures on the same (unencoded) sequences.
  const rand = seededRandom(4);
  const size = 64;
  const x = Float32Array.from({ length: size * 5 * 3 }, () => rand() * 2 - 1);
  const data = sequenceDataset({ x, y: oneHot(Array.from({ length: size }, () => Math.floor(rand() * 4)), 4), steps: 5, features: 3 });
  const model = sequential([snu({ units: 12, output: 'sigmoid', g: { kind: 'identity' } }), dense({ units: 4 })], { inputSize: 3 })
    .compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.05 }), seed: 2 });
  const before = await model.evaluate(data);
  const history = await model.fit(data, { epochs: 2, batchSize: size, shuffle: false });
  const after = await model.evaluate(data);
  t.true(before.accuracy! > 0 && before.accuracy! < 1, `a case that tests little: ${before.accuracy}`);
  t.is(history.epochs[0]!.accuracy, before.accuracy);
  t.not(after.accuracy, before.accuracy, 'two steps of lr 0.05 should change what the model predicts');
});

test('evaluate pools its accuracy and loss over every batch, whatever the batch size', async (t) => {
  // Deterministic sequences (no encoding), so every batching sees the same inputs: the accuracy
  // must be the arg-max count of predict over all samples (evaluate once counted its first batch only).
  const rand = seededRandom(9);
  const size = 50;
  const x = Float32Array.from({ length: size * 4 * 3 }, () => rand() * 2 - 1);
  const labels = Array.from({ length: size }, () => Math.floor(rand() * 3));
  const data = sequenceDataset({ x, y: oneHot(labels, 3), steps: 4, features: 3 });
  const model = sequential([snu({ units: 10, output: 'sigmoid', g: { kind: 'identity' } }), dense({ units: 3 })], { inputSize: 3 }).compile({ loss: 'softmaxCrossEntropy', seed: 4 });
  const all = data.batch(Array.from({ length: size }, (_, i) => i), 0);
  const out = model.predict(all.x, all);
  let correct = 0;
  for (let i = 0; i < size; i++) {
    const row = Array.from(out.subarray(i * 3, i * 3 + 3));
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
  }
  t.true(correct > 0 && correct < size, `a case that tests little: ${correct}/${size}`);
  for (const batchSize of [1, 7, 50, 256]) {
    const r = await model.evaluate(data, { batchSize });
    t.is(r.accuracy, correct / size, `batchSize ${batchSize}`);
    t.true(Math.abs(r.loss - model.loss(all)) < 1e-5, `batchSize ${batchSize}: loss ${r.loss} vs ${model.loss(all)}`);
  }
});
