// Layer builders: typed configs turned into canonical specs. The defaults, the field names and
// the allowed values come from the engine (ts/generated/spec.ts), so a default lives in Rust only.
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkObject, checkOneOf, describe } from './checks.js';
import { DENSE_ACTIVATIONS, LAYER_DEFAULTS, LAYER_FIELDS, OUTPUTS, STATE_ACTIVATIONS, SURROGATES } from './generated/spec.js';
import { MAX_WIDTH, NAME_SEPARATOR } from './generated/limits.js';
import type { DenseActivation, DenseLayerSpec, EmbeddingLayerSpec, LayerSpec, OutputActivation, SnuLayerSpec, StateActivation, Surrogate } from './spec.js';

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
  output?: OutputActivation;
  /** State activation `g`. Default `'relu'`; `'leakyRelu'` alone has `alpha` 0.01. */
  g?: StateActivation['kind'] | StateActivation;
  /** Add recurrent weights `H`: `a_t += y_{t-1} H`. Default false. */
  recurrent?: boolean;
  /** Decay `l` in [0, 1) (`l = 1 - dt/tau`). Default 0.8. */
  decay?: number;
  /** One trainable decay per unit (kept in [0, 1)). Default false. */
  trainableDecay?: boolean;
  /** Pseudo-derivative of the step. Default `'tanh'` (`1 - tanh(z)^2`); by name, `fastSigmoid` and `sigmoid` have slope 25, `rectangular` width 1. */
  surrogate?: Surrogate['kind'] | Surrogate;
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
  activation?: DenseActivation;
  /** Default true. */
  useBias?: boolean;
  /** Weight tying: use the transposed matrix of the named `embedding` layer as `W`. */
  tiedTo?: string;
  /** Dropout on the layer's input while training (see `SnuConfig.dropout`). Default 0. */
  dropout?: number;
}

/** The option names of a layer type: its spec's fields but `type`. */
const optionsOf = (type: keyof typeof LAYER_FIELDS): readonly string[] => LAYER_FIELDS[type].filter((f) => f !== 'type');

/** A name or a `{ kind, ... }` object of one of `table`'s kinds, with the kind's defaults under the given fields. */
function byKind<T>(what: string, value: unknown, table: Record<string, object>, fallback: string, noun: string): T {
  const kinds = Object.keys(table);
  if (value === undefined) return { ...table[fallback] } as T;
  if (typeof value === 'string') return { ...table[checkOneOf(what, value, kinds)] } as T;
  const o = checkObject(what, value);
  const kind = checkOneOf(`${what}.kind`, o.kind, kinds);
  const defaults = table[kind] as Record<string, unknown>;
  checkKeys(what, o, Object.keys(defaults), noun);
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(o)) if (k !== 'kind') out[k] = checkNumber(`${what}.${k}`, v);
  return out as T;
}

/** The layer name, when given: a non-empty string without NAME_SEPARATOR (parameters are `<name>.W`). */
function layerName(what: string, name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || name === '' || name.includes(NAME_SEPARATOR)) {
    throw new TypeError(`${what}.name: expected a non-empty name without '${NAME_SEPARATOR}', got ${describe(name)}`);
  }
  return name;
}

