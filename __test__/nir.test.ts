// NIR files through the library: the three real graphs in ../shared/data/nir load and spike as
// their own NIR equations say (an independent reference reading the same file), a model written
// by toNir comes back from loadNir computing the same, and bad files and options get clear errors.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { flatten, loadNir, sequential, snu, snuConv2d, sumPool2d } from '../ts/index.js';
import { MAX_NIR_VALUES } from '../ts/generated/limits.js';
import { native } from '../ts/native.js';
import { seededRandom } from '../ts/random.js';
import { runSnu } from './cli-helpers.js';
import { simulateNir } from './nir-reference.js';

const SHARED = new URL('../../shared/data/nir/', import.meta.url).pathname;

function spikes(seed: number, length: number, density: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length }, () => (rand() < density ? 1 : 0));
}

/** snu's per-step outputs against the reference's, for one sample. */
async function compare(path: string, dt: number, x: Float32Array, steps: number, dims: number[]) {
  const model = await loadNir(path, { dt, compile: { loss: 'mse', readout: 'sequence' } });
  const ours = model.predict(x, { steps, batch: 1 });
  const theirs = await simulateNir(path, dt, x, steps, dims);
  const width = ours.length / steps;
  let differ = 0;
  let fired = 0;
  for (let t = 0; t < steps; t++)
    for (let j = 0; j < width; j++) {
      if (Math.abs(ours[t * width + j]! - theirs[t]![j]!) > 1e-6) differ++;
      fired += ours[t * width + j]!;
    }
  return { model, differ, fired, total: ours.length };
}

test('Norse’s LIF neuron (lif_norse.nir, dt 1e-3) spikes as its NIR equation says', async (t) => {
  const steps = 60;
  const rand = seededRandom(3);
  const x = Float32Array.from({ length: steps }, () => 0.25 * rand());
  const { model, differ, fired } = await compare(join(SHARED, 'lif_norse.nir'), 1e-3, x, steps, [1]);
  t.is(differ, 0);
  t.true(fired > 3 && fired < steps - 3, `fired ${fired} of ${steps}`);
  // tau 0.0025 at dt 1e-3: l = 1 - dt/tau = 0.6; threshold 0.1.
  t.is(model.layers[0]!.type, 'snu');
  t.true(Math.abs((model.layers[0] as { decay: number }).decay - 0.6) < 1e-6);
});

test('Sinabs’s convolutional network (cnn_sinabs.nir, IF neurons, dt 1) spikes as its NIR equations say', async (t) => {
  const steps = 6;
  const x = spikes(5, steps * 2 * 34 * 34, 0.15);
  const { model, differ, fired, total } = await compare(join(SHARED, 'cnn_sinabs.nir'), 1, x, steps, [2, 34, 34]);
  t.deepEqual(
    model.layers.map((l) => l.type),
    ['snuConv2d', 'snuConv2d', 'pool2d', 'snuConv2d', 'pool2d', 'flatten', 'snu', 'snu'],
  );
  t.deepEqual(model.inputShape, [2, 34, 34]);
  t.is(differ, 0, `${differ} of ${total} outputs differ`);
  t.true(fired > 0, 'the output layer fires');
});

test('the braille network (snnTorch: biases, recurrent CubaLIF, dt 1e-4) spikes as its NIR equations say', async (t) => {
  const steps = 40;
  const x = spikes(6, steps * 12, 0.3);
  const { model, differ, fired, total } = await compare(join(SHARED, 'braille_noDelay_bias_zero.nir'), 1e-4, x, steps, [12]);
  // Affine 12 -> 38 into a recurrent CubaLIF (alpha 0.55, l 0.9), then 38 -> 7 into a CubaLIF.
  t.deepEqual(
    model.layers.map((l) => [l.type, (l as { recurrent?: boolean }).recurrent, (l as { inputBias?: boolean }).inputBias]),
    [
      ['snu', true, true],
      ['snu', false, true],
    ],
  );
  t.true(Math.abs((model.layers[0] as { synapse: number }).synapse - 0.55) < 1e-6);
  t.is(differ, 0, `${differ} of ${total} outputs differ`);
  t.true(fired > 0, 'the output layer fires');
});

