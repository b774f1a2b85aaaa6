// Carried state through the TypeScript API: consecutive windows continue one long sequence.
import test from 'ava';
import { dense, sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

test('with setCarryState, windows of a sequence give the outputs of the whole sequence', (t) => {
  const build = () =>
    sequential([snu({ units: 8, recurrent: true }), snu({ units: 5, output: 'sigmoid' }), dense({ units: 2 })], { inputSize: 3 }).compile({
      loss: 'mse',
      readout: 'sequence',
      seed: 7,
    });
  const whole = build();
  const steps = 9;
  const batch = randomBatch(1, steps, 2, 3, 2, steps * 2);
  const full = whole.predict(batch.x, { steps, batch: 2 });
  const windowed = build();
  windowed.setCarryState(true);
  const rowsPerStep = 2 * 3;
  const outPerStep = 2 * 2;
  for (const [t0, t1] of [[0, 4], [4, 9]] as const) {
    const out = windowed.predict(batch.x.subarray(t0 * rowsPerStep, t1 * rowsPerStep), { steps: t1 - t0, batch: 2 });
    const want = full.subarray(t0 * outPerStep, t1 * outPerStep);
    t.true(out.every((v, i) => Math.abs(v - want[i]!) < 1e-5), `steps ${t0}..${t1}`);
  }
  t.throws(() => windowed.predict(new Float32Array(3 * 3), { steps: 1, batch: 3 }), { message: /carries the state of a batch of 2 sequences/ });
  windowed.resetState();
  t.is(windowed.predict(new Float32Array(3 * 3), { steps: 1, batch: 3 }).length, 3 * 2);
  t.throws(() => windowed.setCarryState('yes' as unknown as boolean), { message: /^on: expected a boolean/ });
});
