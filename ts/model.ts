// The Sequential model: a list of layers compiled into a native network that owns the weights.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { AnalogControl } from './analog.js';
import { checkBoolean, checkFloat32, checkInteger, checkKeys, checkNumber, checkObject, checkOneOf, checkString, describe } from './checks.js';
import { MAX_DIM, MAX_LR, MAX_SEED, MAX_WIDTH } from './generated/limits.js';
import { LAYER_FIELDS, LOSS_REDUCTIONS, READOUTS } from './generated/spec.js';
import { LAYER_BUILDERS } from './layers.js';
import { lossSpec, type LossOption } from './losses.js';
import { checkOptimizer } from './optimizers.js';
import type { Batch, Dataset } from './data.js';
import { temporaryPath, writeFileAtomic } from './io.js';
import { writeNirFile } from './nir/hdf5.js';
import { native, type NativeBatch, type NativeNetwork } from './native.js';
import { evaluateLoop, fitLoop, type Evaluation, type FitOptions, type History, type LoopTarget } from './loops.js';
import type { LayerSpec, LossReduction, ModelSpec, OptimizerSpec, Readout } from './spec.js';

/**
 * One layer of `Sequential.summary()`.
 *
 * @example
 * ```ts
 * const first: LayerSummary = model.summary().layers[0]!; // { name: 'snu_0', type: 'snu', outputShape: [256], params: 200960, firingRate: 0.109 }
 * ```
 */
export interface LayerSummary {
  name: string;
  /** The layer's `type`: `snu`, `dense`, `snuConv2d`, ... */
  type: string;
  /** What the layer gives per step: `[n]`, or `[C, H, W]` for images. */
  outputShape: number[];
  /** Trainable values. */
  params: number;
  /** Spiking layers after a pass: the fraction of outputs that were spikes; otherwise null. */
  firingRate: number | null;
}

/**
 * What `Sequential.summary()` returns: the layers, the total parameter count, and a table as
 * its string.
 *
 * @example
 * ```ts
 * const s: ModelSummary = model.summary();
 * console.log(s.params, String(s));
 * ```
 */
export interface ModelSummary {
  layers: LayerSummary[];
  params: number;
  toString(): string;
}

/**
 * Options of `Sequential.compile`. Only `loss` is required.
 *
 * @example
 * ```ts
 * const options: CompileOptions = { loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 1e-3 }), readout: 'sum', clipNorm: 5, seed: 1 };
 * model.compile(options);
 * ```
 */
export interface CompileOptions {
  /** `'softmaxCrossEntropy'` (readout as logits), `'binaryCrossEntropy'` (readout as probabilities), `'mse'`, or a full spec. */
  loss: LossOption;
  /** Default `adam()` with lr 1e-3. */
  optimizer?: OptimizerSpec;
  /** Default `'sum'` (spike count). */
  readout?: Readout;
  /**
   * How the gradient reduces a batch's per-row losses: `'mean'` (default) or `'sum'` (PyTorch's
   * `reduction='sum'`; with readout `'sequence'` longer sequences then take larger steps).
   * Reported losses are the mean either way.
   */
  lossReduction?: LossReduction;
  /** Clip gradients to this global L2 norm. */
  clipNorm?: number;
  /** Truncated BPTT window in steps (gradients do not cross window boundaries). */
  tbptt?: number;
  /** Seed of the weight initialisation. Default 0. */
  seed?: number;
}

/**
 * What a model's input is at each step: `inputSize` values, or `inputShape` `[C, H, W]`
 * channels-first images (then `inputSize`, if given, must be `C*H*W`).
 *
 * @example
 * ```ts
 * const flat: ModelInput = { inputSize: 784 };
 * const images: ModelInput = { inputShape: [1, 28, 28] };
 * ```
 */
export type ModelInput = { inputSize: number; inputShape?: readonly [number, number, number] } | { inputSize?: number; inputShape: readonly [number, number, number] };

/** An error of the engine with the method that was called in front: `trainOnBatch: y: expected 6 values ...`. */
function prefixed(what: string, e: unknown): unknown {
  // `model: ...` is about the model itself (disposed, not compiled), not about the call's arguments.
  if (e instanceof Error && !e.message.startsWith(`${what}:`) && !e.message.startsWith('model: ')) e.message = `${what}: ${e.message}`;
  return e;
}

/** Runs a call into the engine, its errors naming `what` (see `prefixed`). */
function named<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw prefixed(what, e);
  }
}