/**
 * An SNU layer (docs/design.md §1): `snu({ units: 256 })`, `snu({ units: 88, output: 'sigmoid' })`.
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
  return snuAt('snu', config, 'option');
}

function snuAt(at: string, config: unknown, noun: string): SnuLayerSpec {
  const c = checkObject(at, config);
  checkKeys(at, c, optionsOf('snu'), noun);
  const d = LAYER_DEFAULTS.snu;
  const spec: SnuLayerSpec = {
    type: 'snu',
    units: checkInteger(`${at}.units`, c.units, 1, MAX_WIDTH),
    output: checkOneOf(`${at}.output`, c.output ?? d.output, OUTPUTS),
    g: byKind<StateActivation>(`${at}.g`, c.g, STATE_ACTIVATIONS, d.g.kind, noun),
    recurrent: checkBoolean(`${at}.recurrent`, c.recurrent, d.recurrent),
    decay: checkNumber(`${at}.decay`, c.decay ?? d.decay, { min: 0, below: 1 }),
    trainableDecay: checkBoolean(`${at}.trainableDecay`, c.trainableDecay, d.trainableDecay),
    surrogate: byKind<Surrogate>(`${at}.surrogate`, c.surrogate, SURROGATES, d.surrogate.kind, noun),
    detachReset: checkBoolean(`${at}.detachReset`, c.detachReset, d.detachReset),
    lateralInhibition: checkBoolean(`${at}.lateralInhibition`, c.lateralInhibition, d.lateralInhibition),
    initialBias: checkNumber(`${at}.initialBias`, c.initialBias ?? d.initialBias),
  };
  const name = layerName(at, c.name);
  if (name !== undefined) spec.name = name;
  if (c.dropout !== undefined) spec.dropout = checkNumber(`${at}.dropout`, c.dropout, { min: 0, below: 1 });
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
  return denseAt('dense', config, 'option');
}

function denseAt(at: string, config: unknown, noun: string): DenseLayerSpec {
  const c = checkObject(at, config);
  checkKeys(at, c, optionsOf('dense'), noun);
  const d = LAYER_DEFAULTS.dense;
  const spec: DenseLayerSpec = {
    type: 'dense',
    units: checkInteger(`${at}.units`, c.units, 1, MAX_WIDTH),
    activation: checkOneOf(`${at}.activation`, c.activation ?? d.activation, DENSE_ACTIVATIONS),
    useBias: checkBoolean(`${at}.useBias`, c.useBias, d.useBias),
  };
  const name = layerName(at, c.name);
  if (name !== undefined) spec.name = name;
  if (c.tiedTo !== undefined) spec.tiedTo = layerName(`${at}.tiedTo`, c.tiedTo)!;
  if (c.dropout !== undefined) spec.dropout = checkNumber(`${at}.dropout`, c.dropout, { min: 0, below: 1 });
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
  return embeddingAt('embedding', config, 'option');
}

function embeddingAt(at: string, config: unknown, noun: string): EmbeddingLayerSpec {
  const c = checkObject(at, config);
  checkKeys(at, c, optionsOf('embedding'), noun);
  const spec: EmbeddingLayerSpec = {
    type: 'embedding',
    vocabSize: checkInteger(`${at}.vocabSize`, c.vocabSize, 1, MAX_WIDTH),
    units: checkInteger(`${at}.units`, c.units, 1, MAX_WIDTH),
  };
  const name = layerName(at, c.name);
  if (name !== undefined) spec.name = name;
  if (c.initRange !== undefined) {
    spec.initRange = checkNumber(`${at}.initRange`, c.initRange, { above: 0, max: 100 });
  }
  return spec;
}

/** Each layer type's builder, taking the path its errors name and what a key is called there. */
const BUILDERS: { [T in LayerSpec['type']]: (at: string, config: unknown, noun: string) => Extract<LayerSpec, { type: T }> } = {
  snu: snuAt,
  dense: denseAt,
  embedding: embeddingAt,
};

/**
 * @internal A layer from plain data (`{ type: 'snu', units: 8, ... }`, as in a config file):
 * the builder of its `type`, with errors naming `at` (`model.layers[0].decay: ...`) and calling
 * an unknown key an `option` (or a config file's `field`).
 */
export function layerFromConfig(at: string, value: unknown, noun = 'option'): LayerSpec {
  const o = checkObject(at, value);
  const type = checkOneOf(`${at}.type`, o.type, Object.keys(BUILDERS) as LayerSpec['type'][]);
  const { type: _, ...options } = o;
  return BUILDERS[type](at, options, noun);
}
