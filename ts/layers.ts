// Layer builders: typed configs with the defaults of DESIGN §1, turned into canonical specs.
import { checkInteger, checkNumber, checkOneOf } from './checks.js';
import type { DenseLayerSpec, EmbeddingLayerSpec, SnuLayerSpec, StateActivation, Surrogate } from './spec.js';

/**
 * Options of an SNU layer. Only `units` is required.
 *
 * @example
 * ```ts
 * const config: SnuConfig = { units: 256, output: 'sigmoid', g: 'identity', decay: 0.9, dropout: 0.2 };
 * const layer = snu(config);
 * ```
 */
export interface SnuConfig {
  /** Number of units `n`. */
  units: number;
  /** Layer name; parameters are named `<name>.W`, `<name>.H`, `<name>.b`, `<name>.decay`. */
  name?: string;
  /** `'step'` is the spiking SNU, `'sigmoid'` the soft sSNU. Default `'step'`. */
  output?: 'step' | 'sigmoid';
  /** State activation `g`. Default `'relu'`. */
  g?: 'relu' | 'identity' | 'leakyRelu' | StateActivation;
  /** Add recurrent weights `H`: `a_t += y_{t-1} H`. Default false. */
  recurrent?: boolean;
  /** Decay `l` in [0, 1) (`l = 1 - dt/tau`). Default 0.8. */
  decay?: number;
  /** One trainable decay per unit (kept in [0, 1)). Default false. */
  trainableDecay?: boolean;
  /** Pseudo-derivative of the step. Default `'tanh'` (`1 - tanh(z)^2`). */
  surrogate?: 'tanh' | 'fastSigmoid' | 'rectangular' | 'sigmoid' | Surrogate;
  /** Stop the gradient at the reset gate `(1 - y_{t-1})`. Default false. */
  detachReset?: boolean;
  /** Any spike resets the whole layer (`1 - max_j y_{t-1,j}`). Default false. */
  lateralInhibition?: boolean;
  /** Initial bias `b` (threshold `-b`). Default -1. */
  initialBias?: number;
  /**
   * Dropout on the layer's input while training: each input of each step is zeroed with this
   * probability and the rest scaled by `1/(1 - dropout)`; prediction never drops. The
   * recurrence and the reset are never dropped. Default 0.
   */
  dropout?: number;
}

/**
 * Options of a dense (affine, per time step) layer. Only `units` is required.
 *
 * @example
 * ```ts
 * const config: DenseConfig = { units: 88, activation: 'sigmoid', dropout: 0.2 };
 * const layer = dense(config);
 * ```
 */
export interface DenseConfig {
  /** Number of outputs. */
  units: number;
  /** Layer name; parameters are named `<name>.W` and `<name>.b`. */
  name?: string;
  /** Default `'none'`. */
  activation?: 'none' | 'relu' | 'sigmoid' | 'tanh';
  /** Default true. */
  useBias?: boolean;
  /** Weight tying: use the transposed matrix of the named `embedding` layer as `W`. */
  tiedTo?: string;
  /** Dropout on the layer's input while training (see `SnuConfig.dropout`). Default 0. */
  dropout?: number;
}

function stateActivation(g: SnuConfig['g']): StateActivation {
  if (g === undefined || g === 'relu') return { kind: 'relu' };
  if (g === 'identity') return { kind: 'identity' };
  if (g === 'leakyRelu') return { kind: 'leakyRelu', alpha: 0.01 };
  if (typeof g === 'object' && g !== null) return g;
  return { kind: checkOneOf('g', g, ['relu', 'identity', 'leakyRelu'] as const) } as StateActivation;
}

function surrogate(s: SnuConfig['surrogate']): Surrogate {
  switch (s) {
    case undefined:
    case 'tanh':
      return { kind: 'tanh' };
    case 'fastSigmoid':
      return { kind: 'fastSigmoid', slope: 25 };
    case 'rectangular':
      return { kind: 'rectangular', width: 1 };
    case 'sigmoid':
      return { kind: 'sigmoid', slope: 25 };
    default:
      if (typeof s === 'object' && s !== null) return s;
      checkOneOf('surrogate', s, ['tanh', 'fastSigmoid', 'rectangular', 'sigmoid'] as const);
      throw new Error('unreachable');
  }
}

/**
 * An SNU layer (DESIGN §1): `snu({ units: 256 })`, `snu({ units: 88, output: 'sigmoid' })`.
 * Returns the layer's spec with every default filled in; the equations are in docs/equations.md.
 *
 * @example
 * ```ts
 * const spiking = snu({ units: 256, decay: 0.9 });                       // SNU: step output, spikes
 * const soft = snu({ units: 256, output: 'sigmoid', recurrent: true });  // sSNU with recurrent weights H
 * const tuned = snu({ units: 100, surrogate: 'fastSigmoid', lateralInhibition: true, initialBias: -0.5 });
 * ```
 */
