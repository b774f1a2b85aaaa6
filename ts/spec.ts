// The model as plain data: the canonical JSON the native engine parses (crates/snu-core/src/spec.rs).

/** `g`, the SNU state activation. */
export type StateActivation = { kind: 'relu' } | { kind: 'identity' } | { kind: 'leakyRelu'; alpha: number };

/** Pseudo-derivative of the step function, as a function of `z = s + b`. */
export type Surrogate =
  | { kind: 'tanh' }
  | { kind: 'fastSigmoid'; slope: number }
  | { kind: 'rectangular'; width: number }
  | { kind: 'sigmoid'; slope: number };

/**
 * An SNU layer as the engine takes it: what `snu()` returns, every option filled in (see `SnuConfig`).
 *
 * @example
 * ```ts
 * const spec: SnuLayerSpec = snu({ units: 10 });
 * spec.decay; // 0.8
 * ```
 */
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

/**
 * A dense layer as the engine takes it: what `dense()` returns (see `DenseConfig`).
 *
 * @example
 * ```ts
 * const spec: DenseLayerSpec = dense({ units: 10 });
 * spec.activation; // 'none'
 * ```
 */
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

/**
 * An embedding layer as the engine takes it: what `embedding()` returns (see `EmbeddingConfig`).
 *
 * @example
 * ```ts
 * const spec: EmbeddingLayerSpec = embedding({ vocabSize: 10000, units: 200 });
 * ```
 */
export interface EmbeddingLayerSpec {
  type: 'embedding';
  units: number;
  vocabSize: number;
  name?: string;
  /** Initial weights uniform in `[-initRange, initRange]` (default 0.1). */
  initRange?: number;
}

/**
 * Any layer spec: the list `sequential` takes.
 *
 * @example
 * ```ts
 * const layers: LayerSpec[] = [snu({ units: 256 }), dense({ units: 10 })];
 * ```
 */
export type LayerSpec = SnuLayerSpec | DenseLayerSpec | EmbeddingLayerSpec;

/**
 * How the last layer's output sequence `[T, B, n]` becomes what the loss sees:
 * `sum` (spike count) or `mean` (rate) over time, `last` step, or the whole `sequence`.
 */
export type Readout = 'sum' | 'mean' | 'last' | 'sequence';

/**
 * A loss with its options; `compile` also takes the names `'softmaxCrossEntropy'`,
 * `'sparseSoftmaxCrossEntropy'`, `'binaryCrossEntropy'` (from probabilities) and `'mse'`.
 *
 * @example
 * ```ts
 * const loss: LossSpec = { kind: 'binaryCrossEntropy', fromLogits: true };
 * model.compile({ loss, readout: 'sequence' });
 * ```
 */
export type LossSpec =
  | { kind: 'softmaxCrossEntropy' }
  | { kind: 'sparseSoftmaxCrossEntropy' }
  | { kind: 'binaryCrossEntropy'; fromLogits: boolean }
  | { kind: 'mse' };

/**
 * An optimizer with its options, as `sgd`, `adam`, `adamW` and `rmsprop` make them.
 *
 * @example
 * ```ts
 * const optimizer: OptimizerSpec = { kind: 'sgd', lr: 0.1, momentum: 0.9 }; // the same as sgd({ lr: 0.1, momentum: 0.9 })
 * ```
 */
export type OptimizerSpec =
  | { kind: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { kind: 'adam'; lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | { kind: 'adamW'; lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
  | { kind: 'rmsprop'; lr?: number; rho?: number; eps?: number; momentum?: number; weightDecay?: number };

/**
 * A whole model as plain data: what `Sequential.spec` returns and a checkpoint stores.
 *
 * @example
 * ```ts
 * const spec: ModelSpec = model.spec;
 * console.log(spec.inputSize, spec.layers.length, spec.readout, spec.loss.kind);
 * ```
 */
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
