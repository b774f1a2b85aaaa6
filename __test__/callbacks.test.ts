// What a user of Keras or tfjs expects of fit: early stopping, keeping the best checkpoint,
// reducing the learning rate on a plateau, validationSplit, a progress display, and no second
// fit or compile while one runs.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adam, cosineDecay, earlyStopping, encodedDataset, modelCheckpoint, oneHot, rateEncoder, reduceLrOnPlateau, sequential, snu, type Dataset } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

/** Which half of 8 channels fires more: an easy task whose loss falls from epoch to epoch. */
function task(count: number, seed: number): Dataset {
  const rand = seededRandom(seed);
  const x = new Float32Array(count * 8);
  const labels = Uint8Array.from({ length: count }, () => (rand() < 0.5 ? 0 : 1));
  labels.forEach((c, i) => {
    for (let f = 0; f < 8; f++) x[i * 8 + f] = (f < 4) === (c === 0) ? 0.6 + 0.4 * rand() : 0.3 * rand();
  });
  return encodedDataset({ x, y: oneHot(labels, 2), features: 8, encoder: rateEncoder({ steps: 6 }) });
}
const model = (lr = 0.01) => sequential([snu({ units: 12 }), snu({ units: 2 })], { inputSize: 8 }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr }), seed: 3 });
const data = task(96, 1);
const validation = task(48, 2);

test('earlyStopping stops after patience epochs without improvement', async (t) => {
  // lr 0: the weights never change, so valLoss never improves after epoch 0.
  const history = await model(0).fit(data, { epochs: 10, batchSize: 16, validationData: validation, callbacks: [earlyStopping({ patience: 2 })] });
  t.is(history.epochs.length, 4, 'epoch 0 sets the best, epochs 1-3 do not improve, the third exceeds patience 2');
  t.true(history.stopped);
  t.false(history.aborted);
  t.is(new Set(history.epochs.map((e) => e.valLoss)).size, 1);
});

test('earlyStopping with restoreBestWeights ends with the weights of the best epoch', async (t) => {
  const m = model();
  let afterFirst: Record<string, Float32Array> | undefined;
  // The training loss falls every epoch, so with mode 'max' only epoch 0 counts as best.
  const history = await m.fit(data, {
    epochs: 6,
    batchSize: 16,
    onEpochEnd: (logs) => void (logs.epoch === 0 && (afterFirst = m.getWeights())),
    callbacks: [earlyStopping({ monitor: 'loss', mode: 'max', patience: 1, restoreBestWeights: true })],
  });
  t.is(history.epochs.length, 3);
  t.true(history.epochs[2]!.loss < history.epochs[0]!.loss, 'it trained on after the best epoch');
  t.deepEqual(m.getWeights(), afterFirst);
});

test('modelCheckpoint keeps the best model, or one file per epoch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snu-callbacks-'));
  const m = model();
  const bytes: Uint8Array[] = [];
  await m.fit(data, {
    epochs: 3,
    batchSize: 16,
    onEpochEnd: () => void bytes.push(m.toBytes()),
    callbacks: [modelCheckpoint({ path: join(dir, 'best.snu'), monitor: 'loss', mode: 'max' }), modelCheckpoint({ path: join(dir, 'epoch-{epoch}.snu'), saveBestOnly: false })],
  });
  t.deepEqual(readdirSync(dir).sort(), ['best.snu', 'epoch-1.snu', 'epoch-2.snu', 'epoch-3.snu']);
  t.deepEqual(readFileSync(join(dir, 'best.snu')), Buffer.from(bytes[0]!), 'mode max on a falling loss: epoch 1 stays the best');
  t.deepEqual(readFileSync(join(dir, 'epoch-3.snu')), Buffer.from(bytes[2]!));
});

