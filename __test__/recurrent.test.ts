// The conventional recurrent layers (rnn, lstm, gru) through the TypeScript API: each learns a
// task that needs memory, mixes with SNU layers, survives a checkpoint, and refuses bad options.
import test from 'ava';
import { adam, dense, gru, lstm, oneHot, rnn, Sequential, sequenceDataset, sequential, snu } from '../ts/index.js';
import { layerFromConfig } from '../ts/layers.js';
import { seededRandom } from '../ts/random.js';
import type { LayerSpec } from '../ts/spec.js';

const STEPS = 12;

/** Sequences of noise whose class is the sign of the first step's value: the net must remember it for 11 steps. */
function firstStepSign(count: number, seed: number) {
  const rand = seededRandom(seed);
  const x = new Float32Array(count * STEPS * 2);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = rand() < 0.5 ? 1 : 0;
    x[i * STEPS * 2] = labels[i] ? 1 : -1;
    for (let t = 1; t < STEPS; t++) x[(i * STEPS + t) * 2 + 1] = rand() * 2 - 1;
  }
  return sequenceDataset({ x, y: oneHot(labels, 2), steps: STEPS, features: 2 });
}

const model = (layer: LayerSpec, seed = 1) =>
  sequential([layer, dense({ units: 2 })], { inputSize: 2 }).compile({ loss: 'softmaxCrossEntropy', readout: 'last', optimizer: adam({ lr: 0.02 }), seed });

for (const [name, layer] of [
  ['rnn', rnn({ units: 16 })],
  ['lstm', lstm({ units: 16 })],
  ['gru', gru({ units: 16 })],
] as const) {
  test(`${name}: remembers the first step over ${STEPS} steps of noise`, async (t) => {
    const m = model(layer);
    const held = firstStepSign(200, 2);
    const before = await m.evaluate(held);
    await m.fit(firstStepSign(600, 1), { epochs: 8, batchSize: 20, seed: 3 });
    const after = await m.evaluate(held);
    t.true(after.accuracy! > 0.95, `accuracy ${before.accuracy} -> ${after.accuracy}`);
    t.true(after.loss < before.loss / 4, `loss ${before.loss} -> ${after.loss}`);
  });
}

test('an LSTM over spiking SNU outputs trains, and its checkpoint predicts the same', async (t) => {
  const m = sequential([snu({ units: 12, decay: 0.5, initialBias: -0.3 }), lstm({ units: 8, name: 'mem' }), dense({ units: 2 })], { inputSize: 2 }).compile({
    loss: 'softmaxCrossEntropy',
    readout: 'last',
    optimizer: adam({ lr: 0.02 }),
    seed: 2,
  });
  const data = firstStepSign(200, 4);
  const first = await m.fit(data, { epochs: 3, batchSize: 20, seed: 1 });
  t.true(first.epochs.at(-1)!.loss < first.epochs[0]!.loss, JSON.stringify(first.epochs.map((e) => e.loss)));
  const x = data.batch([0, 1, 2, 3], 0).x;
  const copy = Sequential.fromBytes(m.toBytes());
  t.deepEqual(copy.predict(x, { steps: STEPS, batch: 4 }), m.predict(x, { steps: STEPS, batch: 4 }));
  t.deepEqual(
    Object.keys(copy.getWeights()),
    ['snu_0.W', 'snu_0.b', 'mem.W', 'mem.H', 'mem.b', 'dense_2.W', 'dense_2.b'],
  );
});

test('the builders fill in the engine defaults, and config files reach them', (t) => {
  t.deepEqual(lstm({ units: 4 }), { type: 'lstm', units: 4, forgetBias: 1 });
  t.deepEqual(gru({ units: 3, name: 'g', dropout: 0.1 }), { type: 'gru', units: 3, name: 'g', dropout: 0.1 });
  t.deepEqual(rnn({ units: 2 }), { type: 'rnn', units: 2 });
  t.deepEqual(layerFromConfig('model.layers[0]', { type: 'lstm', units: 5, forgetBias: 0 }), { type: 'lstm', units: 5, forgetBias: 0 });
});

test('bad options are clear errors naming the option', (t) => {
  t.throws(() => lstm({ units: 0 }), { message: /^lstm\.units: expected an integer from 1 to \d+, got 0/ });
  t.throws(() => gru({ units: 4, peephole: true } as never), { message: /gru: unknown option 'peephole'/ });
  t.throws(() => lstm({ units: 4, forgetBias: Number.NaN }), { message: /lstm\.forgetBias: expected a finite number, got number NaN/ });
  t.throws(() => rnn({ units: 4, dropout: 1 }), { message: /rnn\.dropout: expected a number in \[0, 1\), got 1/ });
  t.throws(() => layerFromConfig('model.layers[1]', { type: 'gru' }, 'field'), { message: /model\.layers\[1\]\.units: expected an integer/ });
});