/** The shape argument of `predict`: `{ steps, batch, mask? }`. */
function checkShape(what: string, shape: unknown): { steps: number; batch: number; mask?: Float32Array } {
  if (typeof shape !== 'object' || shape === null) {
    throw new TypeError(`${what}: expected the shape { steps, batch, mask? } as the second argument, got ${describe(shape)}`);
  }
  const s = shape as { steps?: unknown; batch?: unknown; mask?: unknown };
  return { steps: s.steps as number, batch: s.batch as number, ...(s.mask !== undefined ? { mask: s.mask as Float32Array } : {}) };
}

/**
 * The batch as the engine takes it, its JS types checked here (the engine checks lengths and
 * values): `x`, `y` (unless `needsTarget` is false), optional `mask`, integer `steps` and `batch`.
 */
function nativeBatch(what: string, batch: unknown, needsTarget = true): NativeBatch {
  if (typeof batch !== 'object' || batch === null) {
    throw new TypeError(`${what}: expected a batch { x, y, steps, batch, mask? }, got ${describe(batch)}`);
  }
  const b = batch as Record<string, unknown>;
  const x = checkFloat32(`${what}: x`, b.x);
  const y = needsTarget || b.y !== undefined ? checkFloat32(`${what}: y`, b.y) : undefined;
  const mask = b.mask === undefined || b.mask === null ? undefined : checkFloat32(`${what}: mask`, b.mask);
  const steps = checkInteger(`${what}: steps`, b.steps, 1, MAX_DIM);
  const size = checkInteger(`${what}: batch`, b.batch, 1, MAX_DIM);
  return { x, ...(y ? { y } : {}), ...(mask ? { mask } : {}), steps, batch: size };
}

/** The options `compile` takes. */
const COMPILE_OPTIONS = ['loss', 'lossReduction', 'optimizer', 'readout', 'clipNorm', 'tbptt', 'seed'];
/**
 * A stack of layers run over time-major sequences `[T, B, features]`.
 *
 * @example
 * ```ts
 * const model = sequential([snu({ units: 256 }), snu({ units: 10 })], { inputSize: 784 });
 * model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 1e-3 }) });
 * const history = await model.fit(train, { epochs: 1, batchSize: 64 });
 * ```
 */
export class Sequential {
  /**
   * The layer specs, in order, as the builders (`snu`, `dense`, `conv2d`, ...) made them.
   *
   * @example
   * ```ts
   * model.layers.map((l) => l.type); // ['snu', 'snu']
   * ```
   */
  readonly layers: readonly LayerSpec[];
  /**
   * Features per time step of the input (1 when the first layer is an `embedding`).
   *
   * @example
   * ```ts
   * const x = new Float32Array(10 * 4 * model.inputSize); // 10 steps, a batch of 4
   * ```
   */
  readonly inputSize: number;
  /**
   * Each step's input as channels-first images `[C, H, W]`, when the model starts with
   * convolution or pooling layers (`C*H*W = inputSize`).
   *
   * @example
   * ```ts
   * sequential([conv2d({ filters: 8, kernelSize: 3 }), flatten(), dense({ units: 10 })], { inputShape: [1, 28, 28] }).inputShape; // [1, 28, 28]
   * ```
   */
  readonly inputShape: readonly [number, number, number] | undefined;
  #net: NativeNetwork | undefined;
  #disposed = false;
  /** Async engine calls started and not yet settled (they queue on the network in call order). */
  #pending = 0;
  /** Whether a `fit` runs (between its steps too). */
  #fitting = false;
  #readoutKind: Readout | undefined;
  #readoutOf: NativeNetwork | undefined;

