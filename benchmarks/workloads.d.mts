// Types of workloads.mjs, for snu-bench.ts.
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
export const WORKLOADS: Record<string, Workload>;
export const UNIT: { decay: number; initialBias: number; lr: number };
export function denseFlops(w: Workload): number;
