// OSTL through the TypeScript API: `setTrainingMethod('ostl')` gives one SNU layer the very
// update BPTT gives it, learns online with `updateEvery`, and refuses what it cannot train.
import test from 'ava';
import { dense, lstm, sequential, sgd, snu } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';
import type { LayerSpec } from '../ts/spec.js';

const STEPS = 10;
const BATCH = 4;

function batch(seed: number, outputs: number) {
  const rand = seededRandom(seed);
  const x = Float32Array.from({ length: STEPS * BATCH * 5 }, () => (rand() < 0.3 ? 1 : 0));
  const y = Float32Array.from({ length: STEPS * BATCH * outputs }, () => (rand() < 0.5 ? 1 : 0));
  return { x, y, steps: STEPS, batch: BATCH };
}

const model = (layers: LayerSpec[]) =>
  sequential(layers, { inputSize: 5 }).compile({ loss: { kind: 'binaryCrossEntropy', fromLogits: true }, readout: 'sequence', optimizer: sgd({ lr: 0.5 }), seed: 3 });

test("one SNU layer under a dense output: OSTL's update is BPTT's", (t) => {
  const layers = [snu({ units: 12, trainableDecay: true, initialBias: -0.4 }), dense({ units: 3 })];
  const b = batch(1, 3);
  const bptt = model(layers);
  const ostl = model(layers);
  const start = bptt.getWeights();
  ostl.setTrainingMethod('ostl');
  const l1 = bptt.trainOnBatch(b);
  const l2 = ostl.trainOnBatch(b);
  t.true(Math.abs(l1 - l2) < 1e-9 * l1, `loss ${l1} vs ${l2}`);
  const [w1, w2] = [bptt.getWeights(), ostl.getWeights()];
  let moved = 0;
  for (const name of Object.keys(w1)) {
    w1[name]!.forEach((v, i) => {
      t.true(Math.abs(v - w2[name]![i]!) < 1e-5, `${name}[${i}]: ${v} vs ${w2[name]![i]}`);
    });
    moved += w1[name]!.reduce((s, v, i) => s + Math.abs(v - start[name]![i]!), 0);
  }
  t.true(moved > 0, 'the step changed the weights');
});

test('with updateEvery the weights change within the sequence, and the loss falls', (t) => {
  const m = model([snu({ units: 16, output: 'sigmoid', g: 'identity' }), dense({ units: 3 })]);
  m.setTrainingMethod('ostl', { updateEvery: 2 });
  const b = batch(2, 3);
  const first = m.trainOnBatch(b);
  let last = first;
  for (let i = 0; i < 30; i++) last = m.trainOnBatch(b);
  t.true(last < 0.9 * first, `loss ${first} -> ${last}`);
  // Back to BPTT, the same batch trains on.
  m.setTrainingMethod('bptt');
  t.true(m.trainOnBatch(b) <= last * 1.05);
});

test('what OSTL cannot train, and bad options, are clear errors', (t) => {
  t.throws(() => model([snu({ units: 8, lateralInhibition: true }), dense({ units: 3 })]).setTrainingMethod('ostl'), {
    message: /^setTrainingMethod: ostl: layer "snu_0" cannot learn online: lateral inhibition couples the resets/,
  });
  t.throws(() => model([lstm({ units: 8 }), dense({ units: 3 })]).setTrainingMethod('ostl'), { message: /layer "lstm_0" cannot learn online: it has no online learning rule/ });
  const m = model([snu({ units: 8 }), dense({ units: 3 })]);
  t.throws(() => m.setTrainingMethod('rtrl' as never), { message: /^method: expected one of 'bptt', 'ostl', got the string 'rtrl'/ });
  t.throws(() => m.setTrainingMethod('ostl', { updateEvery: 0 }), { message: /^options\.updateEvery: expected an integer from 1 to \d+, got 0/ });
  t.throws(() => m.setTrainingMethod('ostl', { every: 2 } as never), { message: /options: unknown option 'every'/ });
  const summed = sequential([snu({ units: 8 }), dense({ units: 3 })], { inputSize: 5 }).compile({ loss: 'mse', readout: 'sum' });
  t.throws(() => summed.setTrainingMethod('ostl', { updateEvery: 5 }), { message: /needs a target at every step \(readout 'sequence'\)/ });
  t.notThrows(() => summed.setTrainingMethod('ostl'));
});
