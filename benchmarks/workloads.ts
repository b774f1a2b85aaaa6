// The benchmark workloads, defined once for snu (the peers mirror them; see peers/README.md).
//   a: 784-256-256-10 SNU, T = 20, batch 64, ~20 % active input spikes; train step (forward, BPTT, Adam)
//   b: one linear + spiking layer, batch 16, T = 500, 1024 or 4096 units; forward + backward
//   c: JSB network 88-150-88, one sequence of 100 steps; train step
//   d: inference only for a

export interface Workload {
  id: string;
  description: string;
  inputSize: number;
  layers: number[];
  steps: number;
  batch: number;
  /** Fraction of active input spikes per step. */
  density: number;
  kind: 'train' | 'gradients' | 'predict';
  readout: 'sum' | 'sequence';
  loss: 'softmaxCrossEntropy' | 'mse' | 'bceLogits';
}

export const WORKLOADS: Record<string, Workload> = {
  a: { id: 'a', description: 'MNIST-sized 784-256-256-10, T=20, B=64, train step', inputSize: 784, layers: [256, 256, 10], steps: 20, batch: 64, density: 0.2, kind: 'train', readout: 'sum', loss: 'softmaxCrossEntropy' },
  'b-1024': { id: 'b-1024', description: 'Open Neuromorphic: 1024 units, T=500, B=16, fwd+bwd', inputSize: 1024, layers: [1024], steps: 500, batch: 16, density: 0.2, kind: 'gradients', readout: 'sum', loss: 'mse' },
  'b-4096': { id: 'b-4096', description: 'Open Neuromorphic: 4096 units, T=500, B=16, fwd+bwd', inputSize: 4096, layers: [4096], steps: 500, batch: 16, density: 0.2, kind: 'gradients', readout: 'sum', loss: 'mse' },
  c: { id: 'c', description: 'JSB 88-150-88, T=100, B=1, train step', inputSize: 88, layers: [150, 88], steps: 100, batch: 1, density: 0.05, kind: 'train', readout: 'sequence', loss: 'bceLogits' },
  d: { id: 'd', description: 'MNIST-sized 784-256-256-10, T=20, B=64, inference', inputSize: 784, layers: [256, 256, 10], steps: 20, batch: 64, density: 0.2, kind: 'predict', readout: 'sum', loss: 'softmaxCrossEntropy' },
};

/**
 * Dense-equivalent floating-point operations of one call: 2·T·B·Σ(m·n) for the forward
 * products, and twice that again for training (weight gradients and input gradients).
 */
export function denseFlops(w: Workload): number {
  let macs = 0;
  let inSize = w.inputSize;
  for (const n of w.layers) {
    macs += inSize * n;
    inSize = n;
  }
  const forward = 2 * w.steps * w.batch * macs;
  return w.kind === 'predict' ? forward : 3 * forward;
}
