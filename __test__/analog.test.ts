// Simulated PCM crossbars through the TypeScript API: an ideal crossbar changes nothing, the
// default devices add programming noise and drift, training with the devices in the loop
// learns by pulses, and bad requests are refused with the reason.
import test from 'ava';
import { dense, IDEAL_PCM, quantizeWeights, sequential, snu } from '../ts/index.js';
import { maxAbsDiff, randomBatch } from './helpers.js';

const build = (seed = 1) =>
  sequential([snu({ units: 16, initialBias: -0.3, name: 'hidden' }), dense({ units: 3, name: 'out' })], { inputSize: 8 }).compile({
    loss: 'softmaxCrossEntropy',
    readout: 'sum',
    seed,
  });

test('an ideal crossbar computes what the digital model computes', (t) => {
  const [digital, analog] = [build(), build()];
  analog.analog.program('all', { config: IDEAL_PCM, seed: 3 });
  t.deepEqual(analog.analog.layers(), ['hidden', 'out']);
  const b = randomBatch(1, 6, 4, 8, 3);
  t.true(maxAbsDiff(analog.predict(b.x, b), digital.predict(b.x, b)) < 1e-3);
});

test('default devices add programming noise and drift; drift shrinks the weights over a day', (t) => {
  const model = build();
  const w0 = model.getWeights()['out.W']!;
  model.analog.program(['out'], { seed: 5 });
  const programmed = model.getWeights()['out.W']!;
  t.true(maxAbsDiff(w0, programmed) > 0, 'programming noise moves the weights');
  const meanAbs = (w: Float32Array) => w.reduce((s, v) => s + Math.abs(v), 0) / w.length;
  model.analog.setTime(86_400);
  const ratio = meanAbs(model.getWeights()['out.W']!) / meanAbs(programmed);
  // g(t) = g0 ((t + t0)/t0)^-nu with nu around 0.05-0.1: a day shrinks |W| to 0.4-0.8 of it.
  t.true(ratio > 0.35 && ratio < 0.85, `ratio ${ratio}`);
  const stats = model.analog.stats('out', 10);
  t.is(stats.devices, 2 * 16 * 3);
  t.is(stats.gPlus.counts.reduce((a, b) => a + b, 0), 16 * 3);
  t.is(stats.gPlus.hi, 25);
});

test('training with the devices in the loop lowers the loss by SET pulses', (t) => {
  const model = sequential([snu({ units: 16, initialBias: -0.3 }), dense({ units: 3 })], { inputSize: 8 }).compile({
    loss: 'softmaxCrossEntropy',
    readout: 'sum',
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0, nesterov: false, weightDecay: 0 },
    seed: 2,
  });
  model.analog.program('all', { seed: 9 });
  const b = randomBatch(4, 8, 16, 8, 3);
  const before = model.loss(b);
  let pulses = 0;
  for (let i = 0; i < 60; i++) {
    model.trainOnBatch(b);
    pulses += model.analog.lastUpdate.pulsesPlus + model.analog.lastUpdate.pulsesMinus;
  }
  t.true(model.loss(b) < 0.7 * before, `loss ${before} -> ${model.loss(b)}`);
  t.true(pulses > 0);
  t.is(model.analog.stats('dense_1').totalPulses > 0, true);
});

test('bad crossbar requests are refused with the reason', (t) => {
  const model = build();
  t.throws(() => model.analog.program(['nope']), { message: /unknown layer "nope"/ });
  t.throws(() => model.analog.program(['out'], { config: { device: { gMax: -1 } } }), { message: /gMax/ });
  // @ts-expect-error: a field the type does not have, which the engine refuses by name.
  t.throws(() => model.analog.program(['out'], { config: { device: { noSuchField: 1 } } }), { message: /noSuchField/ });
  t.throws(() => model.analog.setTime(-1), { message: /seconds/ });
  t.throws(() => model.analog.stats('out'), { message: /not on a crossbar/ });
  model.analog.program(['out']);
  model.analog.remove();
  t.deepEqual(model.analog.layers(), []);
});

test('quantizeWeights rounds each weight matrix to 2^bits - 1 symmetric levels', (t) => {
  const w = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.7);
  for (const bits of [2, 3, 4, 6, 8]) {
    const q = quantizeWeights({ 'l.W': w, 'l.b': w }, bits);
    t.false('l.b' in q, 'biases stay digital');
    const levels = new Set(Array.from(q['l.W']!, (v) => v.toFixed(6)));
    t.true(levels.size <= 2 ** bits - 1, `${bits} bits: ${levels.size} levels`);
    const step = Math.max(...w.map(Math.abs)) / (2 ** (bits - 1) - 1);
    t.true(maxAbsDiff(q['l.W']!, w) <= step / 2 + 1e-6);
  }
});

test('weightRange sets the weight that maps to gMax: larger weights clip to it', (t) => {
  const model = build();
  const w = model.getWeights()['out.W']!;
  const max = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  model.analog.program(['out'], { config: IDEAL_PCM, weightRange: max / 2 });
  const clipped = model.getWeights()['out.W']!;
  for (let i = 0; i < w.length; i++) {
    const want = Math.max(-max / 2, Math.min(max / 2, w[i]!));
    t.true(Math.abs(clipped[i]! - want) < 1e-5 * max, `weight ${i}: ${clipped[i]} vs ${want}`);
  }
  t.throws(() => model.analog.program(['out'], { weightRange: 0 }), { message: /weightRange/ });
});

test('stats() without bins uses the configured histogramBins; bins overrides it; a step reports its pulses', (t) => {
  const model = build();
  model.analog.program(['out'], { config: { histogramBins: 7 }, seed: 2 });
  const s = model.analog.stats('out');
  t.is(s.gPlus.counts.length, 7);
  t.is(s.gMinus.counts.length, 7);
  t.is(s.gPlus.counts.reduce((a, b) => a + b, 0), s.devices / 2);
  t.is(model.analog.stats('out', 12).gPlus.counts.length, 12);
  // Without histogramBins in the config, the engine's default (PcmConfig, 50).
  const other = build();
  other.analog.program(['out'], { seed: 2 });
  t.is(other.analog.stats('out').gPlus.counts.length, 50);
});
