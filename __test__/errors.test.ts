// Bad arguments throw errors that name the argument; nothing crashes the process.
import test from 'ava';
import { dense, embedding, oneHot, sequenceDataset, sequential, snu } from '../ts/index.js';
import type { LayerSpec } from '../ts/index.js';
import { native } from '../ts/native.js';
import { layerFromConfig } from '../ts/layers.js';
import { randomBatch } from './helpers.js';

function model() {
  return sequential([snu({ units: 4 }), dense({ units: 2 })], { inputSize: 3 }).compile({ loss: 'softmaxCrossEntropy', seed: 1 });
}

test('wrong lengths name the array and the expected shape', (t) => {
  const m = model();
  const b = randomBatch(1, 5, 2, 3, 2);
  t.throws(() => m.trainOnBatch({ ...b, x: b.x.subarray(1) }), { message: /^trainOnBatch: x: expected 30 values \(\[steps=5, batch=2, inputSize=3\]\), got 29/ });
  t.throws(() => m.trainOnBatch({ ...b, y: new Float32Array(3) }), { message: /^trainOnBatch: y: expected 4 values \(\[batch=2, outputs=2\]\), got 3/ });
  t.throws(() => m.predict(b.x, { steps: 4, batch: 2 }), { message: /^predict: x: expected 24 values/ });
  t.throws(() => m.setWeights({ 'snu_0.W': new Float32Array(5) }), { message: /value of snu_0\.W: expected 12 values/ });
});

test('NaN and infinities are refused and leave the weights unchanged', (t) => {
  const m = model();
  const before = m.getWeights();
  const b = randomBatch(1, 5, 2, 3, 2);
  const x = b.x.slice();
  x[7] = Number.NaN;
  t.throws(() => m.trainOnBatch({ ...b, x }), { message: /^trainOnBatch: x: value at index 7 is NaN/ });
  const y = b.y.slice();
  y[0] = Number.POSITIVE_INFINITY;
  t.throws(() => m.trainOnBatch({ ...b, y }), { message: /^trainOnBatch: y: value at index 0 is Infinity, expected a finite number$/ });
  const w = before['dense_1.b']!.slice();
  w[1] = Number.NEGATIVE_INFINITY;
  t.throws(() => m.setWeights({ 'dense_1.b': w }), { message: /value of dense_1\.b: value at index 1/ });
  t.deepEqual(m.getWeights(), before);
});

