// tfjs peer of the snu benchmarks: the SNU layer written as a plain per-time-step loop in
// TensorFlow.js, the spike's backward pass a tf.customGrad (tanh surrogate). See README.md.
//
//   node benchmarks/peers/tfjs.mjs cpu                 # every workload, each in its own process
//   node benchmarks/peers/tfjs.mjs wasm a d            # chosen workloads
//   node benchmarks/peers/tfjs.mjs wasm-threads        # wasm with 2 XNNPACK threads (workaround, see README)
//   options: --hoist (x W for all steps as one product)  --budget=SECONDS (timed time per workload, default 10)
//            --max-first=SECONDS (skip a workload whose first repetition takes longer, default 120)
//
// Prints one JSON line per workload on stdout.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { denseFlops, UNIT, WORKLOADS } from '../workloads.mjs';


const args = process.argv.slice(2);
const flags = Object.fromEntries(args.filter((a) => a.startsWith('--')).map((a) => {
  const [k, v] = a.slice(2).split('=');
  return [k, v ?? true];
}));
const positional = args.filter((a) => !a.startsWith('--'));
const backend = positional[0] ?? 'cpu';
const ids = positional.slice(1);
if (!['cpu', 'wasm', 'wasm-threads'].includes(backend)) {
  console.error('usage: node tfjs.mjs <cpu|wasm|wasm-threads> [workload ...] [--hoist] [--budget=S] [--max-first=S]');
  process.exit(2);
}
for (const id of ids) {
  if (!WORKLOADS[id]) {
    console.error(`unknown workload ${id}; known: ${Object.keys(WORKLOADS).join(', ')}`);
    process.exit(2);
  }
}
const hoist = Boolean(flags.hoist);
const budget = Number(flags.budget ?? process.env.SNU_PEER_BUDGET ?? 10);
const maxFirst = Number(flags['max-first'] ?? 120);
const peer = `tfjs-${backend}${hoist ? '+hoist' : ''}`;

if (!flags.child) {
  // Parent: one child process per workload, so that peak RSS belongs to one workload, and a
  // workload whose first repetition runs past --max-first seconds is killed and reported.
  const self = fileURLToPath(import.meta.url);
  const rest = [...args.filter((a) => a.startsWith('--')), '--child'];
  for (const id of ids.length ? ids : Object.keys(WORKLOADS)) {
    await new Promise((resolve) => {
      const child = fork(self, [backend, id, ...rest], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let printed = false;
      let timer = null;
      child.stdout.setEncoding('utf8');
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.startsWith('{')) {
            printed = true;
            console.log(line);
          } else if (line.trim()) console.error(line);
        }
      });
      let lastError = '';
      child.on('message', (m) => {
        if (typeof m === 'object' && m.error) lastError = m.error;
        if (m === 'first-start') {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            printed = true;
            console.log(JSON.stringify({ peer, workload: id, samplesPerSec: null, peakRssMB: null, note: `skipped-too-slow: first repetition still running after ${maxFirst} s` }));
          }, maxFirst * 1000);
        } else if (m === 'first-done' && timer) clearTimeout(timer);
      });
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (!printed) console.log(JSON.stringify({ peer, workload: id, samplesPerSec: null, peakRssMB: null, note: `failed: exit ${code ?? signal}${lastError ? `: ${lastError}` : ''}` }));
        resolve();
      });
    });
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------
// Child (--child): measure one workload.
const id = ids[0];
process.on('uncaughtException', (e) => {
  console.error(e);
  let msg = String(e?.message ? e.message : e).slice(0, 300);
  try {
    const heap = globalThis.__tfjsWasmHeapBytes?.();
    if (heap) msg += ` (wasm heap ${(heap / 2 ** 30).toFixed(2)} GiB of at most 4)`;
  } catch {}
  msg += ` (peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB)`;
  if (process.send) process.send({ error: msg }, () => process.exit(1));
  else process.exit(1);
});
const w = WORKLOADS[id];
if (w.cell) {
  console.log(JSON.stringify({ peer, workload: id, samplesPerSec: null, peakRssMB: null, note: `not measured: an ${w.cell.toUpperCase()} workload, measured against torch.nn.${w.cell.toUpperCase()} (the torch peer)` }));
  process.exit(0);
}
if (w.conv) {
  console.log(JSON.stringify({ peer, workload: id, samplesPerSec: null, peakRssMB: null, note: 'not measured: this peer builds dense SNU layers only (the conv workloads are measured against PyTorch and snnTorch)' }));
  process.exit(0);
}

