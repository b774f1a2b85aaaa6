// A real short run for the report tests: a spiking two-layer SNU on a slice of MNIST trained with
// `snu train --report`, and the spikes its report must show, counted here without the report code.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodedDataset, loadMnist, oneHot, rateEncoder, Sequential } from '../ts/index.js';
import { runSnu, writeConfig } from './cli-helpers.js';

export const spikingMnist = {
  task: 'mnist',
  description: 'a short spiking run for the report tests',
  model: {
    layers: [
      { type: 'snu', units: 48, decay: 0.9 },
      { type: 'snu', units: 10, decay: 0.9 },
    ],
    readout: 'sum',
    loss: 'softmaxCrossEntropy',
    optimizer: { kind: 'adam' },
  },
  data: { steps: 8, limit: 512, testLimit: 200, validation: 100, evalBatchSize: 100 },
  train: { epochs: 2, batchSize: 32, lr: 0.005, seed: 1 },
};

/** Trains the run with --report; resolves with its folder and the command's output. */
export async function trainedRun(): Promise<{ dir: string; out: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'snu-report-'));
  const config = writeConfig(cwd, 'spiking', spikingMnist);
  const dir = join(cwd, 'run');
  const r = await runSnu(cwd, ['train', '--config', config, '--out', dir, '--report']);
  if (r.code !== 0) throw new Error(`snu train failed: ${r.err}`);
  return { dir, out: r.out, cwd };
}

/**
 * Spikes per (sample, layer) of `model` on the first `count` test images, rate-coded as the
 * mnist task measures (seed 0, the config's steps), over the first `maxUnits` units.
 */
export async function spikeCounts(checkpoint: string, count: number, maxUnits = 256): Promise<number[][]> {
  const model = await Sequential.load(checkpoint);
  const test = loadMnist('test');
  const set = encodedDataset({ x: test.images, y: oneHot(test.labels, 10), features: 784, encoder: rateEncoder({ steps: spikingMnist.data.steps }) });
  const batch = set.batch(
    Array.from({ length: count }, (_, i) => i),
    0,
  );
  const { layers } = model.predictWithLayers(batch.x, batch);
  return Array.from({ length: count }, (_, s) =>
    layers.map((values) => {
      const units = values.length / (batch.steps * count);
      let n = 0;
      for (let t = 0; t < batch.steps; t++) for (let j = 0; j < Math.min(units, maxUnits); j++) n += values[(t * count + s) * units + j] !== 0 ? 1 : 0;
      return n;
    }),
  );
}
