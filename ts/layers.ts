// Layer builders: typed configs turned into canonical specs. The defaults, the field names and
// the allowed values come from the engine (ts/generated/spec.ts), so a default lives in Rust only.
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkObject, checkOneOf, describe } from './checks.js';
import { DENSE_ACTIVATIONS, LAYER_DEFAULTS, LAYER_FIELDS, OUTPUTS, POOL_KINDS, STATE_ACTIVATIONS, SURROGATES } from './generated/spec.js';
import { MAX_WIDTH, NAME_SEPARATOR } from './generated/limits.js';
import type { Conv2dLayerSpec, SnuConv2dLayerSpec, DenseActivation, DenseLayerSpec, EmbeddingLayerSpec, FlattenLayerSpec, GruLayerSpec, LayerSpec, LstmLayerSpec, RnnLayerSpec, OutputActivation, Pool2dLayerSpec, PoolKind, SnuLayerSpec, StateActivation, Surrogate } from './spec.js';

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
  /** Decay `l` in [0, 1] (`l = 1 - dt/tau`; 1: no leak, integrate-and-fire), below 1 when trainable. Default 0.8. */
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
   * A trainable constant input current `c` (parameter `<name>.c`, one per unit, one per filter
   * for `snuConv2d`, starting at 0): `a_t += c` at every step. NIR's `Affine` biases into a
   * neuron are this. Default false.
   */
  inputBias?: boolean;
  /**
   * `α` in [0, 1): a synaptic current between the input and the membrane, as NIR's CubaLIF and
   * snnTorch's `Synaptic`: `i_t = α i_{t-1} + u_t`, `a_t = i_t + l ⊙ s_{t-1} ⊙ (1 - y_{t-1})`,
   * where `u_t` is the input term (`x_t W`, `y_{t-1} H`, `c`). Default 0 (none).
   */
  synapse?: number;
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
    ...unitOptions(at, c, noun, LAYER_DEFAULTS.snu),
    recurrent: checkBoolean(`${at}.recurrent`, c.recurrent, d.recurrent),
  };
  return named(at, c, spec);
}

/** The SNU unit's options (`output`, `g`, decay, surrogate, reset, bias) with the engine's defaults. */
function unitOptions(at: string, c: Record<string, unknown>, noun: string, d: typeof LAYER_DEFAULTS.snu | typeof LAYER_DEFAULTS.snuConv2d) {
  const trainableDecay = checkBoolean(`${at}.trainableDecay`, c.trainableDecay, d.trainableDecay);
  return {
    output: checkOneOf(`${at}.output`, c.output ?? d.output, OUTPUTS),
    g: byKind<StateActivation>(`${at}.g`, c.g, STATE_ACTIVATIONS, d.g.kind, noun),
    // A fixed decay may be 1 (no leak); a trainable one is kept below 1.
    decay: checkNumber(`${at}.decay`, c.decay ?? d.decay, trainableDecay ? { min: 0, below: 1 } : { min: 0, max: 1 }),
    trainableDecay,
    surrogate: byKind<Surrogate>(`${at}.surrogate`, c.surrogate, SURROGATES, d.surrogate.kind, noun),
    detachReset: checkBoolean(`${at}.detachReset`, c.detachReset, d.detachReset),
    lateralInhibition: checkBoolean(`${at}.lateralInhibition`, c.lateralInhibition, d.lateralInhibition),
    initialBias: checkNumber(`${at}.initialBias`, c.initialBias ?? d.initialBias),
    // Left out of the spec when not given, as the engine leaves them out of its own.
    ...(c.inputBias === undefined ? {} : { inputBias: checkBoolean(`${at}.inputBias`, c.inputBias) }),
    ...(c.synapse === undefined ? {} : { synapse: checkNumber(`${at}.synapse`, c.synapse, { min: 0, below: 1 }) }),
  };
}

