// The model as plain data: the canonical JSON the native engine parses (crates/snu-core/src/spec.rs).

/** `g`, the SNU state activation. */
export type StateActivation = { kind: 'relu' } | { kind: 'identity' } | { kind: 'leakyRelu'; alpha: number };

/** Pseudo-derivative of the step function, as a function of `z = s + b`. */
export type Surrogate =
  | { kind: 'tanh' }
  | { kind: 'fastSigmoid'; slope: number }
  | { kind: 'rectangular'; width: number }
  | { kind: 'sigmoid'; slope: number };

export interface SnuLayerSpec {
  type: 'snu';
  units: number;
  name?: string;
  output: 'step' | 'sigmoid';
  g: StateActivation;
  recurrent: boolean;
  decay: number;
  trainableDecay: boolean;
  surrogate: Surrogate;
  detachReset: boolean;
  lateralInhibition: boolean;
  initialBias: number;
  /** Dropout on the layer's input while training, in [0, 1). */
  dropout?: number;
}

export interface DenseLayerSpec {
  type: 'dense';
  units: number;
  name?: string;
  activation: 'none' | 'relu' | 'sigmoid' | 'tanh';
  useBias: boolean;
  /** Weight tying: the name of an embedding layer whose transposed matrix is `W`. */
  tiedTo?: string;
  /** Dropout on the layer's input while training, in [0, 1). */
  dropout?: number;
}

export interface EmbeddingLayerSpec {
  type: 'embedding';
  units: number;
  vocabSize: number;
  name?: string;
}

export type LayerSpec = SnuLayerSpec | DenseLayerSpec | EmbeddingLayerSpec;

/**
 * How the last layer's output sequence `[T, B, n]` becomes what the loss sees:
 * `sum` (spike count) or `mean` (rate) over time, `last` step, or the whole `sequence`.
 */
export type Readout = 'sum' | 'mean' | 'last' | 'sequence';

export type LossSpec =
  | { kind: 'softmaxCrossEntropy' }
  | { kind: 'sparseSoftmaxCrossEntropy' }
  | { kind: 'binaryCrossEntropy'; fromLogits: boolean }
  | { kind: 'mse' };

export type OptimizerSpec =
  | { kind: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { kind: 'adam'; lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | { kind: 'adamW'; lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | { kind: 'rmsprop'; lr?: number; rho?: number; eps?: number; momentum?: number; weightDecay?: number };

export interface ModelSpec {
  inputSize: number;
  layers: LayerSpec[];
  readout: Readout;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  clipNorm: number | null;
  tbptt: number | null;
  seed: number;
}
