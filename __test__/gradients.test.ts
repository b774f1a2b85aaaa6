// The TypeScript API's gradients: against finite differences of its own loss, and against
// the Rust core's gradients stored by crates/snu-core/tests/api_fixture.rs.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { adam, dense, Sequential, sequential, snu } from '../ts/index.js';
import type { ModelSpec } from '../ts/index.js';
import { randomBatch } from './helpers.js';

test('gradients of a recurrent sSNU network match central finite differences of loss()', (t) => {
  const model = sequential(
    [snu({ units: 4, output: 'sigmoid', recurrent: true, trainableDecay: true, g: 'leakyRelu' }), dense({ units: 3, activation: 'tanh' })],
    { inputSize: 3 },
  ).compile({ loss: 'softmaxCrossEntropy', readout: 'mean', optimizer: adam(), seed: 3 });
  const batch = randomBatch(11, 5, 2, 3, 3);
  const { gradients } = model.gradients(batch);
  const h = 1e-2;
  let checked = 0;
  for (const [name, value] of Object.entries(model.getWeights())) {
    const g = gradients[name]!;
    t.is(g.length, value.length, name);
    for (let i = 0; i < value.length; i++) {
      const orig = value[i]!;
      value[i] = orig + h;
      model.setWeights({ [name]: value });
      const up = model.loss(batch);
      value[i] = orig - h;
      model.setWeights({ [name]: value });
      const down = model.loss(batch);
      value[i] = orig;
      model.setWeights({ [name]: value });
      const fd = (up - down) / (2 * h);
      // f32 engine: central differences with h = 1e-2 agree to ~1e-4 here.
      t.true(Math.abs(fd - g[i]!) <= 2e-3 + 2e-2 * Math.abs(fd), `${name}[${i}]: fd ${fd} vs ${g[i]}`);
      checked++;
    }
  }
  t.true(checked > 50);
});

interface Fixture {
  spec: ModelSpec;
  steps: number;
  batch: number;
  x: number[];
  y: number[];
  loss: number;
  gradients: Record<string, number[]>;
}

test('gradients through the binding equal the Rust core gradients (shared fixture)', (t) => {
  const fixtures = JSON.parse(readFileSync(new URL('../crates/snu-core/tests/fixtures/api_gradients.json', import.meta.url), 'utf8')) as Fixture[];
  t.true(fixtures.length >= 2);
  for (const f of fixtures) {
    const model = new Sequential(f.spec.layers, { inputSize: f.spec.inputSize }).compile({
      loss: f.spec.loss,
      readout: f.spec.readout,
      optimizer: f.spec.optimizer,
      seed: f.spec.seed,
    });
    const r = model.gradients({ x: Float32Array.from(f.x), y: Float32Array.from(f.y), steps: f.steps, batch: f.batch });
    t.true(Math.abs(r.loss - f.loss) <= 1e-6 * Math.max(1, Math.abs(f.loss)));
    t.deepEqual(Object.keys(r.gradients).sort(), Object.keys(f.gradients).sort());
    for (const [name, want] of Object.entries(f.gradients)) {
      const got = r.gradients[name]!;
      // The same engine on the same data: bit-identical up to the JSON round trip of f32 values.
      want.forEach((w, i) => t.true(Math.abs(got[i]! - w) <= 1e-7 * Math.max(1, Math.abs(w)), `${name}[${i}]`));
    }
  }
});

test("lossReduction 'sum': the gradient of the summed rows, rows times the mean's; the loss reported stays the mean", (t) => {
  const build = (lossReduction?: 'mean' | 'sum') =>
    sequential([snu({ units: 4, output: 'sigmoid', recurrent: true }), dense({ units: 3 })], { inputSize: 3 }).compile({
      loss: 'softmaxCrossEntropy',
      readout: 'sequence',
      optimizer: adam(),
      seed: 5,
      ...(lossReduction ? { lossReduction } : {}),
    });
  // 6 steps x 2 samples: 12 rows, each with its own target.
  const batch = randomBatch(12, 6, 2, 3, 3, 12);
  const mean = build().gradients(batch);
  const sum = build('sum').gradients(batch);
  t.is(sum.loss, mean.loss);
  for (const [name, g] of Object.entries(mean.gradients)) {
    const s = sum.gradients[name]!;
    for (let i = 0; i < g.length; i++) t.true(Math.abs(12 * g[i]! - s[i]!) <= 1e-5 * (1 + Math.abs(s[i]!)), `${name}[${i}]: ${s[i]} vs 12 x ${g[i]}`);
  }
  t.is(build('sum').spec.lossReduction, 'sum');
  t.is(build().spec.lossReduction, undefined);
  t.throws(() => build('median' as 'sum'), { message: /lossReduction.*median|median.*lossReduction/ });
});