  /**
   * A model of `layers`; `sequential(layers, options)` does the same. Call `compile` before use.
   *
   * @example
   * ```ts
   * const model = new Sequential([snu({ units: 100 }), snu({ units: 10 })], { inputSize: 784 });
   * const conv = new Sequential([conv2d({ filters: 8, kernelSize: 5 }), maxPool2d({ poolSize: 2 }), flatten(), snu({ units: 10 })], { inputShape: [1, 28, 28] });
   * ```
   */
  constructor(layers: LayerSpec[], options: ModelInput) {
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new TypeError(`layers: expected a non-empty array of layers, got ${describe(layers)}`);
    }
    layers.forEach((l, i) => {
      if (typeof l !== 'object' || l === null || !Object.hasOwn(LAYER_FIELDS, l.type)) {
        const builders = LAYER_BUILDERS.map((b) => `${b}()`);
        throw new TypeError(`layers[${i}]: expected a layer made by ${builders.slice(0, -1).join(', ')} or ${builders.at(-1)}, got ${describe(l)}`);
      }
    });
    this.layers = layers;
    const o = checkObject('options', options);
    checkKeys('options', o, ['inputSize', 'inputShape']);
    if (o.inputShape !== undefined) {
      if (!Array.isArray(o.inputShape) || o.inputShape.length !== 3) throw new TypeError(`inputShape: expected [channels, height, width], got ${describe(o.inputShape)}`);
      const [c, h, w] = o.inputShape.map((v, i) => checkInteger(`inputShape[${i}]`, v, 1, MAX_WIDTH)) as [number, number, number];
      this.inputShape = [c, h, w];
      this.inputSize = o.inputSize === undefined ? c * h * w : checkInteger('inputSize', o.inputSize, 1);
      if (this.inputSize !== c * h * w) throw new RangeError(`inputSize: ${this.inputSize}, but inputShape [${c}, ${h}, ${w}] holds ${c * h * w} values per step (give one of them)`);
    } else {
      this.inputShape = undefined;
      this.inputSize = checkInteger('inputSize', o.inputSize, 1);
    }
  }

  /**
   * Each layer's output per step: `[n]` for a flat vector, `[C, H, W]` for images.
   *
   * @example
   * ```ts
   * sequential([conv2d({ filters: 8, kernelSize: 5 }), maxPool2d({ poolSize: 2 }), flatten(), dense({ units: 10 })], { inputShape: [1, 28, 28] })
   *   .compile({ loss: 'softmaxCrossEntropy' })
   *   .layerShapes(); // [[8, 24, 24], [8, 12, 12], [1152], [10]]
   * ```
   */
  layerShapes(): number[][] {
    return named('layerShapes', () => this.net.layerShapes());
  }

  /**
   * Creates the native network with fresh weights from `seed`. Calling it again starts over with
   * new weights and a new optimizer state. Returns the model.
   *
   * @example
   * ```ts
   * const model = sequential([snu({ units: 10 })], { inputSize: 784 })
   *   .compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 1e-3 }), readout: 'sum', seed: 1 });
   * ```
   */
  compile(options: CompileOptions): this {
    if (this.#disposed) throw new Error('compile: the model was disposed; build a new one with sequential(...)');
    if (this.#fitting || this.#pending > 0) throw new Error('compile: the model is training or computing (fit, evaluate, or another async call); await it (or abort fit) first: compile would replace its weights mid-run');
    const o = checkObject('compile', options);
    if (o.loss === undefined) throw new TypeError("compile: expected options with a loss, e.g. compile({ loss: 'softmaxCrossEntropy' })");
    checkKeys('compile', o, COMPILE_OPTIONS);
    const spec: ModelSpec = {
      inputSize: this.inputSize,
      ...(this.inputShape ? { inputShape: [...this.inputShape] as [number, number, number] } : {}),
      layers: [...this.layers],
      readout: checkOneOf('readout', o.readout ?? 'sum', READOUTS),
      loss: lossSpec('loss', o.loss),
      ...(o.lossReduction === undefined ? {} : { lossReduction: checkOneOf('lossReduction', o.lossReduction, LOSS_REDUCTIONS) }),
      optimizer: o.optimizer === undefined ? { kind: 'adam' } : checkOptimizer(o.optimizer),
      clipNorm: o.clipNorm === undefined ? null : checkNumber('clipNorm', o.clipNorm, { above: 0 }),
      tbptt: o.tbptt === undefined ? null : checkInteger('tbptt', o.tbptt, 1, MAX_DIM),
      seed: checkInteger('seed', o.seed ?? 0, 0, MAX_SEED),
    };
    this.#net = named('compile', () => new native.Network(JSON.stringify(spec)));
    return this;
  }

  /**
   * Starts an async engine call, counted as pending until it settles (so that `dispose` can
   * refuse to pull the network from under it), its errors naming `what`.
   */
  #track<T>(what: string, start: () => Promise<T>): Promise<T> {
    const call = named(what, start);
    this.#pending++;
    return call.finally(() => void this.#pending--).catch((e: unknown) => Promise.reject(prefixed(what, e)));
  }

  /**
   * The network for a synchronous call, refused while an async call on the model is pending:
   * whether the call would find the network taken or free would depend on timing.
   */
  #idle(what: string): NativeNetwork {
    const net = this.net;
    if (this.#pending > 0) {
      throw new Error(`${what}: the model is busy: ${this.#pending} asynchronous call${this.#pending === 1 ? ' has' : 's have'} not finished (fit, evaluate, predictAsync, trainOnBatchAsync); await ${this.#pending === 1 ? 'it' : 'them'} first`);
    }
    return net;
  }

  private get net(): NativeNetwork {
    if (this.#disposed) throw new Error('model: it was disposed (dispose() freed its weights); build or load a model again');
    if (!this.#net) throw new Error('model: call compile() (or Sequential.load) before using it');
    return this.#net;
  }

  /**
   * The simulated phase-change-memory crossbars of this model (docs/design.md §3): program layers onto
   * devices, move them in time, train with the devices in the loop, read device statistics.
   * See `AnalogControl` and docs/pcm.md.
   *
   * @example
   * ```ts
   * model.analog.program('all', { seed: 1 });
   * model.analog.setTime(86_400); // one day after programming
   * ```
   */
  get analog(): AnalogControl {
    return new AnalogControl(this.net, this.net.crossbarCapableLayers());
  }

  /**
   * The full model spec, with every default filled in (as the checkpoint stores it).
   *
   * @example
   * ```ts
   * model.spec.optimizer; // { kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }
   * ```
   */
  get spec(): ModelSpec {
    return JSON.parse(named('spec', () => this.net.spec())) as ModelSpec;
  }

  /**
   * Units of the last layer: the width of one readout row.
   *
   * @example
   * ```ts
   * const out = model.predict(new Float32Array(10 * 4 * model.inputSize), { steps: 10, batch: 4 });
   * // out.length === 4 * model.outputSize
   * ```
   */
  get outputSize(): number {
    return this.net.outputSize;
  }

  /**
   * Parameter names, e.g. `snu_0.W`, `snu_0.b`, `dense_1.W`. A layer without a `name` is called
   * `<type>_<index>`.
   *
   * @example
   * ```ts
   * sequential([snu({ units: 4 }), dense({ units: 2 })], { inputSize: 3 }).compile({ loss: 'mse' }).paramNames();
   * // ['snu_0.W', 'snu_0.b', 'dense_1.W', 'dense_1.b']
   * ```
   */
  paramNames(): string[] {
    return this.net.paramNames();
  }

  /**
   * The model at a glance: each layer's name, type, output shape per step and parameter count,
   * and for spiking layers (SNU with the step output), once the model has run (`predict`,
   * `evaluate`, training), the fraction of their outputs that were spikes in the last pass
   * (every step and sample, padding included). `String(model.summary())` is a table.
   *
   * @example
   * ```ts
   * model.predict(batch.x, batch);
   * console.log(String(model.summary()));
   * // layer  type  output   params  firing rate
   * // snu_0  snu   [256]   200,960  0.109
   * // snu_1  snu   [10]      2,570  0.070
   * // total params: 203,530
   * const silent = model.summary().layers.filter((l) => l.firingRate === 0); // layers that never fired
   * ```
   */
  summary(): ModelSummary {
    const layers: LayerSummary[] = named('summary', () => this.net.summary()).map((l) => ({ name: l.name, type: l.kind, outputShape: l.shape, params: l.params, firingRate: l.firingRate ?? null }));
    const params = layers.reduce((a, l) => a + l.params, 0);
    return {
      layers,
      params,
      toString() {
        const rows = [['layer', 'type', 'output', 'params', 'firing rate'], ...layers.map((l) => [l.name, l.type, `[${l.outputShape.join(', ')}]`, l.params.toLocaleString('en-US'), l.firingRate === null ? '-' : l.firingRate.toFixed(3)])];
        const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
        const lines = rows.map((r) => r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
        return `${lines.join('\n')}\ntotal params: ${params.toLocaleString('en-US')}`;
      },
    };
  }

  /**
   * Copies of all parameters by name (row-major; `W` is `[inputs, units]`).
   *
   * @example
   * ```ts
   * const w = model.getWeights()['snu_0.W']; // Float32Array of inputs x units
   * ```
   */
  getWeights(): Record<string, Float32Array> {
    return Object.fromEntries(this.paramNames().map((n) => [n, named('getWeights', () => this.#idle('getWeights').getParam(n))]));
  }

  /**
   * Sets some or all parameters by name (each must keep its length).
   *
   * @example
   * ```ts
   * const b = model.getWeights()['snu_0.b']!;
   * model.setWeights({ 'snu_0.b': b.map(() => -0.5) }); // every threshold at 0.5
   * ```
   */
  setWeights(weights: Record<string, Float32Array>): void {
    if (typeof weights !== 'object' || weights === null || ArrayBuffer.isView(weights)) {
      throw new TypeError(`setWeights: expected a record of parameter name to Float32Array (as getWeights() returns), got ${describe(weights)}`);
    }
    for (const [name, value] of Object.entries(weights)) named('setWeights', () => this.#idle('setWeights').setParam(name, value));
  }

  /**
   * Sets the optimizer's learning rate for the steps that follow (a schedule: call it between epochs).
   *
   * @example
   * ```ts
   * for (let epoch = 0; epoch < 10; epoch++) {
   *   model.setLearningRate(1e-3 * 0.9 ** epoch);
   *   await model.fit(train, { epochs: 1, batchSize: 64, seed: epoch });
   * }
   * ```
   */
  setLearningRate(lr: number): void {
    named('setLearningRate', () => this.#idle('setLearningRate').setLearningRate(checkNumber('lr', lr, { min: 0, max: MAX_LR })));
  }

  /**
   * With `on`, each call continues the `batch` sequences of the previous call from every SNU
   * layer's last state: long sequences (a text corpus) are fed as consecutive windows
   * (`lmBatches`), and BPTT is truncated at the window's start. Switching forgets the state.
   *
   * @example
   * ```ts
   * model.setCarryState(true);
   * for (const window of lmBatches(corpus.train, { batch: 20, window: 35 })) model.trainOnBatch(window);
   * model.resetState();
   * ```
   */
  setCarryState(on: boolean): void {
    if (typeof on !== 'boolean') throw new TypeError(`on: expected a boolean, got ${describe(on)}`);
    named('setCarryState', () => this.#idle('setCarryState').setCarryState(on));
  }

  /**
   * How training steps (`trainOnBatch`, `fit`) compute their gradients: `'bptt'`, backpropagation
   * through time (the default), or `'ostl'`, online spatio-temporal learning (Bohnstingl et al.
   * 2023): each SNU layer carries eligibility traces forward in time, so memory does not grow
   * with the number of steps, and with `updateEvery: k` the weights change after every `k` steps
   * of the sequences (a target per step, readout `'sequence'`), as online learning does; without
   * it, once per batch. For one SNU layer (under any layers without state, such as `dense`) its
   * gradient is BPTT's; for deeper stacks it approximates it (docs/equations.md). An SNU layer
   * with recurrent weights `H` carries dense traces (real-time recurrent learning, about
   * `n² (inputs + n) n` multiply-adds per sample and step). Refused, naming the layer and why,
   * for layers OSTL cannot train (lateral inhibition, convolutions, `lstm`/`gru`/`rnn`).
   *
   * @example
   * ```ts
   * model.setTrainingMethod('ostl', { updateEvery: 10 });
   * await model.fit(train, { epochs: 5, batchSize: 1 });
   * model.setTrainingMethod('bptt');
   * ```
   */
  setTrainingMethod(method: 'bptt' | 'ostl', options: { updateEvery?: number } = {}): void {
    const m = checkOneOf('method', method, ['bptt', 'ostl'] as const);
    const o = checkObject('options', options, true);
    checkKeys('options', o, ['updateEvery']);
    const every = o.updateEvery === undefined ? undefined : checkInteger('options.updateEvery', o.updateEvery, 1, MAX_DIM);
    named('setTrainingMethod', () => this.#idle('setTrainingMethod').setTrainingMethod(m, every));
  }

  /**
   * Forgets the carried state (see `setCarryState`): the next call starts from zero.
   *
   * @example
   * ```ts
   * model.resetState(); // before a new pass over the corpus
   * ```
   */
  resetState(): void {
    this.#idle('resetState').resetState();
  }

  /**
   * Readout for inputs `x` (`[steps, batch, inputSize]`): `[batch, outputs]` (`[steps, batch, outputs]` for `sequence`).
   * `mask` (`[steps, batch]`, 1 real, 0 padding) marks sequences of different length.
   *
   * @example
   * ```ts
   * const x = rateEncoder({ steps: 10 }).encode(new Float32Array(4 * 784).fill(0.5), 4, 0);
   * const out = model.predict(x, { steps: 10, batch: 4 }); // [4, outputs]: spike counts with the `sum` readout
   * ```
   */
  predict(x: Float32Array, shape: { steps: number; batch: number; mask?: Float32Array }): Float32Array {
    return named('predict', () => this.#idle('predict').predict(nativeBatch('predict', { x, ...checkShape('predict', shape) }, false))).output;
  }

  /**
   * `predict`, with the readout turned into the probabilities the loss reads it as: a softmax
   * over each row for `softmaxCrossEntropy` and `sparseSoftmaxCrossEntropy`, a sigmoid of each
   * value for `binaryCrossEntropy` with `fromLogits`, the outputs as they are for
   * `binaryCrossEntropy` without it. Metrics such as `frameNll` need these, not the logits.
   * Refused for `mse`, whose outputs are values.
   *
   * @example
   * ```ts
   * const probs = model.predictProbabilities(batch.x, batch); // rows sum to 1 with a softmax loss
   * const { mean } = frameNll(probs, batch.y, batch.mask);    // for a binaryCrossEntropy model
   * ```
   */
  predictProbabilities(x: Float32Array, shape: { steps: number; batch: number; mask?: Float32Array }): Float32Array {
    return named('predictProbabilities', () => this.#idle('predictProbabilities').predictProbabilities(nativeBatch('predictProbabilities', { x, ...checkShape('predictProbabilities', shape) }, false))).output;
  }

  /**
   * Readout plus every layer's output sequence `[steps, batch, units]` (spikes for SNU layers)
   * and, for SNU layers, their state sequence `s_t = g(a_t)` (the membrane; `null` for other
   * layers), for rasters and membrane traces (`plots`).
   *
   * @example
   * ```ts
   * const { output, layers, states } = model.predictWithLayers(batch.x, batch);
   * const firstLayerSpikes = layers[0]!.reduce((a, b) => a + b, 0);
   * const membrane = states[0]; // Float32Array [steps, batch, units] for an SNU layer
   * ```
   */
  predictWithLayers(x: Float32Array, shape: { steps: number; batch: number; mask?: Float32Array }): { output: Float32Array; layers: Float32Array[]; states: (Float32Array | null)[] } {
    const p = named('predictWithLayers', () => this.#idle('predictWithLayers').predict(nativeBatch('predictWithLayers', { x, ...checkShape('predictWithLayers', shape) }, false), true));
    return { output: p.output, layers: p.layers ?? [], states: p.states ?? [] };
  }

  /**
   * `predict` off the main thread.
   *
   * @example
   * ```ts
   * const out = await model.predictAsync(batch.x, batch);
   * ```
   */
  predictAsync(x: Float32Array, shape: { steps: number; batch: number; mask?: Float32Array }): Promise<Float32Array> {
    return this.#track('predictAsync', () => this.net.predictAsync(nativeBatch('predictAsync', { x, ...checkShape('predictAsync', shape) }, false))).then((p) => p.output);
  }

  /**
   * The loss on a batch, without gradients or updates.
   *
   * @example
   * ```ts
   * const before = model.loss(batch);
   * model.trainOnBatch(batch);
   * console.log(before, model.loss(batch));
   * ```
   */
  loss(batch: Batch): number {
    return named('loss', () => this.#idle('loss').loss(nativeBatch('loss', batch)));
  }

  /**
   * Loss and the gradient of every parameter on a batch, without updating.
   *
   * @example
   * ```ts
   * const { loss, gradients } = model.gradients(batch);
   * console.log(loss, gradients['snu_0.W']!.length);
   * ```
   */
  gradients(batch: Batch): { loss: number; gradients: Record<string, Float32Array> } {
    const g = named('gradients', () => this.#idle('gradients').gradients(nativeBatch('gradients', batch)));
    return { loss: g.loss, gradients: Object.fromEntries(g.names.map((n, i) => [n, g.gradients[i]!])) };
  }

  /**
   * One training step (forward, BPTT, update) on the main thread; returns the loss. It blocks
   * the event loop for the step: prefer `trainOnBatchAsync` or `fit` in a server or a UI.
   *
   * @example
   * ```ts
   * const loss = model.trainOnBatch(train.batch([0, 1, 2, 3], 0));
   * ```
   */
  trainOnBatch(batch: Batch): number {
    return named('trainOnBatch', () => this.#idle('trainOnBatch').trainStep(nativeBatch('trainOnBatch', batch))).loss;
  }

  /**
   * One training step off the main thread; resolves with the loss.
   *
   * @example
   * ```ts
   * const loss = await model.trainOnBatchAsync(batch);
   * ```
   */
  trainOnBatchAsync(batch: Batch): Promise<number> {
    return this.#track('trainOnBatchAsync', () => this.net.trainStepAsync(nativeBatch('trainOnBatchAsync', batch))).then((r) => r.loss);
  }

  /**
   * Trains for `epochs` over `data`; each step runs off the main thread. Batches are shuffled
   * and encoded with seeds derived from `options.seed`, so the same seeds give the same run.
   * With `signal` aborted, training stops after the current step and resolves with
   * `aborted: true`.
   *
   * @example
   * ```ts
   * const history = await model.fit(train, {
   *   epochs: 5,
   *   batchSize: 64,
   *   validationData: test,
   *   onEpochEnd: ({ epoch, loss, valAccuracy }) => console.log(epoch, loss, valAccuracy),
   *   signal: AbortSignal.timeout(60_000), // stop after a minute
   * });
   * ```
   */
  async fit(data: Dataset, options: FitOptions): Promise<History> {
    if (this.#fitting) throw new Error('fit: a fit is already running on this model; await it (or abort it) first');
    this.#fitting = true;
    try {
      return await fitLoop(this.#loopTarget(), data, options);
    } finally {
      this.#fitting = false;
    }
  }

  /**
   * Mean loss (and accuracy, for softmax cross-entropy) over a dataset, in order. `seed` drives
   * the encoder of an `encodedDataset` (default 0), so repeated evaluations agree.
   *
   * @example
   * ```ts
   * const { loss, accuracy } = await model.evaluate(test, { batchSize: 500 });
   * ```
   */
  async evaluate(data: Dataset, options: { batchSize?: number; seed?: number } = {}): Promise<Evaluation> {
    return evaluateLoop(this.#loopTarget(), data, options);
  }

  /** What `fit` and `evaluate` run on: this model's engine calls, counted as pending. */
  #loopTarget(): LoopTarget {
    return {
      model: this,
      perStep: this.#readout() === 'sequence',
      learningRate: () => this.spec.optimizer.lr as number, // the engine's spec has every default filled in
      setLearningRate: (lr) => named('fit: lrSchedule', () => this.net.setLearningRate(lr)),
      trainStep: (what, batch) => this.#track(what, () => this.net.trainStepAsync(nativeBatch(what, batch))),
      evaluateStep: (what, batch) => this.#track(what, () => this.net.evaluateAsync(nativeBatch(what, batch))),
    };
  }

  /** The readout, read once per network (the spec does not change but for the learning rate). */
  #readout(): Readout {
    if (this.#readoutOf !== this.#net) {
      this.#readoutKind = this.spec.readout;
      this.#readoutOf = this.#net;
    }
    return this.#readoutKind!;
  }

  /**
   * The checkpoint as bytes: spec, weights, optimizer state (versioned, checksummed).
   *
   * @example
   * ```ts
   * const copy = Sequential.fromBytes(model.toBytes());
   * ```
   */
  toBytes(): Uint8Array {
    return this.net.save();
  }

  /**
   * A model from checkpoint bytes (`toBytes`), compiled and ready. Throws on bytes that are not a
   * checkpoint, are damaged, or come from an unknown format version.
   *
   * @example
   * ```ts
   * const restored = Sequential.fromBytes(model.toBytes());
   * ```
   */
  static fromBytes(bytes: Uint8Array): Sequential {
    return Sequential.#restore('Sequential.fromBytes', bytes);
  }

  /** A model from checkpoint bytes, errors naming `what` (the method, and the file for `load`). */
  static #restore(what: string, bytes: Uint8Array): Sequential {
    const net = named(what, () => native.Network.load(bytes));
    const spec = JSON.parse(net.spec()) as ModelSpec;
    const model = new Sequential(spec.layers, spec.inputShape ? { inputShape: spec.inputShape } : { inputSize: spec.inputSize });
    model.#net = net;
    return model;
  }

  /**
   * Saves a checkpoint to `path` atomically (a temporary file renamed into place).
   *
   * @example
   * ```ts
   * await model.save('mnist.snu');
   * ```
   */
  async save(path: string): Promise<void> {
    const bytes = this.toBytes();
    try {
      await writeFileAtomic(path, bytes);
    } catch (e) {
      throw prefixed('save', e);
    }
  }

  /**
   * Writes the model as a NIR graph (the Neuromorphic Intermediate Representation, read by
   * snnTorch, Norse, Sinabs, Spyx, Lava and neuromorphic hardware; docs/nir.md). Each SNU layer
   * becomes an `Affine` into a `LIF` (`IF` for decay 1) with `tau = dt/(1-l)`, `r = 1/(1-l)`,
   * `v_threshold = -b`; a recurrent one a nested graph with its `H` on the cycle.
   *
   * What NIR cannot express (g relu, the sigmoid output of sSNU, lateral inhibition, weights on
   * a PCM crossbar, max pooling, ...) is refused with an error naming the layer and the feature;
   * with `approximate: true` the nearest NIR node is written instead and the returned warnings
   * say what changes. The file is written atomically (a temporary file renamed into place).
   * Resolves with those warnings and the `dt` the file was written for.
   *
   * @param options.dt the time step (seconds) the time constants are written for; default 1e-4,
   *   snnTorch's, whose importer then gives back `beta = l`. It is recorded in the file.
   * @param options.normalizeThresholds write every threshold as 1, each unit's input weights and
   *   input bias divided by its threshold `-b` (the same spikes; for importers such as snnTorch's
   *   that take one threshold per layer). Refused if a threshold is not above 0.
   * @example
   * ```ts
   * const model = sequential([snu({ units: 100, g: 'identity' }), snu({ units: 10, g: 'identity' })], { inputSize: 784 })
   *   .compile({ loss: 'softmaxCrossEntropy' });
   * const { warnings } = await model.toNir('mnist.nir');
   * ```
   */
  async toNir(path: string, options: { dt?: number; approximate?: boolean; normalizeThresholds?: boolean } = {}): Promise<{ warnings: string[]; dt: number }> {
    const o = checkObject('toNir options', options);
    checkKeys('toNir options', o, ['dt', 'approximate', 'normalizeThresholds']);
    const exported = named('toNir', () =>
      this.#idle('toNir').toNir({
        // The engine checks the range of dt (one place for the rule).
        dt: o.dt === undefined ? undefined : checkNumber('dt', o.dt),
        approximate: checkBoolean('approximate', o.approximate, false),
        normalizeThresholds: checkBoolean('normalizeThresholds', o.normalizeThresholds, false),
      }),
    );
    checkString('toNir: path', path);
    const tmp = temporaryPath(path);
    try {
      // Created here first, so that a missing directory or a file that cannot be written is
      // reported by Node (the HDF5 library only prints its own error stack).
      await writeFile(tmp, new Uint8Array(0));
      await writeNirFile(tmp, exported.graph);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw prefixed(`toNir: ${path}`, e);
    }
    return { warnings: exported.warnings, dt: exported.dt };
  }

  /**
   * Frees the native network (weights, optimizer state, workspaces, crossbars) now, instead of
   * when the garbage collector gets to the model; every later call on the model is refused with
   * an error. Disposing twice is harmless. While an async call (`fit`'s current step, `evaluate`,
   * `predictAsync`) runs on the model, `dispose` is refused: abort or await it first. A `fit`
   * that is between steps when the model is disposed rejects at its next step.
   *
   * A model is also a disposable resource: `using model = ...` disposes it at the end of the
   * block where the runtime supports `using` (TypeScript 5.2+ down-levels it).
   *
   * @example
   * ```ts
   * for (const units of [64, 128, 256]) {
   *   const trial = sequential([snu({ units }), snu({ units: 10 })], { inputSize: 784 }).compile({ loss: 'softmaxCrossEntropy' });
   *   await trial.fit(train, { epochs: 1, batchSize: 64 });
   *   console.log(units, await trial.evaluate(test));
   *   trial.dispose(); // its memory is back now, not at the next garbage collection
   * }
   * ```
   */
  dispose(): void {
    if (this.#pending > 0) {
      throw new Error(`dispose: ${this.#pending} asynchronous call${this.#pending === 1 ? ' is' : 's are'} still running on the model (fit, evaluate, predictAsync, trainOnBatchAsync); await ${this.#pending === 1 ? 'it' : 'them'} (or abort fit) first`);
    }
    if (this.#net) {
      try {
        this.#net.dispose();
      } catch (e) {
        throw new Error(`dispose: ${(e as Error).message}`);
      }
    }
    this.#net = undefined;
    this.#disposed = true;
  }

  /**
   * `dispose()`, for `using model = ...`.
   *
   * @example
   * ```ts
   * {
   *   using trial = sequential([snu({ units: 16 }), snu({ units: 10 })], { inputSize: 784 }).compile({ loss: 'softmaxCrossEntropy' });
   *   await trial.fit(train, { epochs: 1, batchSize: 64 });
   * } // trial is disposed here
   * ```
   */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Whether `dispose()` has freed the model.
   *
   * @example
   * ```ts
   * model.dispose();
   * model.disposed; // true
   * ```
   */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Loads a checkpoint written by `save` (or `snu train`): spec, weights and optimizer state, so
   * training can go on where it stopped.
   *
   * Its checksum catches damage (truncation, flipped bits), not tampering: anyone can edit a file
   * and seal it again. `load` refuses what it can check (sizes the file cannot hold, non-finite
   * weights or optimizer state), but a checkpoint from an untrusted source decides what the model
   * computes: treat it as you would treat code.
   *
   * @example
   * ```ts
   * const model = await Sequential.load('mnist.snu');
   * console.log(await model.evaluate(test));
   * ```
   */
  static async load(path: string): Promise<Sequential> {
    return Sequential.#restore(`Sequential.load: ${path}`, await readFile(path));
  }
}

/**
 * Builds a `Sequential` model: `sequential([snu({ units: 100 }), dense({ units: 10 })], { inputSize: 784 })`.
 *
 * @example
 * ```ts
 * const model = sequential([snu({ units: 100 }), dense({ units: 10 })], { inputSize: 784 })
 *   .compile({ loss: 'softmaxCrossEntropy', seed: 1 });
 * ```
 */
export function sequential(layers: LayerSpec[], options: ModelInput): Sequential {
  return new Sequential(layers, options);
}
