// Types of workloads.mjs, for snu-bench.ts.
export interface Workload {
  id: string;
  description: string;
  inputSize: number;
  /** Images `[C, H, W]` per step, for a workload with `conv`. */
  inputShape?: [number, number, number];
  /** SNU convolutions before `layers` (stride 1), each followed by `pool` x `pool` average pooling. */
  conv?: { filters: number; kernel: number; padding: number; pool: number }[];
  /** The initial bias of every SNU layer, when not UNIT's. */
  initialBias?: number;
  /** The dense SNU layers (after the convolutions, flattened); with `cell`, that cell's widths and then the dense output's. */
  layers: number[];
  /** Every layer but the last is this recurrent cell, the last a dense output. */
  cell?: 'lstm' | 'gru';
  steps: number;
  batch: number;
  /** Fraction of active input spikes per step. */
  density: number;
  kind: 'train' | 'gradients' | 'predict';
  readout: 'sum' | 'sequence' | 'last';
  loss: 'softmaxCrossEntropy' | 'mse' | 'bceLogits';
}
export const WORKLOADS: Record<string, Workload>;
export const UNIT: { decay: number; initialBias: number; lr: number };
export function unitOf(w: Workload): { decay: number; initialBias: number; lr: number };
export function denseFlops(w: Workload): number;
export const CELL_GATES: Record<'lstm' | 'gru', number>;