export function snu(config: SnuConfig): SnuLayerSpec {
  if (typeof config !== 'object' || config === null) throw new TypeError('snu: expected a config object');
  const spec: SnuLayerSpec = {
    type: 'snu',
    units: checkInteger('snu.units', config.units, 1),
    output: checkOneOf('snu.output', config.output ?? 'step', ['step', 'sigmoid'] as const),
    g: stateActivation(config.g),
    recurrent: config.recurrent ?? false,
    decay: checkNumber('snu.decay', config.decay ?? 0.8, 0, 0.9999999),
    trainableDecay: config.trainableDecay ?? false,
    surrogate: surrogate(config.surrogate),
    detachReset: config.detachReset ?? false,
    lateralInhibition: config.lateralInhibition ?? false,
    initialBias: checkNumber('snu.initialBias', config.initialBias ?? -1),
  };
  if (config.name !== undefined) spec.name = config.name;
  if (config.dropout !== undefined) spec.dropout = checkNumber('snu.dropout', config.dropout, 0, 0.9999999);
  return spec;
}

/**
 * A dense layer applied at every step: `y_t = act(x_t W + b)`.
 *
 * @example
 * ```ts
 * const model = sequential([snu({ units: 150 }), dense({ units: 88 })], { inputSize: 88 })
 *   .compile({ loss: { kind: 'binaryCrossEntropy', fromLogits: true }, readout: 'sequence' });
 * ```
 */
export function dense(config: DenseConfig): DenseLayerSpec {
  if (typeof config !== 'object' || config === null) throw new TypeError('dense: expected a config object');
  const spec: DenseLayerSpec = {
    type: 'dense',
    units: checkInteger('dense.units', config.units, 1),
    activation: checkOneOf('dense.activation', config.activation ?? 'none', ['none', 'relu', 'sigmoid', 'tanh'] as const),
    useBias: config.useBias ?? true,
  };
  if (config.name !== undefined) spec.name = config.name;
  if (config.tiedTo !== undefined) spec.tiedTo = config.tiedTo;
  if (config.dropout !== undefined) spec.dropout = checkNumber('dense.dropout', config.dropout, 0, 0.9999999);
  return spec;
}

/**
 * Options of an embedding layer.
 *
 * @example
 * ```ts
 * const config: EmbeddingConfig = { name: 'words', vocabSize: 10000, units: 200 };
 * const layer = embedding(config);
 * ```
 */
export interface EmbeddingConfig {
  /** Number of token ids, `0 .. vocabSize - 1`. */
  vocabSize: number;
  /** Width of the vectors. */
  units: number;
  /** Layer name; the matrix is `<name>.E`, `[vocabSize, units]`. */
  name?: string;
  /**
   * Initial weights are uniform in `[-initRange, initRange]`, in (0, 100]; default 0.1. Spiking
   * layers after the embedding fire only once `E[id] W` reaches their threshold, so a larger range
   * gets spikes (and information) through from the first step.
   */
  initRange?: number;
}

/**
 * Token ids to vectors, `y_t = E[id_t]`: the first layer of a language model, with
 * `inputSize: 1` (the input holds one token id per step and sample). A later
 * `dense({ units: vocabSize, tiedTo: name })` shares `E` as its output weights (weight tying).
 *
 * @example
 * ```ts
 * const lm = sequential([embedding({ name: 'words', vocabSize: 10000, units: 200 }),
 *   snu({ units: 200, output: 'sigmoid', recurrent: true }), dense({ units: 10000, tiedTo: 'words' })], { inputSize: 1 });
 * ```
 */
export function embedding(config: EmbeddingConfig): EmbeddingLayerSpec {
  if (typeof config !== 'object' || config === null) throw new TypeError('embedding: expected a config object');
  const spec: EmbeddingLayerSpec = {
    type: 'embedding',
    vocabSize: checkInteger('embedding.vocabSize', config.vocabSize, 1),
    units: checkInteger('embedding.units', config.units, 1),
  };
  if (config.name !== undefined) spec.name = config.name;
  if (config.initRange !== undefined) {
    const range = checkNumber('embedding.initRange', config.initRange, 0, 100);
    if (range === 0) throw new RangeError('embedding.initRange: expected a number in (0, 100], got 0');
    spec.initRange = range;
  }
  return spec;
}