let wasmNote = '';
if (backend === 'wasm-threads') await installWorkerShim();
async function load(name) {
  try {
    return await import(name);
  } catch (e) {
    if (e && e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    console.log(JSON.stringify({ peer, workload: id, samplesPerSec: null, peakRssMB: null, note: `not installed: ${name} (a devDependency; run npm install)` }));
    process.exit(0);
  }
}
const tf = await load('@tensorflow/tfjs');
let wasm = null;
if (backend.startsWith('wasm')) {
  wasm = await load('@tensorflow/tfjs-backend-wasm');
  if (backend === 'wasm-threads') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(cpus().length);
  }
}
if (!(await tf.setBackend(backend.startsWith('wasm') ? 'wasm' : 'cpu'))) throw new Error(`backend ${backend} did not initialise`);
await tf.ready();
let threads = 1;
if (wasm) {
  globalThis.__tfjsWasmHeapBytes = () => tf.backend().wasm.HEAPU8.buffer.byteLength;
  threads = wasm.getThreadsCount();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  wasmNote = `wasm simd=${simd}, XNNPACK threads=${threads}`;
  if (backend === 'wasm') wasmNote += ' (tfjs disables wasm threads under Node)';
}

/**
 * The workaround behind `wasm-threads`. tfjs-backend-wasm 4.22 turns multithreading off under
 * Node (its flag returns false when IS_NODE) because its Emscripten pthread workers are started
 * from Blob URLs, which worker_threads cannot load. This shim writes those blobs to temporary
 * files and hands the workers file paths instead. tfjs also sizes its XNNPACK pool as
 * (logical cores / 2), assuming hyper-threading; os.cpus() is doubled so that the pool gets one
 * thread per core of this machine. The thread count actually used is read back from tfjs.
 */
function installWorkerShim() {
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-wasm-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const texts = new WeakMap();
  const OrigBlob = globalThis.Blob;
  globalThis.Blob = class extends OrigBlob {
    constructor(parts = [], opts) {
      super(parts, opts);
      if (parts.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
    }
  };
  // The bundled factory refers to the bundle's own module aliases; define them for the worker.
  const prelude = "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";
  let n = 0;
  const toFile = (blob, pre = '') => {
    const file = join(dir, `blob-${n++}.js`);
    writeFileSync(file, pre + texts.get(blob));
    return file;
  };
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob) => (texts.has(blob) ? toFile(blob) : createObjectURL(blob));
  return import('node:worker_threads').then(({ Worker }) => {
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (msg, ...rest) {
      if (msg && msg.cmd === 'load' && texts.has(msg.urlOrBlob)) msg = { ...msg, urlOrBlob: toFile(msg.urlOrBlob, prelude) };
      return post.call(this, msg, ...rest);
    };
    return import('node:os').then((os) => {
      const real = os.default.cpus();
      os.default.cpus = () => [...real, ...real];
    });
  });
}

// Seeded generator (mulberry32) for weights and data.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(1);

const layers = [];
{
  let m = w.inputSize;
  for (const n of w.layers) {
    const r = Math.sqrt(6 / (m + n));
    const wv = Float32Array.from({ length: m * n }, () => (2 * rand() - 1) * r);
    layers.push({ W: tf.variable(tf.tensor2d(wv, [m, n])), b: tf.variable(tf.fill([n], UNIT.initialBias)) });
    m = n;
  }
}
const { steps: T, batch: B, inputSize: F } = w;
const out = w.layers[w.layers.length - 1];
const X = tf.tensor2d(Float32Array.from({ length: T * B * F }, () => (rand() < w.density ? 1 : 0)), [T * B, F]);
const rows = w.readout === 'sequence' ? T * B : B;
const yv = new Float32Array(rows * out);
for (let r = 0; r < rows; r++) yv[r * out + (r % out)] = 1;
const Y = tf.tensor2d(yv, [rows, out]);
const decay = tf.scalar(UNIT.decay);
const one = tf.scalar(1);

