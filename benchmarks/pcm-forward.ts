// What a simulated PCM crossbar costs in a forward pass (issue 5: at most 1.5x the ideal
// pass): `predict` on the same model and batch, digital against every weight matrix on a
// crossbar with the docs/design.md §3 defaults (noise and periphery on). Ideal and crossbar calls are
// interleaved so that a change in the machine's speed hits both alike.
//
//   npm run bench:pcm
import { dense, sequential, snu, type Sequential } from '../ts/index.js';
import type { LayerSpec } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

interface Case {
  name: string;
  inputSize: number;
  layers: LayerSpec[];
  steps: number;
  batch: number;
  /** Fraction of inputs that are 1 (the rest 0). */
  density: number;
}

const CASES: Case[] = [
  // The paper's hardware network on JSB-like piano rolls (about 4 of 88 keys down).
  { name: 'JSB SNU 88-150-88', inputSize: 88, layers: [snu({ units: 150 }), dense({ units: 88 })], steps: 128, batch: 32, density: 0.05 },
  // sSNU: the hidden layer's outputs are analog values, so the DAC quantises them.
  { name: 'JSB sSNU 88-150-88', inputSize: 88, layers: [snu({ units: 150, output: 'sigmoid', g: 'identity' }), dense({ units: 88 })], steps: 128, batch: 32, density: 0.05 },
  { name: 'sSNU 512-512-512', inputSize: 512, layers: [snu({ units: 512, output: 'sigmoid', g: 'identity' }), dense({ units: 512 })], steps: 50, batch: 64, density: 0.2 },
];

function timeInterleaved(calls: (() => void)[], seconds = 3): number[] {
  calls.forEach((c) => c());
  const times: number[][] = calls.map(() => []);
  const started = performance.now();
  while (times[0]!.length < 7 || (performance.now() - started < seconds * 1000 && times[0]!.length < 500)) {
    calls.forEach((c, i) => {
      const t0 = performance.now();
      c();
      times[i]!.push(performance.now() - t0);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

const build = (c: Case): Sequential => sequential(c.layers, { inputSize: c.inputSize }).compile({ loss: 'mse', readout: 'sequence', seed: 1 });

console.log('| network | T x B | ideal forward | on PCM (noise + periphery) | ratio |');
console.log('|---|---|---:|---:|---:|');
for (const c of CASES) {
  const rand = seededRandom(2);
  const x = Float32Array.from({ length: c.steps * c.batch * c.inputSize }, () => (rand() < c.density ? 1 : 0));
  const shape = { steps: c.steps, batch: c.batch };
  const [ideal, analog] = [build(c), build(c)];
  analog.analog.program('all', { seed: 3 });
  const [ti, ta] = timeInterleaved([() => ideal.predict(x, shape), () => analog.predict(x, shape)]);
  console.log(`| ${c.name} | ${c.steps} x ${c.batch} | ${ti!.toFixed(2)} ms | ${ta!.toFixed(2)} ms | ${(ta! / ti!).toFixed(2)}x |`);
}
