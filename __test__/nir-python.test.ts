// NIR files across libraries, with the Python `nir` package and snnTorch (installed into
// benchmarks/.venv by benchmarks/peers/install-python-peers.sh, which .ci/run runs; set
// SNU_PYTHON to use another interpreter). Without them these tests are skipped, saying why.
//
// Spikes are compared exactly: both sides step the same f32 equations (snnTorch's Leaky with
// reset to zero and no reset delay is the SNU with g the identity), so only a membrane within
// float rounding of its threshold could flip one, and these seeded inputs have none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadNir, sequential, snu, snuConv2d, sumPool2d, flatten, type Sequential } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

const ROOT = new URL('..', import.meta.url).pathname;
const PYTHON = process.env.SNU_PYTHON ?? join(ROOT, 'benchmarks/.venv/bin/python');
const SCRIPT = join(ROOT, '__test__/python/nir_interop.py');

function probe(modules: string): string | undefined {
  if (!existsSync(PYTHON)) return `no Python at ${PYTHON} (run bash benchmarks/peers/install-python-peers.sh)`;
  const r = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} cannot import ${modules}: ${r.stderr.trim().split('\n').at(-1)}`;
}
const noNir = probe('nir, h5py');
const noSnntorch = noNir ?? probe('snntorch, nirtorch, torch');
if (noNir) console.log(`nir-python: skipped: ${noNir}`);
else if (noSnntorch) console.log(`nir-python: snnTorch tests skipped: ${noSnntorch}`);
const withNir = noNir ? test.skip : test;
const withSnntorch = noSnntorch ? test.skip : test;
// CI installs them (.ci/run sets SNU_REQUIRE_PYTHON=1): there a missing one is a failure.
if (process.env.SNU_REQUIRE_PYTHON === '1' && noSnntorch) test('the Python nir package and snnTorch are installed', (t) => t.fail(noSnntorch));

function python(...args: string[]): unknown {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python ${args[0]} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface Described {
  nodes: Record<string, { type: string; params?: Record<string, { shape: number[]; data: number[] }>; graph?: Described }>;
  edges: [string, string][];
  metadata: Record<string, string | number>;
}

function spikes(seed: number, length: number, density: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length }, () => (rand() < density ? 1 : 0));
}

/** `[T, B, n]` nested arrays from a time-major Float32Array. */
function nested(x: Float32Array, steps: number, batch: number): number[][][] {
  const n = x.length / steps / batch;
  return Array.from({ length: steps }, (_, t) => Array.from({ length: batch }, (_, b) => Array.from(x.subarray((t * batch + b) * n, (t * batch + b + 1) * n))));
}

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'snu-nir-py-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `W` `[in, n]` as NIR's `[n, in]`. */
function transposed(w: Float32Array, rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, k) => w[(k % rows) * cols + Math.floor(k / rows)]!);
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)));
}

withNir('a file snu writes is read by nir.read with the node types, shapes and parameters it holds', (t) =>
  withDir(async (dir) => {
    const model = sequential(
      [snuConv2d({ filters: 2, kernelSize: 3, padding: 1, g: 'identity', decay: 1 }), sumPool2d({ poolSize: 2 }), flatten(), snu({ units: 6, g: 'identity', recurrent: true, trainableDecay: true, decay: 0.7 }), snu({ units: 3, g: 'identity', decay: 0.5 })],
      { inputShape: [1, 4, 4] },
    ).compile({ loss: 'mse', seed: 4 });
    const path = join(dir, 'model.nir');
    await model.toNir(path, { dt: 1e-3 });
    const d = python('describe', path) as Described;
    const types = Object.fromEntries(Object.entries(d.nodes).map(([k, v]) => [k, v.type]));
    t.deepEqual(types, {
      input: 'Input', snuConv2d_0_weights: 'Conv2d', snuConv2d_0: 'IF', pool2d_1: 'SumPool2d', flatten_2: 'Flatten',
      snu_3_weights: 'Affine', snu_3: 'NIRGraph', snu_4_weights: 'Affine', snu_4: 'LIF', output: 'Output',
    });
    t.deepEqual(d.metadata, { dt: 1e-3, producer: 'snu' });
    t.deepEqual(new Set(d.edges.map((e) => e.join(' -> '))), new Set(['input -> snuConv2d_0_weights', 'snuConv2d_0_weights -> snuConv2d_0', 'snuConv2d_0 -> pool2d_1', 'pool2d_1 -> flatten_2', 'flatten_2 -> snu_3_weights', 'snu_3_weights -> snu_3', 'snu_3 -> snu_4_weights', 'snu_4_weights -> snu_4', 'snu_4 -> output']));
    const w = model.getWeights();
    const p = (node: string) => d.nodes[node]!.params!;
    t.deepEqual(p('input').shape!.data, [1, 4, 4]);
    t.deepEqual(p('snuConv2d_0_weights').weight!.shape, [2, 1, 3, 3]);
    t.true(close(p('snuConv2d_0_weights').weight!.data, w['snuConv2d_0.W']!, 1e-7));
    t.deepEqual(p('snuConv2d_0').v_threshold!.shape, [2, 4, 4]);
    t.true(close(p('snuConv2d_0').r!.data, new Array(32).fill(1000), 1e-6), 'IF: r = 1/dt');
    t.deepEqual(p('snu_3_weights').weight!.shape, [6, 8]);
    t.true(close(p('snu_3_weights').weight!.data, transposed(w['snu_3.W']!, 8, 6), 1e-7));
    const inner = d.nodes.snu_3!.graph!;
    t.deepEqual(Object.fromEntries(Object.entries(inner.nodes).map(([k, v]) => [k, v.type])), { input: 'Input', lif: 'LIF', w_rec: 'Affine', output: 'Output' });
    t.true(close(inner.nodes.w_rec!.params!.weight!.data, transposed(w['snu_3.H']!, 6, 6), 1e-7));
    const decay = w['snu_3.decay']!;
    // tau = dt/(1 - l), r = 1/(1 - l), v_threshold = -b.
    t.true(close(inner.nodes.lif!.params!.tau!.data, Array.from(decay, (l) => 1e-3 / (1 - l)), 1e-6));
    t.true(close(inner.nodes.lif!.params!.r!.data, Array.from(decay, (l) => 1 / (1 - l)), 1e-6));
    t.true(close(inner.nodes.lif!.params!.v_threshold!.data, Array.from(w['snu_3.b']!, (b) => -b), 1e-7));
    t.true(close(p('snu_4').tau!.data, new Array(3).fill(2e-3), 1e-6));
  }),
);

/**
 * A feed-forward model snnTorch's importer takes (one threshold per layer: the initial bias),
 * with an input bias (its Linear's bias) and a synapse (its Synaptic neuron) in the second layer.
 */
function feedForward(): Sequential {
  const model = sequential([snu({ units: 16, g: 'identity', decay: 0.8, initialBias: -0.4 }), snu({ units: 5, g: 'identity', decay: 0.6, initialBias: -0.3, synapse: 0.5, inputBias: true })], { inputSize: 10 }).compile({
    loss: 'mse',
    readout: 'sequence',
    seed: 11,
  });
  model.setWeights({ 'snu_1.c': Float32Array.from({ length: 5 }, (_, j) => 0.05 * (j - 2)) });
  return model;
}

withSnntorch('a network exported from snu (with an input bias and a synapse) gives the same spikes in snnTorch (dt 1e-4, its convention)', (t) =>
  withDir(async (dir) => {
    const model = feedForward();
    const steps = 40;
    const batch = 3;
    const x = spikes(21, steps * batch * 10, 0.3);
    const path = join(dir, 'ff.nir');
    await model.toNir(path);
    await writeFile(join(dir, 'x.json'), JSON.stringify(nested(x, steps, batch)));
    const theirs = (python('snntorch-run', path, join(dir, 'x.json')) as number[][][]).flat(2);
    const ours = Array.from(model.predict(x, { steps, batch }));
    t.is(ours.length, theirs.length);
    t.true(ours.some((v) => v === 1) && ours.some((v) => v === 0), 'the output layer fires, and not always');
    t.deepEqual(ours, theirs);
  }),
);

withSnntorch('a network built and exported in snnTorch (Linear with biases, Leaky, Synaptic) gives the same spikes in snu (loadNir with dt 1e-4)', (t) =>
  withDir(async (dir) => {
    const steps = 40;
    const batch = 3;
    const x = spikes(22, steps * batch * 10, 0.3);
    const path = join(dir, 'snntorch.nir');
    await writeFile(join(dir, 'x.json'), JSON.stringify(nested(x, steps, batch)));
    const theirs = (python('snntorch-make', path, join(dir, 'x.json')) as number[][][]).flat(2);
    const model = await loadNir(path, { dt: 1e-4, compile: { loss: 'mse', readout: 'sequence' } });
    t.deepEqual(
      model.layers.map((l) => [l.type, (l as { inputBias?: boolean }).inputBias ?? false, (l as { synapse?: number }).synapse ?? 0]),
      [
        ['snu', true, 0],
        ['snu', true, 0.5],
      ],
    );
    const ours = Array.from(model.predict(x, { steps, batch }));
    t.true(ours.some((v) => v === 1) && ours.some((v) => v === 0), 'the output layer fires, and not always');
    t.deepEqual(ours, theirs);
  }),
);

withSnntorch('a model whose thresholds differ per unit (as training leaves them) runs in snnTorch once exported with normalizeThresholds', (t) =>
  withDir(async (dir) => {
    const model = feedForward();
    const rand = seededRandom(31);
    model.setWeights({
      'snu_0.b': Float32Array.from({ length: 16 }, () => -0.2 - 0.6 * rand()),
      'snu_1.b': Float32Array.from({ length: 5 }, () => -0.2 - 0.4 * rand()),
    });
    const steps = 40;
    const batch = 3;
    const x = spikes(23, steps * batch * 10, 0.3);
    await writeFile(join(dir, 'x.json'), JSON.stringify(nested(x, steps, batch)));
    // As written (one threshold per unit), snnTorch's importer refuses the file.
    await model.toNir(join(dir, 'plain.nir'));
    t.throws(() => python('snntorch-run', join(dir, 'plain.nir'), join(dir, 'x.json')), { message: /v_thr(eshold)? must be same for all neurons/ });
    await model.toNir(join(dir, 'normalized.nir'), { normalizeThresholds: true });
    const theirs = (python('snntorch-run', join(dir, 'normalized.nir'), join(dir, 'x.json')) as number[][][]).flat(2);
    const ours = Array.from(model.predict(x, { steps, batch }));
    t.true(ours.some((v) => v === 1) && ours.some((v) => v === 0), 'the output layer fires, and not always');
    t.deepEqual(ours, theirs);
  }),
);
