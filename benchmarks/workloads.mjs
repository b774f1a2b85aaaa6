// The benchmark workloads (benchmarks/workloads.json) and their dense-equivalent FLOPs, for the
// JavaScript runners; peers/peer_harness.py reads the same JSON.
//   a: 784-256-256-10 SNU, T = 20, batch 64, ~20 % active input spikes; train step (forward, BPTT, Adam)
//   b: one linear + spiking layer, batch 16, T = 500, 1024 or 4096 units; forward + backward
//   c: JSB network 88-150-88, one sequence of 100 steps; train step
//   d: inference only for a
//   e: the MNIST conv network, 2 SNU convolutions with pooling then 128-10 SNU, T = 30, batch 64; train step
//   f: 128-256-10 with an SNU, an LSTM or a GRU of 256 (f-snu, f-lstm, f-gru), T = 100, batch 32; train step
import { readFileSync } from 'node:fs';

const data = JSON.parse(readFileSync(new URL('./workloads.json', import.meta.url), 'utf8'));

/** id -> { description, inputSize, layers, steps, batch, density, kind, readout, loss, conv?, cell? } */
export const WORKLOADS = Object.fromEntries(Object.entries(data.workloads).map(([id, w]) => [id, { id, ...w }]));

/** The unit every library builds: decay, initial bias, and Adam's learning rate. */
export const UNIT = data.unit;

/** The unit of workload `w`: UNIT with the workload's own initial bias, if it sets one. */
export function unitOf(w) {
  return { ...UNIT, initialBias: w.initialBias ?? UNIT.initialBias };
}

/** Gate blocks of a recurrent cell: `W` is `[m, G n]`, `H` `[n, G n]`. */
export const CELL_GATES = { lstm: 4, gru: 3 };

/**
 * Dense-equivalent floating-point operations of one call: 2·T·B·(multiply-adds) for the forward
 * products, Σ m·n over dense layers, G·n·(m + n) over recurrent cells (`W` and `H`) and
 * Σ F·OH·OW·C·K² over convolutions (pooling not counted), and three times that for a call with
 * a backward pass (weight and input gradients).
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
  w.layers.forEach((n, i) => {
    const gates = w.cell && i < w.layers.length - 1 ? CELL_GATES[w.cell] : 0;
    macs += gates ? gates * n * (m + n) : m * n;
    m = n;
  });
  const forward = 2 * w.steps * w.batch * macs;
  return w.kind === 'predict' ? forward : 3 * forward;
}