// y = step(z) forward; dy/dz = 1 - tanh(z)^2 backward.
const spike = tf.customGrad((z, save) => {
  save([z]);
  return {
    value: tf.step(z),
    gradFunc: (dy, [zs]) => tf.mul(dy, tf.sub(one, tf.square(tf.tanh(zs)))),
  };
});

/** Runs the SNU stack over the time-major input; returns the last layer's y_t, t = 1..T. */
function forward() {
  let xs = tf.split(X, T, 0); // x_t, [B, m] each
  for (const { W, b } of layers) {
    const xw = hoist ? tf.split(tf.matMul(tf.concat(xs, 0), W), T, 0) : null;
    let s = null;
    let y = null;
    const ys = [];
    for (let t = 0; t < T; t++) {
      let a = hoist ? xw[t] : tf.matMul(xs[t], W); // x_t W
      if (s) a = tf.add(a, tf.mul(tf.mul(decay, s), tf.sub(one, y))); // + l s_{t-1} (1 - y_{t-1})
      s = tf.relu(a);
      y = spike(tf.add(s, b));
      ys.push(y);
    }
    xs = ys;
  }
  return xs;
}

function loss() {
  const ys = forward();
  if (w.loss === 'softmaxCrossEntropy') return tf.losses.softmaxCrossEntropy(Y, tf.addN(ys)); // mean over B
  if (w.loss === 'mse') return tf.losses.meanSquaredError(Y, tf.addN(ys)); // mean over B·n
  // Sigmoid BCE with the spikes of every step as logits, summed over units, mean over T·B rows.
  const perElement = tf.losses.sigmoidCrossEntropy(Y, tf.concat(ys, 0), undefined, 0, tf.Reduction.NONE);
  return tf.div(tf.sum(perElement), rows);
}

const optimizer = tf.train.adam(UNIT.lr);
const vars = layers.flatMap((l) => [l.W, l.b]);
const call = {
  train: () => {
    const cost = optimizer.minimize(loss, true, vars);
    cost.dataSync();
    cost.dispose();
  },
  gradients: () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    grads[vars[0].name].dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  },
  predict: () => {
    const o = tf.tidy(() => tf.addN(forward()));
    o.dataSync();
    o.dispose();
  },
}[w.kind];

// RSS once tfjs is loaded and the model built: the part of peak RSS that is not the workload's.
const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
const send = (m) => process.send?.(m);
send('first-start');
let t0 = performance.now();
call();
const first = (performance.now() - t0) / 1000;
send('first-done');

const base = { peer, workload: id, backend: tf.getBackend(), threads, tfjs: tf.version.tfjs, baselineRssMB };
if (first > maxFirst) {
  console.log(JSON.stringify({ ...base, samplesPerSec: null, firstSeconds: first, peakRssMB: process.resourceUsage().maxRSS / 1024, note: `skipped-too-slow: one repetition took ${first.toFixed(1)} s` }));
  process.exit(0);
}
// A workload whose first repetition takes more than SLOW seconds is timed once more only, or,
// past TOO_SLOW seconds, reported from its first repetition alone.
const SLOW = 30;
const TOO_SLOW = 45;
const reps = first > TOO_SLOW ? 0 : first > SLOW ? 1 : Math.max(3, Math.min(30, Math.floor(budget / first)));
const times = reps === 0 ? [first] : [];
for (let i = 0; i < reps; i++) {
  t0 = performance.now();
  call();
  times.push((performance.now() - t0) / 1000);
}
times.sort((p, q) => p - q);
const median = times[Math.floor(times.length / 2)];
const notes = [
  reps === 0 ? `first repetition only (${first.toFixed(1)} s), no separate warm-up` : `median of ${reps} after 1 warm-up (${first.toFixed(2)} s)`,
  hoist ? 'x W hoisted out of the time loop' : 'x_t W per step',
];
if (wasmNote) notes.push(wasmNote);
console.log(
  JSON.stringify({
    ...base,
    samplesPerSec: B / median,
    secondsPerCall: median,
    gflops: denseFlops(w) / median / 1e9,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    repetitions: times.length,
    note: notes.join('; '),
  }),
);
process.exit(0);
