// model.summary(): names, types, shapes and parameter counts as the model holds them, and the
// firing rate of spiking layers as counted here from predictWithLayers' outputs.
import test from 'ava';
import { dense, flatten, sequential, snu, snuConv2d, sumPool2d } from '../ts/index.js';
import { randomBatch } from './helpers.js';

test('summary: shapes, parameter counts, and firing rates after a pass', (t) => {
  const model = sequential([snuConv2d({ filters: 3, kernelSize: 3, padding: 1, initialBias: -0.2 }), sumPool2d({ poolSize: 2 }), flatten(), snu({ units: 8, initialBias: -0.3 }), snu({ units: 4, output: 'sigmoid' }), dense({ units: 3 })], {
    inputShape: [1, 4, 4],
  }).compile({ loss: 'mse', seed: 5 });
  const before = model.summary();
  t.deepEqual(
    before.layers.map((l) => [l.name, l.type]),
    [
      ['snuConv2d_0', 'snuConv2d'],
      ['pool2d_1', 'pool2d'],
      ['flatten_2', 'flatten'],
      ['snu_3', 'snu'],
      ['snu_4', 'snu'],
      ['dense_5', 'dense'],
    ],
  );
  t.deepEqual(
    before.layers.map((l) => l.outputShape),
    model.layerShapes(),
  );
  const weights = model.getWeights();
  for (const l of before.layers) {
    const own = Object.entries(weights).filter(([k]) => k.startsWith(`${l.name}.`)).reduce((a, [, v]) => a + v.length, 0);
    t.is(l.params, own, l.name);
  }
  t.is(before.params, Object.values(weights).reduce((a, v) => a + v.length, 0));
  t.true(before.layers.every((l) => l.firingRate === null), 'no pass yet');

  const b = randomBatch(7, 6, 3, 16, 3);
  const x = b.x.map((v) => (v > 0.5 ? 1 : 0));
  const { layers } = model.predictWithLayers(x, b);
  const after = model.summary();
  for (const [i, l] of after.layers.entries()) {
    if (i === 0 || i === 3) {
      const out = layers[i]!;
      const rate = out.reduce((a, v) => a + v, 0) / out.length;
      t.true(rate > 0 && rate < 1, `${l.name} fires sometimes`);
      t.true(Math.abs(l.firingRate! - rate) < 1e-12, `${l.name}: ${l.firingRate} vs ${rate}`);
    } else {
      t.is(l.firingRate, null, `${l.name} does not spike`);
    }
  }
  const table = String(after);
  t.regex(table, /^layer\s+type\s+output\s+params\s+firing rate\n/);
  t.regex(table, /snu_3\s+snu\s+\[8\]\s+\d[\d,]*\s+0\.\d{3}\n/);
  t.regex(table, new RegExp(`total params: ${after.params.toLocaleString('en-US')}$`));
});