test('toNir then loadNir gives back the same weights and the same spikes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snu-nir-'));
  try {
    const models = [
      sequential([snu({ units: 12, g: 'identity', recurrent: true, initialBias: -0.3 }), snu({ units: 5, g: 'identity', decay: 0.5, trainableDecay: true, initialBias: -0.3 })], { inputSize: 8 }),
      sequential([snuConv2d({ filters: 3, kernelSize: 3, padding: 1, g: 'identity', decay: 1, initialBias: -0.5 }), sumPool2d({ poolSize: 2 }), flatten(), snu({ units: 4, g: 'identity', initialBias: -0.5 })], { inputShape: [1, 6, 6] }),
    ];
    for (const [i, m] of models.entries()) {
      m.compile({ loss: 'mse', readout: 'sequence', seed: 9 });
      const path = join(dir, `m${i}.nir`);
      t.deepEqual(await m.toNir(path), { warnings: [], dt: 1e-4 });
      const back = await loadNir(path, { compile: { loss: 'mse', readout: 'sequence' } });
      const [a, b] = [m.getWeights(), back.getWeights()];
      t.deepEqual(Object.keys(b), Object.keys(a));
      for (const k of Object.keys(a)) t.true(a[k]!.every((v, j) => Math.abs(v - b[k]![j]!) <= 1e-6), k);
      const x = spikes(i, 20 * 2 * m.inputSize, 0.4);
      t.deepEqual(back.predict(x, { steps: 20, batch: 2 }), m.predict(x, { steps: 20, batch: 2 }));
    }
    t.deepEqual((await readdir(dir)).sort(), ['m0.nir', 'm1.nir'], 'no temporary file is left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad files, options and models get clear errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snu-nir-'));
  try {
    const text = join(dir, 'text.nir');
    await writeFile(text, 'not hdf5');
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => loadNir(join(dir, 'missing.nir')), /missing\.nir: no such file/],
      [() => loadNir(text), /text\.nir: not an HDF5 file \(NIR files are HDF5\)/],
      [() => loadNir(join(SHARED, 'lif_norse.nir')), /node "1" \(LIF\) needs a time step.*pass dt/],
      [() => loadNir(join(SHARED, 'lif_norse.nir'), { dt: 'fast' as unknown as number }), /dt: expected a finite number/],
      [() => loadNir(join(SHARED, 'lif_norse.nir'), { dt: -1 }), /dt: expected a time step in \(0, 1000\]/],
      [() => loadNir(join(SHARED, 'lif_norse.nir'), { dt: 1e-3, steps: 3 } as never), /unknown option|steps/],
    ];
    for (const [call, message] of cases) {
      const e = await t.throwsAsync(call());
      t.regex(e!.message, message);
    }
    const relu = sequential([snu({ units: 3 })], { inputSize: 2 }).compile({ loss: 'mse' });
    const refused = await t.throwsAsync(relu.toNir(join(dir, 'relu.nir')));
    t.regex(refused!.message, /layer "snu_0": g is relu.*approximate: true/);
    t.false(existsSync(join(dir, 'relu.nir')));
    const approx = await relu.toNir(join(dir, 'relu.nir'), { approximate: true });
    t.regex(approx.warnings.join('\n'), /snu_0.*relu/);
    const nowhere = await t.throwsAsync(relu.toNir(join(dir, 'no', 'such', 'dir.nir'), { approximate: true }));
    t.regex(nowhere!.message, /toNir: .*dir\.nir/);
    await t.throwsAsync(relu.toNir(join(dir, 'x.nir'), { dt: 0, approximate: true }), { message: /dt: expected a time step/ });
    t.deepEqual((await readdir(dir)).sort(), ['relu.nir', 'text.nir'], 'no temporary file is left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Writes a file with NIR's layout whose groups are hard links: `build` gets the root graph. */
async function linkedFile(path: string, build: (file: InstanceType<typeof import('h5wasm/node').default.File>) => void): Promise<void> {
  const h5 = (await import('h5wasm/node')).default;
  await h5.ready;
  const file = new h5.File(path, 'w');
  try {
    file.create_dataset({ name: 'version', data: '1.0.8' });
    build(file);
  } finally {
    file.close();
  }
}

test('a NIR file whose groups link back to themselves or fan out is refused, not unfolded', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snu-nir-'));
  try {
    // A nested graph whose nodes/ links back to the graph itself: a cycle.
    const loop = join(dir, 'loop.nir');
    await linkedFile(loop, (file) => {
      const root = file.create_group('node');
      root.create_dataset({ name: 'type', data: 'NIRGraph' });
      const g = root.create_group('nodes').create_group('g');
      g.create_dataset({ name: 'type', data: 'NIRGraph' });
      g.create_group('nodes').create_hard_link('/node/nodes/g', 'again');
    });
    await t.throwsAsync(loadNir(loop), { message: /loop\.nir: graphs nested more than 16 deep \(at g\/again\/again/ });
    // 16 links per level to the next level's graph: 16^3 = 4,096 nodes at the third level
    // alone, from a file of 4 groups.
    const fan = join(dir, 'fan.nir');
    await linkedFile(fan, (file) => {
      const level = (g: ReturnType<typeof file.create_group>, next: string | undefined) => {
        g.create_dataset({ name: 'type', data: 'NIRGraph' });
        const nodes = g.create_group('nodes');
        if (next) for (let i = 0; i < 16; i++) nodes.create_hard_link(next, `n${i}`);
      };
      for (let l = 3; l >= 1; l--) level(file.create_group(`level${l}`), l < 3 ? `/level${l + 1}` : undefined);
      level(file.create_group('node'), '/level1');
    });
    await t.throwsAsync(loadNir(fan), { message: /fan\.nir: more than 4096 nodes, the most a NIR graph may hold/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a small NIR file whose datasets unfold past MAX_NIR_VALUES is refused before they are read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snu-nir-'));
  try {
    // A chunked weight resized to one value past the limit: its chunks were never written, so
    // the file is a few kB while reading the weight would take 2 GB as float64.
    const path = join(dir, 'unwritten.nir');
    await linkedFile(path, (file) => {
      const root = file.create_group('node');
      root.create_dataset({ name: 'type', data: 'NIRGraph' });
      const a = root.create_group('nodes').create_group('a');
      a.create_dataset({ name: 'type', data: 'Affine' });
      const w = a.create_dataset({ name: 'weight', data: new Float32Array(1), maxshape: [null], chunks: [1 << 16] });
      w.resize([MAX_NIR_VALUES + 1]);
    });
    t.true((await stat(path)).size < 1 << 20, 'the file itself is small');
    await t.throwsAsync(loadNir(path), {
      message: `loadNir: ${path}: node "a" "weight" would take the file past ${MAX_NIR_VALUES} values, the most a NIR file may hold`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('importNir refuses flat graphs with repeated or unusable node names, and too many nodes', (t) => {
  const node = (graph: string, name: string, kind = 'NIRGraph') => ({ graph, name, kind, params: [], metadata: [] });
  const cases: [ReturnType<typeof node>[], RegExp][] = [
    [[node('', 'a'), node('', 'a')], /graph node "a": the name is used twice in graph ""/],
    [[node('', 'a/b')], /graph node "a\/b" in graph "": expected a non-empty name without '\/'/],
    [[node('', '')], /expected a non-empty name/],
    [Array.from({ length: 4097 }, (_, i) => node('', `n${i}`, 'Input')), /graph: 4097 nodes, more than the 4096 a NIR graph may hold/],
  ];
  for (const [nodes, message] of cases) t.throws(() => native.importNir({ nodes, edges: [], metadata: [] }), { message });
  // A name repeated in different graphs passes this check (the graph may still be refused by
  // the import for what it holds: here, no input node).
  let message = '';
  try {
    native.importNir({ nodes: [node('', 'a'), node('a', 'a')], edges: [], metadata: [] });
  } catch (e) {
    message = (e as Error).message;
  }
  t.notRegex(message, /used twice|non-empty name/);
});

test('snu import and snu export --nir: a NIR file to a checkpoint and back, with usage errors that say what to pass', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'snu-nir-cli-'));
  try {
    const imported = await runSnu(dir, ['import', join(SHARED, 'cnn_sinabs.nir'), 'cnn.snu', '--dt', '1']);
    t.is(imported.code, 0, imported.err);
    t.regex(imported.out, /wrote .*cnn\.snu from .*cnn_sinabs\.nir:\nlayer\s+type\s+output\s+params\s+firing rate\n1\s+snuConv2d\s+\[16, 16, 16\]/);
    const exported = await runSnu(dir, ['export', '--nir', 'cnn.snu', 'cnn.nir', '--dt', '1']);
    t.is(exported.code, 0, exported.err);
    t.regex(exported.out, /wrote .*cnn\.nir \(NIR, dt 1\)/);
    // The file written, read back as the original: the same spikes.
    const x = spikes(8, 3 * 2 * 34 * 34, 0.2);
    const a = (await loadNir(join(SHARED, 'cnn_sinabs.nir'), { dt: 1, compile: { loss: 'mse', readout: 'sequence' } })).predict(x, { steps: 3, batch: 1 });
    const b = (await loadNir(join(dir, 'cnn.nir'), { compile: { loss: 'mse', readout: 'sequence' } })).predict(x, { steps: 3, batch: 1 });
    t.deepEqual(b, a);
    const noDt = await runSnu(dir, ['import', join(SHARED, 'lif_norse.nir'), 'lif.snu']);
    t.is(noDt.code, 1);
    t.regex(noDt.err, /needs a time step.*pass --dt/);
    const noFormat = await runSnu(dir, ['export', 'cnn.snu', 'x.nir']);
    t.is(noFormat.code, 2);
    t.regex(noFormat.err, /--nir/);
    const missing = await runSnu(dir, ['export', '--nir', 'cnn.snu']);
    t.is(missing.code, 2);
    t.regex(missing.err, /missing the output file/);
    const relu = sequential([snu({ units: 3 })], { inputSize: 2 }).compile({ loss: 'mse' });
    await relu.save(join(dir, 'relu.snu'));
    const refused = await runSnu(dir, ['export', '--nir', 'relu.snu', 'relu.nir']);
    t.is(refused.code, 1);
    t.regex(refused.err, /g is relu.*pass --approximate/);
    const approx = await runSnu(dir, ['export', '--nir', 'relu.snu', 'relu.nir', '--approximate']);
    t.is(approx.code, 0);
    t.regex(approx.err, /warning: layer "snu_0": g is relu/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
