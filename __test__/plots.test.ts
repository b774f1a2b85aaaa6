// plots: SVG strings that are well-formed, hold one mark per spike, one bar per bin, one path
// per series, escape their text, and refuse bad input with a clear error.
import test from 'ava';
import { plots, sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

/** Checks that tags nest and close (a small XML well-formedness check) and returns the tag names. */
function wellFormed(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m;
    if (/[<]/.test(attrs!)) throw new Error(`a '<' inside the attributes of <${name}>`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong tag`);
    } else {
      names.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  if (/&(?!amp;|lt;|gt;|quot;|#39;)/.test(svg)) throw new Error('an unescaped &');
  return names;
}

test('raster: one mark per spike of the sample, from a real pass; firingRates counts per unit', (t) => {
  const model = sequential([snu({ units: 40, initialBias: -0.3 }), snu({ units: 5 })], { inputSize: 20 }).compile({ loss: 'mse', readout: 'sequence', seed: 3 });
  const b = randomBatch(5, 25, 3, 20, 5, 25 * 3);
  const x = b.x.map((v) => (v > 0.6 ? 1 : 0));
  const { layers } = model.predictWithLayers(x, b);
  const spikes = layers[0]!;
  for (const sample of [0, 2]) {
    const svg = plots.raster(spikes, { steps: 25, batch: 3, units: 40, sample, title: 'snu_0 <layer & "one">' });
    t.notThrows(() => wellFormed(svg));
    let expected = 0;
    for (let s = 0; s < 25; s++) for (let j = 0; j < 40; j++) expected += spikes[(s * 3 + sample) * 40 + j]!;
    t.true(expected > 10, 'the layer fires');
    t.is(svg.match(/<rect class="spike"/g)?.length ?? 0, expected);
    t.true(svg.includes(`data-count="${expected}"`));
    t.true(svg.includes('snu_0 &lt;layer &amp; &quot;one&quot;&gt;'));
  }
  const rates = plots.firingRates(spikes, { steps: 25, batch: 3, units: 40 });
  for (const j of [0, 17, 39]) {
    let c = 0;
    for (let r = 0; r < 75; r++) c += spikes[r * 40 + j]!;
    t.is(rates[j], c / 75);
  }
  const hist = plots.histogram(rates, { bins: 10, xLabel: 'firing rate' });
  t.notThrows(() => wellFormed(hist));
  const counts = [...hist.matchAll(/<rect class="bar" data-count="(\d+)"/g)].map((m) => Number(m[1]));
  t.is(counts.length, 10);
  t.is(
    counts.reduce((a, c) => a + c, 0),
    40,
  );
});

test('curves: one path per series with its points, gaps at non-finite values, an escaped legend', (t) => {
  const svg = plots.curves(
    [
      { name: 'train <loss>', values: [1.2, 0.8, 0.6, 0.5] },
      { name: 'test', values: [1.3, Number.NaN, 0.9, 0.85] },
    ],
    { title: 'run', xLabel: 'epoch', yLabel: 'loss' },
  );
  t.notThrows(() => wellFormed(svg));
  const paths = [...svg.matchAll(/<path class="series" data-name="([^"]*)" d="([^"]*)"/g)];
  t.deepEqual(
    paths.map((p) => p[1]),
    ['train &lt;loss&gt;', 'test'],
  );
  t.is(paths[0]![2]!.match(/[ML]/g)!.length, 4, 'four points');
  t.is(paths[1]![2]!.match(/M/g)!.length, 2, 'the NaN breaks the line');
  t.deepEqual(plots.niceTicks(0, 0.93, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(plots.niceTicks(1, 24, 6), [0, 5, 10, 15, 20, 25]);
});

test('bad input gets a clear error', (t) => {
  t.throws(() => plots.curves([]), { message: /curves: expected a non-empty array/ });
  t.throws(() => plots.curves([{ name: 'a', values: [Number.NaN] }]), { message: /no finite value/ });
  t.throws(() => plots.curves([{ name: 'a', values: [1, 2], x: [1] }]), { message: /1 x values for 2 values/ });
  t.throws(() => plots.curves([{ name: 'a', values: [1] }], { width: 10 }), { message: /width: expected an integer from 120 to 4000/ });
  t.throws(() => plots.raster(new Float32Array(10), { steps: 2, units: 4 }), { message: /raster: 10 values, but steps 2 x batch 1 x units 4 is 8/ });
  t.throws(() => plots.raster(new Float32Array(8), { steps: 2, units: 4, sample: 1 }), { message: /raster: sample/ });
  t.throws(() => plots.histogram([]), { message: /no finite value/ });
  t.throws(() => plots.histogram([1, 2], { min: 3, max: 1 }), { message: /do not make a range/ });
});

test('traces: the SNU state from predictWithLayers, one path per selected unit, equal to s_t', (t) => {
  const model = sequential([snu({ units: 6, g: 'identity', initialBias: -0.5 }), snu({ units: 2 })], { inputSize: 4 }).compile({ loss: 'mse', readout: 'sequence', seed: 8 });
  const b = randomBatch(9, 12, 2, 4, 2, 12 * 2);
  const { states, layers } = model.predictWithLayers(b.x, b);
  t.is(states.length, 2);
  const s = states[0]!;
  t.is(s.length, 12 * 2 * 6);
  // s_t = x_t W + l s_{t-1} (1 - y_{t-1}) with g identity: check one unit by hand.
  const w = model.getWeights()['snu_0.W']!;
  let prev = 0;
  let prevY = 0;
  for (let step = 0; step < 12; step++) {
    let a = 0;
    for (let i = 0; i < 4; i++) a += b.x[(step * 2 + 1) * 4 + i]! * w[i * 6 + 3]!;
    a += 0.8 * prev * (1 - prevY);
    t.true(Math.abs(s[(step * 2 + 1) * 6 + 3]! - a) < 1e-5, `step ${step}`);
    prev = s[(step * 2 + 1) * 6 + 3]!;
    prevY = layers[0]![(step * 2 + 1) * 6 + 3]!;
  }
  const svg = plots.traces(s, { steps: 12, batch: 2, units: 6, sample: 1, select: [0, 3, 5] });
  t.is(svg.match(/<path class="series"/g)?.length, 3);
  t.throws(() => plots.traces(s, { steps: 12, batch: 2, units: 6, select: [6] }), { message: /traces: select\[0\]/ });
});
