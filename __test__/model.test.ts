// The model API: layer specs, spikes of every layer, readouts and weights by name.
import test from 'ava';
import { dense, sequenceDataset, sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

test('layer builders fill in the defaults of the paper', (t) => {
  t.deepEqual(snu({ units: 5 }), {
    type: 'snu',
    units: 5,
    output: 'step',
    g: { kind: 'relu' },
    recurrent: false,
    decay: 0.8,
    trainableDecay: false,
    surrogate: { kind: 'tanh' },
    detachReset: false,
    lateralInhibition: false,
    initialBias: -1,
  });
  t.deepEqual(snu({ units: 2, surrogate: 'fastSigmoid', g: 'leakyRelu' }).surrogate, { kind: 'fastSigmoid', slope: 25 });
  t.deepEqual(dense({ units: 3 }), { type: 'dense', units: 3, activation: 'none', useBias: true });
});

test('predictWithLayers returns binary spikes for SNU layers and the readout sums them', (t) => {
  const m = sequential([snu({ units: 6, initialBias: -0.2 }), snu({ units: 3, initialBias: -0.1 })], { inputSize: 4 }).compile({ loss: 'mse', readout: 'sum', seed: 4 });
  const b = randomBatch(3, 7, 2, 4, 3);
  const { output, layers } = m.predictWithLayers(b.x, b);
  t.is(layers.length, 2);
  t.is(layers[0]!.length, 7 * 2 * 6);
  t.true(layers.every((l) => l.every((v) => v === 0 || v === 1)));
  t.true(layers[0]!.some((v) => v === 1), 'some hidden unit spikes');
  // sum readout: o[b, k] = sum_t y[t, b, k]
  for (let bi = 0; bi < 2; bi++)
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let step = 0; step < 7; step++) s += layers[1]![(step * 2 + bi) * 3 + k]!;
      t.is(output[bi * 3 + k], s);
    }
  t.deepEqual(m.predict(b.x, b), output);
});

test('the sequence readout takes a target at every step; weights are named and settable', (t) => {
  const m = sequential([snu({ units: 5, output: 'sigmoid', name: 'hidden' }), dense({ units: 2, activation: 'sigmoid', name: 'out' })], { inputSize: 3 }).compile({
    loss: 'binaryCrossEntropy',
    readout: 'sequence',
    seed: 1,
  });
  t.deepEqual(m.paramNames(), ['hidden.W', 'hidden.b', 'out.W', 'out.b']);
  const data = sequenceDataset({ x: new Float32Array(4 * 6 * 3).fill(0.5), y: new Float32Array(4 * 6 * 2).fill(1), steps: 6, features: 3, targetsPerStep: true });
  const batch = data.batch([0, 2, 3], 0);
  t.is(batch.x.length, 6 * 3 * 3);
  t.is(m.predict(batch.x, batch).length, 6 * 3 * 2);
  t.true(Number.isFinite(m.trainOnBatch(batch)));
  const w = m.getWeights();
  m.setWeights({ 'out.b': Float32Array.of(5, -5) });
  const o = m.predict(batch.x, batch);
  t.true(o[0]! > o[1]!);
  t.notDeepEqual(m.getWeights()['out.b'], w['out.b']);
});

test('a sequence dataset gathers samples into time-major batches', (t) => {
  // Sample i, step s, feature f holds 100 i + 10 s + f.
  const x = Float32Array.from({ length: 3 * 2 * 2 }, (_, k) => 100 * Math.floor(k / 4) + 10 * (Math.floor(k / 2) % 2) + (k % 2));
  const data = sequenceDataset({ x, y: new Float32Array(3), steps: 2, features: 2 });
  const b = data.batch([2, 0], 0);
  t.deepEqual(Array.from(b.x), [200, 201, 0, 1, 210, 211, 10, 11]);
});

test('dropout is part of the layer spec, drops only while training and is range-checked', (t) => {
  t.is(snu({ units: 4, dropout: 0.25 }).dropout, 0.25);
  t.is(dense({ units: 4, dropout: 0.5 }).dropout, 0.5);
  t.throws(() => snu({ units: 4, dropout: 1 }), { message: /snu\.dropout/ });
  t.throws(() => dense({ units: 4, dropout: -0.1 }), { message: /dense\.dropout/ });
  const build = (dropout: number) =>
    sequential([snu({ units: 6, output: 'sigmoid', dropout }), dense({ units: 3, dropout })], { inputSize: 4 }).compile({ loss: 'softmaxCrossEntropy', readout: 'mean', seed: 2 });
  const [withDropout, without] = [build(0.5), build(0)];
  const b = randomBatch(5, 6, 3, 4, 3);
  // Same seed, same weights: prediction and the evaluation loss ignore dropout...
  t.deepEqual(withDropout.predict(b.x, b), without.predict(b.x, b));
  t.is(withDropout.loss(b), without.loss(b));
  // ...a training step drops inputs, so its loss (before the update) differs.
  t.not(withDropout.trainOnBatch(b), without.trainOnBatch(b));
});
