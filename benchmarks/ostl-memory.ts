// Peak memory of one training step against the sequence length T, for BPTT and for OSTL (issue
// 20): one SNU layer of 256 units (256 inputs, 20 % spikes) and a dense readout of 10 at every
// step, batch 16. Each measurement runs in a child process of its own, so that its peak RSS is
// its own; the step's memory is the peak minus the RSS before the step (addon, model and data
// loaded). On demand, not in CI:
//
//   npx tsx benchmarks/ostl-memory.ts [--steps 100,1000,10000] [--every 100]
//
// Prints a plot-ready table (Markdown) and one JSON line per measurement.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { adam, dense, sequential, snu } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

const UNITS = 256;
const BATCH = 16;
const OUTPUTS = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const MB = 2 ** 20;

/** One step of `method` over `steps` steps, in this process. */
function child(method: string, steps: number, every: number): void {
  const model = sequential([snu({ units: UNITS }), dense({ units: OUTPUTS })], { inputSize: UNITS }).compile({
    loss: 'mse',
    readout: 'sequence',
    optimizer: adam({ lr: 1e-3 }),
    seed: 1,
  });
  if (method === 'ostl') model.setTrainingMethod('ostl', { updateEvery: every });
  if (method === 'ostl-whole') model.setTrainingMethod('ostl');
  const rand = seededRandom(1);
  const x = new Float32Array(steps * BATCH * UNITS);
  for (let i = 0; i < x.length; i++) x[i] = rand() < 0.2 ? 1 : 0;
  const y = new Float32Array(steps * BATCH * OUTPUTS);
  for (let i = 0; i < y.length; i++) y[i] = rand();
  const before = process.memoryUsage().rss / MB;
  const t0 = performance.now();
  model.trainOnBatch({ x, y, steps, batch: BATCH });
  const seconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ method, steps, every: method === 'ostl' ? every : null, beforeMB: before, peakMB: peak, stepMB: peak - before, seconds }));
}

if (process.argv[2] === '--child') {
  child(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
} else {
  const stepsList = arg('steps', '100,1000,10000').split(',').map(Number);
  const every = Number(arg('every', '100'));
  const rows: Record<string, unknown>[] = [];
  for (const steps of stepsList) {
    for (const method of ['bptt', 'ostl', 'ostl-whole']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', method, String(steps), String(every)], { encoding: 'utf8' });
      const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`${method} T=${steps} failed: ${r.stderr}`);
      console.log(line);
      rows.push(JSON.parse(line));
    }
  }
  const label = { bptt: 'BPTT', ostl: `OSTL, update every ${every} steps`, 'ostl-whole': 'OSTL, one update per batch' } as Record<string, string>;
  console.log(`\n| T | method | step's peak memory (MB) | seconds per step |\n|---:|---|---:|---:|`);
  for (const r of rows) console.log(`| ${r.steps} | ${label[r.method as string]} | ${(r.stepMB as number).toFixed(0)} | ${(r.seconds as number).toFixed(3)} |`);
}
