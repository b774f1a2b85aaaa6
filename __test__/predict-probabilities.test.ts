// predictProbabilities: the readout as the probabilities the loss reads it as, against the
// same transforms computed here in f64 from predict's readout.
import test from 'ava';
import { dense, frameNll, sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

const layers = () => [snu({ units: 12, output: 'sigmoid', g: 'identity' }), dense({ units: 5 })];

test('softmax losses give softmax rows; binary cross-entropy from logits gives sigmoids, from probabilities the outputs', (t) => {
  const b = randomBatch(3, 6, 4, 7, 5);
  const cases = [
    { loss: 'softmaxCrossEntropy' as const, readout: 'sum' as const },
    { loss: { kind: 'binaryCrossEntropy' as const, fromLogits: true }, readout: 'sequence' as const },
    { loss: { kind: 'binaryCrossEntropy' as const, fromLogits: false }, readout: 'mean' as const },
  ];
  for (const { loss, readout } of cases) {
    const model = sequential(layers(), { inputSize: 7 }).compile({ loss, readout, seed: 2 });
    const out = model.predict(b.x, b);
    const probs = model.predictProbabilities(b.x, b);
    t.is(probs.length, out.length);
    const want = new Float64Array(out.length);
    if (loss === 'softmaxCrossEntropy') {
      for (let r = 0; r < out.length / 5; r++) {
        const row = Array.from(out.subarray(r * 5, r * 5 + 5));
        const m = Math.max(...row);
        const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
        row.forEach((v, k) => (want[r * 5 + k] = Math.exp(v - m) / z));
      }
    } else if (loss.fromLogits) {
      out.forEach((v, i) => (want[i] = 1 / (1 + Math.exp(-v))));
    } else {
      out.forEach((v, i) => (want[i] = v));
    }
    const worst = Math.max(...Array.from(probs, (p, i) => Math.abs(p - want[i]!)));
    t.true(worst < 1e-6, `${JSON.stringify(loss)}: off by ${worst}`);
    if (loss === 'softmaxCrossEntropy') t.true(Math.abs(probs.subarray(0, 5).reduce((a, v) => a + v, 0) - 1) < 1e-6);
  }
});

test('frameNll of predictProbabilities is finite for a model trained from logits; mse models are refused', (t) => {
  const b = randomBatch(4, 5, 2, 7, 5, 5 * 2);
  const logits = sequential(layers(), { inputSize: 7 }).compile({ loss: { kind: 'binaryCrossEntropy', fromLogits: true }, readout: 'sequence', seed: 2 });
  const binaryTargets = b.y.map((v) => (v > 0 ? 1 : 0));
  const nll = frameNll(logits.predictProbabilities(b.x, b), binaryTargets, undefined, 5);
  t.true(Number.isFinite(nll.mean) && nll.mean > 0);
  const mse = sequential(layers(), { inputSize: 7 }).compile({ loss: 'mse', seed: 2 });
  t.throws(() => mse.predictProbabilities(b.x, b), { message: /^predictProbabilities: the mse loss reads the outputs as values/ });
});
