// Sequences of different length through the TypeScript API: the mask reaches the engine,
// padding changes nothing, and sparse class-id targets give the one-hot loss.
import test from 'ava';
import { adam, dense, sequential, snu } from '../ts/index.js';
import { maxAbsDiff, randomBatch } from './helpers.js';

const model = () =>
  sequential([snu({ units: 6, output: 'sigmoid', recurrent: true }), dense({ units: 3 })], { inputSize: 4 }).compile({
    loss: 'softmaxCrossEntropy',
    readout: 'sequence',
    optimizer: adam(),
    seed: 2,
  });

test('padded steps change neither the loss nor the gradients, and a bad mask is refused', (t) => {
  const m = model();
  const steps = 5;
  const batch = randomBatch(3, steps, 2, 4, 3, steps * 2);
  // Sample 0 has 5 real steps, sample 1 has 2.
  const mask = Float32Array.from({ length: steps * 2 }, (_, r) => (r % 2 === 0 || r < 4 ? 1 : 0));
  const a = m.gradients({ ...batch, mask });
  const x = batch.x.slice();
  for (let r = 0; r < steps * 2; r++) if (mask[r] === 0) x.fill(9, r * 4, (r + 1) * 4);
  const b = m.gradients({ ...batch, x, mask });
  t.is(a.loss, b.loss);
  for (const name of Object.keys(a.gradients)) t.is(maxAbsDiff(a.gradients[name]!, b.gradients[name]!), 0, name);
  // Without the mask the padding does count.
  t.not(m.gradients({ ...batch, x }).loss, a.loss);
  const bad = mask.slice();
  bad[0] = 0; // sample 0: padding before a real step
  t.throws(() => m.trainOnBatch({ ...batch, mask: bad }), { message: /^trainOnBatch: mask: sample 0 has padding at step 0/ });
  t.throws(() => m.loss({ ...batch, mask: new Float32Array(3) }), { message: /^loss: mask: expected 10 values/ });
});

test('sparseSoftmaxCrossEntropy on class ids equals softmaxCrossEntropy on one-hot rows', (t) => {
  const dense3 = model();
  const sparse = sequential([snu({ units: 6, output: 'sigmoid', recurrent: true }), dense({ units: 3 })], { inputSize: 4 }).compile({
    loss: 'sparseSoftmaxCrossEntropy',
    readout: 'sequence',
    optimizer: adam(),
    seed: 2,
  });
  const batch = randomBatch(8, 4, 3, 4, 3, 12);
  const ids = new Float32Array(12);
  for (let r = 0; r < 12; r++) ids[r] = batch.y.subarray(r * 3, r * 3 + 3).indexOf(1);
  const a = dense3.gradients(batch);
  const b = sparse.gradients({ ...batch, y: ids });
  t.true(Math.abs(a.loss - b.loss) < 1e-5, `${a.loss} vs ${b.loss}`);
  for (const name of Object.keys(a.gradients)) t.true(maxAbsDiff(a.gradients[name]!, b.gradients[name]!) < 1e-5, name);
  t.throws(() => sparse.loss({ ...batch, y: ids.map((v, i) => (i === 5 ? 3 : v)) }), { message: /^loss: y: value at index 5 is 3, but sparseSoftmaxCrossEntropy targets are class ids/ });
});