test('reduceLrOnPlateau multiplies the rate by factor after patience epochs without improvement, down to minLr', async (t) => {
  const history = await model(0.01).fit(data, {
    epochs: 6,
    batchSize: 16,
    callbacks: [reduceLrOnPlateau({ monitor: 'loss', mode: 'max', factor: 0.5, patience: 1, minLr: 0.004 })],
  });
  // Epoch 0 is the best; epochs 1 and 2 do not improve (the second exceeds patience 1): halve; and again.
  t.deepEqual(history.epochs.map((e) => e.lr), [0.01, 0.01, 0.01, 0.005, 0.005, 0.004]);
  await t.throwsAsync(model().fit(data, { epochs: 1, batchSize: 16, lrSchedule: cosineDecay({ lr: 0.01, epochs: 1 }), callbacks: [reduceLrOnPlateau()] }), {
    message: /^fit: lrSchedule and a callback that sets the learning rate \(reduceLrOnPlateau\) would both set it/,
  });
});

test('a callback watching a metric the logs lack says how to get it; bad callbacks are refused', async (t) => {
  await t.throwsAsync(model().fit(data, { epochs: 1, batchSize: 16, callbacks: [earlyStopping()] }), {
    message: "earlyStopping: the epoch's logs have no valLoss (give fit validationData or validationSplit)",
  });
  t.throws(() => earlyStopping({ monitor: 'val_loss' as never }), { message: /^earlyStopping\.monitor: expected one of 'loss', 'accuracy', 'valLoss', 'valAccuracy'/ });
  t.throws(() => reduceLrOnPlateau({ factor: 1 }), { message: 'reduceLrOnPlateau.factor: expected a number in (0, 1), got 1' });
  t.throws(() => modelCheckpoint({} as never), { message: /^modelCheckpoint\.path: expected a non-empty string/ });
  await t.throwsAsync(model().fit(data, { epochs: 1, batchSize: 16, callbacks: [{ onEpochEnd: 3 }] as never }), { message: 'callbacks[0].onEpochEnd: expected a function, got number 3' });
});

test('validationSplit holds out the last samples: validated on, never trained on', async (t) => {
  const asked = { train: new Set<number>(), validation: new Set<number>() };
  let validating = false;
  const watched: Dataset = {
    size: data.size,
    batch: (idx, seed) => {
      for (const i of Array.from(idx)) asked[validating ? 'validation' : 'train'].add(i);
      return data.batch(idx, seed);
    },
  };
  const m = model();
  const history = await m.fit(watched, {
    epochs: 2,
    batchSize: 16,
    validationSplit: 0.25,
    onBatchEnd: ({ batch, batches }) => void (validating = batch === batches - 1),
    onEpochEnd: () => void (validating = false),
  });
  t.deepEqual([...asked.train].sort((a, b) => a - b), Array.from({ length: 72 }, (_, i) => i));
  t.deepEqual([...asked.validation].filter((i) => i >= 72).length, 24);
  t.true(history.epochs.every((e) => e.valLoss !== undefined && e.valAccuracy !== undefined));
  await t.throwsAsync(m.fit(data, { epochs: 1, batchSize: 16, validationSplit: 0.2, validationData: validation }), { message: /^fit: validationSplit and validationData both name the validation data/ });
});

test('verbose prints a progress line and a line of metrics per epoch on stderr', async (t) => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await model().fit(data, { epochs: 2, batchSize: 16, validationData: validation, verbose: true });
  } finally {
    process.stderr.write = write;
  }
  const text = written.join('');
  t.regex(text, /^epoch 1\/2 {2}loss \d\.\d{4} {2}accuracy \d+\.\d\d % {2}val loss \d\.\d{4} {2}val accuracy \d+\.\d\d % {2}lr 0\.0100 {2}[\d.]+s {2}\d+ samples\/s$/m);
  t.regex(text, /^epoch 2\/2 {2}loss /m);
});

test('a second fit, or compile, while a fit runs is refused on its own; the running fit finishes', async (t) => {
  const m = model();
  const running = m.fit(data, { epochs: 2, batchSize: 16 });
  await t.throwsAsync(m.fit(data, { epochs: 1, batchSize: 16 }), { message: 'fit: a fit is already running on this model; await it (or abort it) first' });
  t.throws(() => m.compile({ loss: 'mse' }), { message: /^compile: the model is training or computing/ });
  const history = await running;
  t.is(history.epochs.length, 2);
  t.notThrows(() => m.compile({ loss: 'softmaxCrossEntropy' }), 'after it, compile starts over');
});
