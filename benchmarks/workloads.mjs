// The benchmark workloads (benchmarks/workloads.json) and their dense-equivalent FLOPs, for the
// JavaScript runners; peers/peer_harness.py reads the same JSON.
//   a: 784-256-256-10 SNU, T = 20, batch 64, ~20 % active input spikes; train step (forward, BPTT, Adam)
//   b: one linear + spiking layer, batch 16, T = 500, 1024 or 4096 units; forward + backward
//   c: JSB network 88-150-88, one sequence of 100 steps; train step
//   d: inference only for a
//   e: the MNIST conv network, 2 SNU convolutions with pooling then 128-10 SNU, T = 30, batch 64; train step
import { readFileSync } from 'node:fs';

const data = JSON.parse(readFileSync(new URL('./workloads.json', import.meta.url), 'utf8'));

/** id -> { description, inputSize, layers, steps, batch, density, kind, readout, loss } */
export const WORKLOADS = Object.fromEntries(Object.entries(data.workloads).map(([id, w]) => [id, { id, ...w }]));

/** The unit every library builds: decay, initial bias, and Adam's learning rate. */
export const UNIT = data.unit;

/** The unit of workload `w`: UNIT with the workload's own initial bias, if it sets one. */
export function unitOf(w) {
  return { ...UNIT, initialBias: w.initialBias ?? UNIT.initialBias };
}

/**
 * Dense-equivalent floating-point operations of one call: 2·T·B·(multiply-adds) for the forward
 * products, Σ m·n over dense layers and Σ F·OH·OW·C·K² over convolutions (pooling not counted),
 * and three times that for a call with a backward pass (weight and input gradients).
 */
export function denseFlops(w) {
  let macs = 0;
  let m = w.inputSize;
  if (w.conv) {
    let [c, h, wd] = w.inputShape;
    for (const { filters, kernel, padding, pool } of w.conv) {
      const [oh, ow] = [h + 2 * padding - kernel + 1, wd + 2 * padding - kernel + 1];
      macs += filters * oh * ow * c * kernel * kernel;
      [c, h, wd] = [filters, Math.floor(oh / pool), Math.floor(ow / pool)];
    }
    m = c * h * wd;
  }
  for (const n of w.layers) {
    macs += m * n;
    m = n;
  }
  const forward = 2 * w.steps * w.batch * macs;
  return w.kind === 'predict' ? forward : 3 * forward;
}