/** `spec` with the layer's `name` and `dropout`, when given. */
function named<T extends { name?: string | null; dropout?: number }>(at: string, c: Record<string, unknown>, spec: T): T {
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

/** A size per axis: one number for both, or `[height, width]`. */
export type Size2 = number | readonly [number, number];

/** `[h, w]` from a `Size2` of integers from `min`. */
function size2(what: string, value: unknown, min: number): [number, number] {
  if (typeof value === 'number') {
    const v = checkInteger(what, value, min, MAX_WIDTH);
    return [v, v];
  }
  if (!Array.isArray(value) || value.length !== 2) throw new TypeError(`${what}: expected a number or [height, width], got ${describe(value)}`);
  return [checkInteger(`${what}[0]`, value[0], min, MAX_WIDTH), checkInteger(`${what}[1]`, value[1], min, MAX_WIDTH)];
}

/**
 * Options of a 2-D convolution layer. `filters` and `kernelSize` are required; a size is one
 * number for both axes or `[height, width]`.
 *
 * @example
 * ```ts
 * const config: Conv2dConfig = { filters: 32, kernelSize: 5, padding: 2, activation: 'relu' };
 * const layer = conv2d(config);
 * ```
 */
export interface Conv2dConfig {
  /** Output channels. */
  filters: number;
  /** The kernel, `KH x KW`. */
  kernelSize: Size2;
  /** Layer name; parameters are named `<name>.W` (`[filters, C, KH, KW]`) and `<name>.b`. */
  name?: string;
  /** Default 1. */
  stride?: Size2;
  /** Zeros added on each side. Default 0. */
  padding?: Size2;
  /** Spacing of the kernel's taps. Default 1. */
  dilation?: Size2;
  /** Default `'none'`. */
  activation?: DenseActivation;
  /** One bias per filter. Default true. */
  useBias?: boolean;
  /** Dropout on the layer's input while training (see `SnuConfig.dropout`). Default 0. */
  dropout?: number;
}

/**
 * A 2-D convolution applied at every time step to channels-first images `[C, H, W]`:
 * `y_t = act(conv(x_t, W) + b)`, the output `[filters, OH, OW]` with
 * `OH = floor((H + 2 padding - dilation (KH - 1) - 1) / stride) + 1` (likewise `OW`). The model
 * gives the first layer's images with `inputShape`. A geometry whose im2col columns for one
 * image (`C KH KW x OH OW` values) would exceed `MAX_VALUES` is refused when the model is
 * compiled.
 *
 * @example
 * ```ts
 * const model = sequential([conv2d({ filters: 16, kernelSize: 5, padding: 2, activation: 'relu' }), maxPool2d({ poolSize: 2 }), flatten(), snu({ units: 10 })], { inputShape: [1, 28, 28] });
 * ```
 */
export function conv2d(config: Conv2dConfig): Conv2dLayerSpec {
  return conv2dAt('conv2d', config, 'option');
}

function conv2dAt(at: string, config: unknown, noun: string): Conv2dLayerSpec {
  const c = checkObject(at, config);
  checkKeys(at, c, optionsOf('conv2d'), noun);
  const d = LAYER_DEFAULTS.conv2d;
  const spec: Conv2dLayerSpec = {
    type: 'conv2d',
    ...convGeometry(at, c, d),
    activation: checkOneOf(`${at}.activation`, c.activation ?? d.activation, DENSE_ACTIVATIONS),
    useBias: checkBoolean(`${at}.useBias`, c.useBias, d.useBias),
  };
  return named(at, c, spec);
}

/** A convolution's `filters`, `kernelSize`, `stride`, `padding` and `dilation`, sizes as `[h, w]`. */
function convGeometry(at: string, c: Record<string, unknown>, d: typeof LAYER_DEFAULTS.conv2d | typeof LAYER_DEFAULTS.snuConv2d) {
  return {
    filters: checkInteger(`${at}.filters`, c.filters, 1, MAX_WIDTH),
    kernelSize: size2(`${at}.kernelSize`, c.kernelSize, 1),
    stride: size2(`${at}.stride`, c.stride ?? d.stride, 1),
    padding: size2(`${at}.padding`, c.padding ?? d.padding, 0),
    dilation: size2(`${at}.dilation`, c.dilation ?? d.dilation, 1),
  };
}

/**
 * Options of an SNU convolution: those of `conv2d` for the input term (`filters` and
 * `kernelSize` required) and those of `snu` for the unit (no recurrent weights).
 *
 * @example
 * ```ts
 * const config: SnuConv2dConfig = { filters: 32, kernelSize: 5, padding: 2, decay: 0.9, output: 'sigmoid' };
 * const layer = snuConv2d(config);
 * ```
 */
export interface SnuConv2dConfig extends Omit<Conv2dConfig, 'activation' | 'useBias'>, Omit<SnuConfig, 'units' | 'recurrent' | 'name' | 'dropout'> {}

/**
 * SNU dynamics on a convolution (docs/equations.md): at every step
 * `a_t = conv(x_t, W) + l ⊙ s_{t-1} ⊙ (1 - y_{t-1})`, `s_t = g(a_t)`, `y_t = h(s_t + b)` over the
 * units `[filters, OH, OW]`, with one bias `b` (threshold `-b`) and, when trainable, one decay
 * per filter, shared by its positions. `output: 'step'` spikes; `'sigmoid'` is the soft sSNU.
 *
 * @example
 * ```ts
 * const model = sequential([snuConv2d({ filters: 16, kernelSize: 5, padding: 2 }), sumPool2d({ poolSize: 2 }), flatten(), snu({ units: 10 })], { inputShape: [1, 28, 28] });
 * ```
 */
export function snuConv2d(config: SnuConv2dConfig): SnuConv2dLayerSpec {
  return snuConv2dAt('snuConv2d', config, 'option');
}

function snuConv2dAt(at: string, config: unknown, noun: string): SnuConv2dLayerSpec {
  const c = checkObject(at, config);
  checkKeys(at, c, optionsOf('snuConv2d'), noun);
  const d = LAYER_DEFAULTS.snuConv2d;
  const spec: SnuConv2dLayerSpec = { type: 'snuConv2d', ...convGeometry(at, c, d), ...unitOptions(at, c, noun, d) };
  return named(at, c, spec);
}

/**
 * Options of a pooling layer: `poolSize` is required; `stride` defaults to it (windows side by
 * side). The windows must tile the input exactly.
 *
 * @example
 * ```ts
 * const config: Pool2dConfig = { poolSize: 2 };
 * const layer = maxPool2d(config);
 * ```
 */
export interface Pool2dConfig {
  /** The window, `KH x KW`. */
  poolSize: Size2;
  /** Default: the pool size. */
  stride?: Size2;
  /** Layer name (no parameters). */
  name?: string;
}

function pool2dAt(kind: PoolKind, at: string, config: unknown, noun: string): Pool2dLayerSpec {
  const c = checkObject(at, config);
  checkKeys(at, c, optionsOf('pool2d').filter((f) => f !== 'kind'), noun);
  const spec: Pool2dLayerSpec = { type: 'pool2d', kind, poolSize: size2(`${at}.poolSize`, c.poolSize, 1) };
  if (c.stride !== undefined) spec.stride = size2(`${at}.stride`, c.stride, 1);
  const name = layerName(at, c.name);
  if (name !== undefined) spec.name = name;
  return spec;
}

/**
 * Max pooling at every step: each channel's `KH x KW` windows reduced to their largest value
 * (over spikes: whether any pixel of the window spiked).
 *
 * @example
 * ```ts
 * const layer = maxPool2d({ poolSize: 2 }); // [C, 28, 28] -> [C, 14, 14]
 * ```
 */
export function maxPool2d(config: Pool2dConfig): Pool2dLayerSpec {
  return pool2dAt('max', 'maxPool2d', config, 'option');
}

/**
 * Average pooling at every step: each window's mean (over spikes: the window's firing rate).
 *
 * @example
 * ```ts
 * const layer = avgPool2d({ poolSize: [2, 2] });
 * ```
 */
export function avgPool2d(config: Pool2dConfig): Pool2dLayerSpec {
  return pool2dAt('avg', 'avgPool2d', config, 'option');
}

/**
 * Sum pooling at every step: each window's sum (over spikes: its spike count), the pooling NIR
 * calls `SumPool2d`.
 *
 * @example
 * ```ts
 * const layer = sumPool2d({ poolSize: 2 });
 * ```
 */
export function sumPool2d(config: Pool2dConfig): Pool2dLayerSpec {
  return pool2dAt('sum', 'sumPool2d', config, 'option');
}

/**
 * `[C, H, W]` images as flat vectors of `C*H*W` values, between convolution or pooling layers
 * and the flat layers (`snu`, `dense`) after them.
 *
 * @example
 * ```ts
 * const layers = [conv2d({ filters: 8, kernelSize: 3 }), flatten(), dense({ units: 10 })];
 * ```
 */
export function flatten(config: { name?: string } = {}): FlattenLayerSpec {
  return flattenAt('flatten', config, 'option');
}

function flattenAt(at: string, config: unknown, noun: string): FlattenLayerSpec {
  const c = checkObject(at, config, true);
  checkKeys(at, c, optionsOf('flatten'), noun);
  const spec: FlattenLayerSpec = { type: 'flatten' };
  const name = layerName(at, c.name);
  if (name !== undefined) spec.name = name;
  return spec;
}

/**
 * Options of a conventional recurrent layer (`rnn`, `lstm`, `gru`). Only `units` is required.
 *
 * @example
 * ```ts
 * const config: RecurrentConfig = { units: 150, dropout: 0.2 };
 * const layer = gru(config);
 * ```
 */
export interface RecurrentConfig {
  /** Number of units `n` (the width of `h`). */
  units: number;
  /** Layer name; parameters are named `<name>.W`, `<name>.H`, `<name>.b` (and a GRU's `<name>.bh`). */
  name?: string;
  /** Dropout on the layer's input while training (see `SnuConfig.dropout`). Default 0. */
  dropout?: number;
}

/** Options of an LSTM layer: those of every recurrent layer, and the forget gate's initial bias. */
export interface LstmConfig extends RecurrentConfig {
  /** Initial bias of the forget gate (the other gates start at 0). Default 1. */
  forgetBias?: number;
}

/** The options every recurrent layer type shares, checked, with `type`. */
function recurrentAt<T extends 'rnn' | 'lstm' | 'gru'>(type: T, at: string, c: Record<string, unknown>, noun: string) {
  checkKeys(at, c, optionsOf(type), noun);
  return named(at, c, { type, units: checkInteger(`${at}.units`, c.units, 1, MAX_WIDTH) } as { type: T; units: number; name?: string | null; dropout?: number });
}

/**
 * An Elman RNN layer, `h_t = tanh(x_t W + h_{t-1} H + b)`: the paper's "RNN" baseline. `W` and
 * `H` are Glorot-uniform, `b` zero. The output is `h` at every step (values, not spikes).
 *
 * @example
 * ```ts
 * const model = sequential([rnn({ units: 128 }), dense({ units: 10 })], { inputSize: 784 });
 * ```
 */
export function rnn(config: RecurrentConfig): RnnLayerSpec {
  return recurrentAt('rnn', 'rnn', checkObject('rnn', config), 'option');
}

/**
 * An LSTM layer (gates `i, f, g, o` as PyTorch orders them; one bias per gate, PyTorch's
 * `b_ih + b_hh`): `c_t = σ(f) c_{t-1} + σ(i) tanh(g)`, `h_t = σ(o) tanh(c_t)` with
 * `[i f g o] = x_t W + h_{t-1} H + b` (docs/equations.md). `W` and `H` are Glorot-uniform per
 * gate; the forget gate's bias starts at `forgetBias`.
 *
 * @example
 * ```ts
 * const model = sequential([lstm({ units: 150 }), dense({ units: 88 })], { inputSize: 88 })
 *   .compile({ loss: { kind: 'binaryCrossEntropy', fromLogits: true }, readout: 'sequence' });
 * ```
 */
export function lstm(config: LstmConfig): LstmLayerSpec {
  return lstmAt('lstm', config, 'option');
}

function lstmAt(at: string, config: unknown, noun: string): LstmLayerSpec {
  const c = checkObject(at, config);
  const spec: LstmLayerSpec = {
    ...recurrentAt('lstm', at, c, noun),
    forgetBias: checkNumber(`${at}.forgetBias`, c.forgetBias ?? LAYER_DEFAULTS.lstm.forgetBias),
  };
  return spec;
}

/**
 * A GRU layer in PyTorch's and cuDNN's form (gates `r, z, n`; the reset gate applied after the
 * recurrent product): `h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}`, `n = tanh(x_t W_n + b_n + r ⊙ (h_{t-1} H_n + bh))`
 * (docs/equations.md). `W` and `H` are Glorot-uniform per gate, `b` and `bh` zero.
 *
 * @example
 * ```ts
 * const model = sequential([gru({ units: 150 }), dense({ units: 88 })], { inputSize: 88 });
 * ```
 */
export function gru(config: RecurrentConfig): GruLayerSpec {
  return recurrentAt('gru', 'gru', checkObject('gru', config), 'option');
}

/** The names of the layer builders, for messages. */
export const LAYER_BUILDERS = ['snu', 'dense', 'embedding', 'conv2d', 'snuConv2d', 'maxPool2d', 'avgPool2d', 'sumPool2d', 'flatten', 'rnn', 'lstm', 'gru'] as const;

/** Each layer type's builder, taking the path its errors name and what a key is called there. */
const BUILDERS: { [T in LayerSpec['type']]: (at: string, config: unknown, noun: string) => Extract<LayerSpec, { type: T }> } = {
  snu: snuAt,
  dense: denseAt,
  embedding: embeddingAt,
  conv2d: conv2dAt,
  snuConv2d: snuConv2dAt,
  // In a config file the kind is a field: { "type": "pool2d", "kind": "max", "poolSize": 2 }.
  pool2d: (at, config, noun) => {
    const o = checkObject(at, config);
    const { kind, ...rest } = o;
    return pool2dAt(checkOneOf(`${at}.kind`, kind, POOL_KINDS), at, rest, noun);
  },
  flatten: flattenAt,
  rnn: (at, config, noun) => recurrentAt('rnn', at, checkObject(at, config), noun),
  lstm: lstmAt,
  gru: (at, config, noun) => recurrentAt('gru', at, checkObject(at, config), noun),
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
