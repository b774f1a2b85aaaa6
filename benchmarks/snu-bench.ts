// Measures snu on one workload and prints one JSON line (run one workload per process so
// that peak RSS belongs to it):  npx tsx benchmarks/snu-bench.ts a
import { adam, avgPool2d, dense, flatten, gru, lstm, sequential, snu, snuConv2d } from '../ts/index.js';
import type { Batch, LayerSpec, ModelInput } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';
import { denseFlops, unitOf, WORKLOADS } from './workloads.mjs';

const id = process.argv[2] ?? 'a';
const w = WORKLOADS[id];
if (!w) throw new Error(`unknown workload ${id}; known: ${Object.keys(WORKLOADS).join(', ')}`);

const loss = w.loss === 'bceLogits' ? ({ kind: 'binaryCrossEntropy', fromLogits: true } as const) : w.loss;
const { decay, initialBias, lr } = unitOf(w);
const unit = { decay, initialBias };
// SNU convolutions, each followed by average pooling, then the flattened dense SNU layers.
const convLayers: LayerSpec[] = (w.conv ?? []).flatMap(({ filters, kernel, padding, pool }) => [snuConv2d({ filters, kernelSize: kernel, padding, ...unit }), avgPool2d({ poolSize: pool })]);
// With a `cell`, every layer but the last is that recurrent cell and the last a dense output.
const cells = { lstm, gru } as const;
const flat = w.cell
  ? [...w.layers.slice(0, -1).map((units) => cells[w.cell as keyof typeof cells]({ units })), dense({ units: w.layers.at(-1)! })]
  : w.layers.map((units) => snu({ units, ...unit }));
const layers = [...convLayers, ...(w.conv ? [flatten()] : []), ...flat];
const input: ModelInput = w.inputShape ? { inputShape: w.inputShape } : { inputSize: w.inputSize };
const model = sequential(layers, input).compile({ loss, readout: w.readout, optimizer: adam({ lr }), seed: 1 });

const rand = seededRandom(1);
const x = Float32Array.from({ length: w.steps * w.batch * w.inputSize }, () => (rand() < w.density ? 1 : 0));
const out = w.layers[w.layers.length - 1]!;
const rows = w.readout === 'sequence' ? w.steps * w.batch : w.batch;
const y = new Float32Array(rows * out);
for (let r = 0; r < rows; r++) y[r * out + (r % out)] = 1;
const batch: Batch = { x, y, steps: w.steps, batch: w.batch };

const call = {
  train: () => model.trainOnBatch(batch),
  gradients: () => model.gradients(batch),
  predict: () => model.predict(x, batch),
}[w.kind];

// RSS once the addon is loaded and the model built: the part of peak RSS that is not the workload's.
const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
// Warm up, then time repetitions until at least ~3 s or 5 repetitions have passed.
call();
const times: number[] = [];
const started = performance.now();
while (times.length < 5 || (performance.now() - started < 3000 && times.length < 200)) {
  const t0 = performance.now();
  call();
  times.push(performance.now() - t0);
}
times.sort((p, q) => p - q);
const median = times[Math.floor(times.length / 2)]! / 1000;
console.log(
  JSON.stringify({
    peer: 'snu',
    workload: id,
    samplesPerSec: w.batch / median,
    secondsPerCall: median,
    gflops: denseFlops(w) / median / 1e9,
    baselineRssMB,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    repetitions: times.length,
  }),
);