test('wrong types name the argument', (t) => {
  const m = model();
  const b = randomBatch(1, 5, 2, 3, 2);
  t.throws(() => m.trainOnBatch({ ...b, x: [1, 2, 3] as unknown as Float32Array }), { message: /^trainOnBatch: x: expected a Float32Array, got an array/ });
  t.throws(() => m.trainOnBatch({ ...b, x: new Float64Array(30) as unknown as Float32Array }), { message: /^trainOnBatch: x: expected a Float32Array, got a Float64Array/ });
  t.throws(() => m.trainOnBatch({ ...b, y: 'y' as unknown as Float32Array }), { message: /^trainOnBatch: y: expected a Float32Array, got the string/ });
  t.throws(() => m.trainOnBatch({ ...b, steps: 2.5 }), { message: /^trainOnBatch: steps: expected an integer/ });
  t.throws(() => m.trainOnBatch({ ...b, batch: -2 }), { message: /^trainOnBatch: batch: expected an integer from 1/ });
  t.throws(() => m.trainOnBatch({ ...b, batch: Number.NaN }), { message: /^trainOnBatch: batch: expected an integer[^,]*, got number NaN/ });
  t.throws(() => m.trainOnBatch(null as unknown as typeof b), { message: /^trainOnBatch: expected a batch \{ x, y, steps, batch, mask\? \}, got null/ });
  t.throws(() => m.loss(undefined as unknown as typeof b), { message: /^loss: expected a batch/ });
  t.throws(() => m.predict(b.x, undefined as unknown as typeof b), { message: /^predict: expected the shape \{ steps, batch, mask\? \}/ });
  const net = new native.Network(JSON.stringify(m.spec));
  t.throws(() => net.predict({ x: b.x, steps: 5, batch: 2 }, 'yes' as unknown as boolean), { message: /^withLayers: expected a boolean/ });
  t.throws(() => net.trainStep({ x: b.x, steps: 5, batch: 2 }), { message: /^y: this operation needs the batch's targets/ });
  t.throws(() => net.trainStep({ x: b.x, y: b.y, steps: 5, batch: 2 ** 30 }), { message: /^batch: expected an integer from 1 to 16777216/ });
  t.throws(() => net.getParam(3 as unknown as string), { message: /^name: expected a string, got a number/ });
  t.throws(() => native.Network.load('file.snu' as unknown as Uint8Array), { message: /^bytes: expected a Buffer or Uint8Array/ });
  t.throws(() => new native.Network(42 as unknown as string), { message: /^spec: expected a string/ });
});

test('unknown layers, bad hyperparameters and bad specs are explained', (t) => {
  t.throws(() => sequential([{ type: 'transformer', units: 3 } as unknown as LayerSpec], { inputSize: 3 }), {
    message: /layers\[0\]: expected a layer made by snu\(\), dense\(\), embedding\(\), conv2d\(\), snuConv2d\(\), maxPool2d\(\), avgPool2d\(\), sumPool2d\(\), flatten\(\), rnn\(\), lstm\(\) or gru\(\), got an object/,
  });
  t.throws(() => snu({ units: 0 }), { message: /snu\.units: expected an integer from 1/ });
  t.throws(() => snu({ units: 3, decay: 1.5 }), { message: /snu\.decay/ });
  t.throws(() => snu({ units: 3, surrogate: 'gaussian' as 'tanh' }), { message: /surrogate: expected one of .*'fastSigmoid'.*'tanh'/ });
  t.throws(() => sequential([snu({ units: 3 })], { inputSize: 3 }).compile({ loss: 'hinge' as 'mse' }), { message: /^loss: expected one of/ });
  // The native parser names the path of a bad field in a hand-written spec.
  const spec = { inputSize: 3, layers: [{ type: 'snu', units: 4, decay: 2 }], loss: { kind: 'mse' } };
  t.throws(() => new native.Network(JSON.stringify(spec)), { message: /layers\[0\]\.decay: expected a number in \[0, 1\]/ });
  const unknownLayer = { inputSize: 3, layers: [{ type: 'transformer', units: 4 }], loss: { kind: 'mse' } };
  t.throws(() => new native.Network(JSON.stringify(unknownLayer)), { message: /layers\[0\].*unknown variant `transformer`/ });
  t.throws(() => new native.Network('{not json'), { message: /model spec/ });
  t.throws(() => sequential([snu({ units: 3 })], { inputSize: 3 }).compile({ loss: 'mse', optimizer: { kind: 'sgd', lr: -1 } }), { message: /optimizer\.lr/ });
});

test('cross-entropy targets outside [0, 1] and bad datasets are refused', (t) => {
  const m = model();
  const b = randomBatch(1, 5, 2, 3, 2);
  t.throws(() => m.trainOnBatch({ ...b, y: Float32Array.of(2, 0, 0, 1) }), { message: /targets must lie in \[0, 1\]/ });
  t.throws(() => oneHot([0, 3], 3), { message: /labels\[1\]: expected an integer from 0 to 2, got 3/ });
  t.throws(() => sequenceDataset({ x: new Float32Array(7), y: new Float32Array(1), steps: 2, features: 3 }), { message: /^x: expected N x steps x features/ });
  t.throws(() => m.predict(b.x, { steps: 0, batch: 2 }), { message: /^predict: steps: expected an integer from 1/ });
});

test('calls before compile() explain what to do', (t) => {
  const m = sequential([snu({ units: 2 })], { inputSize: 2 });
  t.throws(() => m.paramNames(), { message: /call compile\(\)/ });
});

test('an embedding initRange outside (0, 100] is refused; inside, it sets the spread of E', (t) => {
  for (const bad of [0, -1, 101, Number.NaN]) {
    t.throws(() => embedding({ vocabSize: 50, units: 4, initRange: bad }), { message: /^embedding\.initRange: expected/ });
  }
  const lm = (initRange?: number) =>
    sequential([embedding({ name: 'words', vocabSize: 500, units: 4, ...(initRange === undefined ? {} : { initRange }) }), dense({ units: 500 })], { inputSize: 1 })
      .compile({ loss: 'sparseSoftmaxCrossEntropy', seed: 3 });
  const spread = (initRange?: number) => Math.max(...Array.from(lm(initRange).getWeights()['words.E']!, Math.abs));
  t.true(spread() <= 0.1 && spread() > 0.09, `default ${spread()}`);
  t.true(spread(2) <= 2 && spread(2) > 1.8, `initRange 2: ${spread(2)}`);
});

test('layers too large to allocate are refused with their size in bytes, not an abort', (t) => {
  const huge = 2 ** 20;
  const compile = (layers: LayerSpec[], inputSize: number) => () => sequential(layers, { inputSize }).compile({ loss: 'mse' });
  t.throws(compile([dense({ units: huge })], huge), { message: /layers\[0\]: .*\(1048576 inputs x 1048576 units\) need 4398050705408 bytes/ });
  t.throws(compile([snu({ units: huge }), snu({ units: huge })], 8), { message: /layers\[1\]: .* bytes/ });
  t.throws(compile([embedding({ vocabSize: huge, units: huge })], 1), { message: /layers\[0\]: .* bytes/ });
  t.throws(compile([snu({ units: huge, recurrent: true })], 4), { message: /layers\[0\]: .* bytes/ });
  // The process is alive and a normal model still builds.
  t.is(sequential([snu({ units: 4 })], { inputSize: 3 }).compile({ loss: 'mse' }).outputSize, 4);
});

test('a layer from plain data goes through its type builder, with errors naming the path given', (t) => {
  const at = 'model.layers[2]';
  t.deepEqual(layerFromConfig(at, { type: 'snu', units: 8, decay: 0.5 }), snu({ units: 8, decay: 0.5 }));
  t.deepEqual(layerFromConfig(at, { type: 'dense', units: 3, activation: 'relu' }), dense({ units: 3, activation: 'relu' }));
  t.throws(() => layerFromConfig(at, { type: 'snu', units: 8, decya: 0.5 }), { message: "model.layers[2]: unknown option 'decya' (did you mean 'decay'?); options: decay, detachReset, dropout, g, initialBias, inputBias, lateralInhibition, name, output, recurrent, surrogate, synapse, trainableDecay, units" });
  t.throws(() => layerFromConfig(at, { type: 'snu', units: 8, decay: 1.5 }), { message: 'model.layers[2].decay: expected a number in [0, 1], got 1.5' });
  // A fixed decay of 1 (integrate-and-fire) is allowed; a trainable one stays below 1.
  t.throws(() => layerFromConfig(at, { type: 'snu', units: 8, decay: 1, trainableDecay: true }), { message: 'model.layers[2].decay: expected a number in [0, 1), got 1' });
  t.throws(() => layerFromConfig(at, { type: 'conv', units: 8 }), { message: /^model\.layers\[2\]\.type: expected one of 'snu', 'dense', 'embedding', 'conv2d', 'snuConv2d', 'pool2d', 'flatten', 'rnn', 'lstm', 'gru' \(did you mean 'conv2d'\?\), got the string 'conv'$/ });
  t.throws(() => layerFromConfig(at, [1]), { message: /^model\.layers\[2\]: expected an options object, got an array$/ });
});
