// The loops of `Sequential.fit` and `Sequential.evaluate` over a dataset: batches, shuffling and
// encoding seeds, the learning-rate schedule, validation, progress, and the callbacks.
import { checkBoolean, checkCallback, checkInteger, checkKeys, checkNumber, checkObject, describe } from './checks.js';
import type { Batch, Dataset } from './data.js';
import { MAX_LR, MAX_VALUES } from './generated/limits.js';
import { formatDuration, formatRate, Progress } from './progress.js';
import { batchSeed, MAX_RUN_SEED, shuffledIndices } from './random.js';
import type { LrSchedule } from './schedules.js';

/**
 * Metrics of one epoch, as `fit` passes them to `onEpochEnd` and keeps them in `History.epochs`.
 *
 * @example
 * ```ts
 * await model.fit(train, {
 *   epochs: 2,
 *   batchSize: 32,
 *   validationData: test,
 *   onEpochEnd: (logs: EpochLogs) => console.log(logs.epoch, logs.loss, logs.valAccuracy),
 * });
 * ```
 */
export interface EpochLogs {
  /** 0-based (counted from 0, not from `initialEpoch`). */
  epoch: number;
  /** The learning rate the epoch trained at. */
  lr: number;
  /** Mean training loss of the epoch, over its rows (samples; real steps for the `sequence` readout). */
  loss: number;
  /**
   * Fraction of the epoch's training rows whose readout argmax matches the target's, each
   * counted on the output of its step before the update (softmax cross-entropy losses only).
   */
  accuracy?: number;
  /** Mean loss on the validation data, when there is some. */
  valLoss?: number;
  /** Accuracy on the validation data, when there is some (softmax cross-entropy losses only). */
  valAccuracy?: number;
  /** Wall time of the epoch's training steps. */
  seconds: number;
  /** Training samples per second in the epoch. */
  samplesPerSecond: number;
}

/**
 * The model as a callback sees it: the `Sequential` being trained.
 *
 * @example
 * ```ts
 * const halve: Callback = { onEpochEnd: (logs, { model: m }) => m.setLearningRate(logs.lr / 2) };
 * ```
 */
export interface CallbackModel {
  getWeights(): Record<string, Float32Array>;
  setWeights(weights: Record<string, Float32Array>): void;
  setLearningRate(lr: number): void;
  save(path: string): Promise<void>;
}

/**
 * What `fit` hands a callback.
 *
 * @example
 * ```ts
 * const stopAt90: Callback = { onEpochEnd: (logs, context: CallbackContext) => void ((logs.valAccuracy ?? 0) > 0.9 && context.stop()) };
 * ```
 */
export interface CallbackContext {
  /** The model being trained. */
  model: CallbackModel;
  /** Ends training after this epoch (`History.stopped` is then true). */
  stop(): void;
}

/**
 * Something `fit({ callbacks })` calls after every epoch, after `onEpochEnd`. `earlyStopping`,
 * `modelCheckpoint` and `reduceLrOnPlateau` make one; any object of this shape works.
 *
 * @example
 * ```ts
 * const logEvery: Callback = { onEpochEnd: (logs) => console.log(logs.epoch, logs.valLoss) };
 * await model.fit(train, { epochs: 5, batchSize: 64, validationData: test, callbacks: [logEvery] });
 * ```
 */
export interface Callback {
  onEpochEnd?(logs: EpochLogs, context: CallbackContext): void | Promise<void>;
  /** After the last epoch, after a stop, or after `signal` aborted training. */
  onTrainEnd?(context: CallbackContext): void | Promise<void>;
  /** True for a callback that sets the learning rate (it cannot go with `lrSchedule`). */
  readonly setsLearningRate?: boolean;
}

/**
 * Options of `Sequential.fit`. Only `epochs` and `batchSize` are required.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const options: FitOptions = {
 *   epochs: 10,
 *   batchSize: 64,
 *   seed: 1,
 *   validationSplit: 0.1,
 *   callbacks: [earlyStopping({ patience: 2 })],
 *   verbose: true,
 *   signal: controller.signal,
 * };
 * const history = await model.fit(train, options);
 * ```
 */
export interface FitOptions {
  /** The epoch to stop before: trains epochs `initialEpoch` to `epochs - 1` (as Keras counts). */
  epochs: number;
  /**
   * The epoch to start from (default 0). Shuffling, encoding and `lrSchedule` follow the epoch
   * number, so a model saved after epoch `k` and loaded again (weights and optimizer state) goes on
   * with `fit(data, { ...options, initialEpoch: k + 1 })` exactly as an uninterrupted run would.
   */
  initialEpoch?: number;
  /** Samples per training step (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Shuffle each epoch with a seed derived from `seed`. Default true. */
  shuffle?: boolean;
  /** Seed of shuffling and encoding. Default 0. */
  seed?: number;
  /**
   * The learning rate of each epoch, set before the epoch starts: `cosineDecay`, `exponentialDecay`
   * or any `(epoch) => lr`. Default: the optimizer's rate, unchanged.
   */
  lrSchedule?: LrSchedule;
  /** Evaluated after every epoch, into `valLoss` (and `valAccuracy`). */
  validationData?: Dataset;
  /**
   * A fraction in (0, 1): the last samples of `data` (in its order, before any shuffling) are held
   * out as the validation data and not trained on, as Keras does. Not with `validationData`.
   */
  validationSplit?: number;
  /** `earlyStopping`, `modelCheckpoint`, `reduceLrOnPlateau`, or your own, called after every epoch. */
  callbacks?: Callback[];
  /** Called after each epoch; may be async. */
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  /** Called after each batch with its loss. */
  onBatchEnd?: (info: { epoch: number; batch: number; batches: number; loss: number; samples: number }) => void;
  /**
   * Print each epoch's progress (a bar, speed, running loss and ETA, redrawn in place on a
   * terminal) and a line of its metrics to stderr, as `snu train` does. Default false.
   */
  verbose?: boolean;
  /** Stops training after the current step; the weights of the last finished step are kept. */
  signal?: AbortSignal;
}

/**
 * What `fit` resolves with.
 *
 * @example
 * ```ts
 * const history: History = await model.fit(train, { epochs: 3, batchSize: 64 });
 * console.log(history.epochs.at(-1)?.loss, history.aborted, history.stopped);
 * ```
 */
export interface History {
  /** One entry per finished epoch. */
  epochs: EpochLogs[];
  /** True when `signal` stopped training early. */
  aborted: boolean;
  /** True when a callback (`earlyStopping`, say) ended training. */
  stopped: boolean;
}

/**
 * What `evaluate` resolves with.
 *
 * @example
 * ```ts
 * const { loss, accuracy }: Evaluation = await model.evaluate(test);
 * ```
 */
export interface Evaluation {
  /** Mean loss over the dataset (over its real steps, for masked sequences). */
  loss: number;
  /** Fraction of rows whose readout arg-max is the target class (softmax cross-entropy losses only). */
  accuracy?: number;
}

/** What a step of the engine reports: the batch's mean loss and, for softmax losses, accuracy counts. */
export interface StepResult {
  loss: number;
  correct?: { correct: number; rows: number } | null;
}

/** @internal What the loops need of a model. */
export interface LoopTarget {
  /** The model itself, as callbacks see it. */
  model: CallbackModel;
  /** Whether the loss averages over steps (the `sequence` readout) rather than samples. */
  perStep: boolean;
  learningRate(): number;
  setLearningRate(lr: number): void;
  /** One training step off the main thread; errors name `what`. */
  trainStep(what: string, batch: Batch): Promise<StepResult>;
  /** Loss and counts of a batch off the main thread; errors name `what`. */
  evaluateStep(what: string, batch: Batch): Promise<StepResult>;
}

const FIT_OPTIONS = ['epochs', 'initialEpoch', 'batchSize', 'shuffle', 'seed', 'lrSchedule', 'validationData', 'validationSplit', 'callbacks', 'onEpochEnd', 'onBatchEnd', 'verbose', 'signal'];

/** How many rows a batch's mean loss was taken over, to weight it in an average over batches. */
function lossRows(batch: Batch, perStep: boolean): number {
  if (!perStep) return batch.batch;
  if (!batch.mask) return batch.steps * batch.batch;
  let real = 0;
  for (const m of batch.mask) real += m;
  return real;
}

/**
 * Loss and accuracy summed over the batches of a pass: each batch's mean loss weighted by its
 * rows, and the engine's accuracy counts (rows whose arg-max output is the target class; it
 * gives them for softmax cross-entropy losses only).
 */
class Tally {
  #lossSum = 0;
  #lossRows = 0;
  #correct = 0;
  #rows = 0;
  #counted = false;

  add(batch: Batch, perStep: boolean, r: StepResult): void {
    const rows = lossRows(batch, perStep);
    this.#lossSum += r.loss * rows;
    this.#lossRows += rows;
    if (r.correct) {
      this.#correct += r.correct.correct;
      this.#rows += r.correct.rows;
      this.#counted = true;
    }
  }

  get loss(): number {
    return this.#lossSum / this.#lossRows;
  }

  get accuracy(): number | undefined {
    return this.#counted ? this.#correct / this.#rows : undefined;
  }
}

/** A dataset as `fit` and `evaluate` use it: an integer `size` >= 1 and a `batch` function. */
function checkDataset(what: string, data: unknown): Dataset {
  if (typeof data !== 'object' || data === null) throw new TypeError(`${what}: expected a dataset { size, batch(indices, seed) }, got ${describe(data)}`);
  const d = data as { size?: unknown; batch?: unknown };
  checkInteger(`${what}.size`, d.size, 1, MAX_VALUES);
  if (typeof d.batch !== 'function') throw new TypeError(`${what}.batch: expected a function (indices, seed) => Batch, got ${describe(d.batch)}`);
  return data as Dataset;
}

/** A batch a dataset returned for `rows` indices: it must hold exactly those rows. */
function checkRows(what: string, batch: Batch, rows: number): Batch {
  if (typeof batch !== 'object' || batch === null) throw new TypeError(`${what}: expected a batch { x, y, steps, batch, mask? }, got ${describe(batch)}`);
  if (batch.batch !== rows) throw new RangeError(`${what}: asked for ${rows} samples, the dataset returned a batch of ${String(batch.batch)}`);
  return batch;
}

/** Samples `[start, end)` of `data` as a dataset of their own. */
function slice(data: Dataset, start: number, end: number): Dataset {
  return {
    size: end - start,
    batch: (indices, seed) => data.batch(Array.from(indices, (i) => i + start), seed),
  };
}

function checkCallbacks(value: unknown): Callback[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`callbacks: expected an array of callbacks, got ${describe(value)}`);
  value.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) throw new TypeError(`callbacks[${i}]: expected a callback { onEpochEnd?, onTrainEnd? }, got ${describe(c)}`);
    checkCallback(`callbacks[${i}].onEpochEnd`, (c as Callback).onEpochEnd);
    checkCallback(`callbacks[${i}].onTrainEnd`, (c as Callback).onTrainEnd);
  });
  return value as Callback[];
}

/** The line `verbose` prints after an epoch. */
function epochSummary(logs: EpochLogs, epochs: number): string {
  const percent = (v: number) => `${(100 * v).toFixed(2)} %`;
  const parts = [`epoch ${logs.epoch + 1}/${epochs}`, `loss ${logs.loss.toFixed(4)}`];
  if (logs.accuracy !== undefined) parts.push(`accuracy ${percent(logs.accuracy)}`);
  if (logs.valLoss !== undefined) parts.push(`val loss ${logs.valLoss.toFixed(4)}`);
  if (logs.valAccuracy !== undefined) parts.push(`val accuracy ${percent(logs.valAccuracy)}`);
  parts.push(`lr ${logs.lr.toPrecision(3)}`, formatDuration(logs.seconds), `${formatRate(logs.samplesPerSecond)} samples/s`);
  return parts.join('  ');
}

/** @internal The loop of `Sequential.fit`. */
export async function fitLoop(target: LoopTarget, data: Dataset, options: FitOptions): Promise<History> {
  checkDataset('fit: data', data);
  checkKeys('fit', checkObject('fit: options', options), FIT_OPTIONS);
  checkBoolean('shuffle', options.shuffle, true);
  const verbose = checkBoolean('verbose', options.verbose, false);
  if (options.validationData !== undefined) checkDataset('fit: validationData', options.validationData);
  checkCallback('lrSchedule', options.lrSchedule);
  checkCallback('onEpochEnd', options.onEpochEnd);
  checkCallback('onBatchEnd', options.onBatchEnd);
  const callbacks = checkCallbacks(options.callbacks);
  if (options.lrSchedule && callbacks.some((c) => c.setsLearningRate)) {
    throw new TypeError('fit: lrSchedule and a callback that sets the learning rate (reduceLrOnPlateau) would both set it; use one');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError(`signal: expected an AbortSignal, got ${describe(options.signal)}`);
  const epochs = checkInteger('epochs', options.epochs, 0);
  const initialEpoch = checkInteger('initialEpoch', options.initialEpoch ?? 0, 0, epochs);
  const batchSize = checkInteger('batchSize', options.batchSize, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0, MAX_RUN_SEED);
  let train = data;
  let validation = options.validationData;
  if (options.validationSplit !== undefined) {
    if (validation !== undefined) throw new TypeError('fit: validationSplit and validationData both name the validation data; give one');
    const split = checkNumber('validationSplit', options.validationSplit, { above: 0, below: 1 });
    const held = Math.floor(data.size * split);
    if (held < 1 || held >= data.size) throw new RangeError(`validationSplit: ${split} of ${data.size} samples holds out ${held}; expected at least 1 and fewer than all`);
    train = slice(data, 0, data.size - held);
    validation = slice(data, data.size - held, data.size);
  }

  const batches = Math.ceil(train.size / batchSize);
  const history: History = { epochs: [], aborted: false, stopped: false };
  const context: CallbackContext = { model: target.model, stop: () => void (history.stopped = true) };
  for (let epoch = initialEpoch; epoch < epochs && !history.stopped; epoch++) {
    if (options.lrSchedule) {
      target.setLearningRate(checkNumber(`lrSchedule(${epoch})`, options.lrSchedule(epoch), { above: 0, max: MAX_LR }));
    }
    const lr = target.learningRate();
    const order = options.shuffle === false ? Uint32Array.from({ length: train.size }, (_, i) => i) : shuffledIndices(train.size, batchSeed(seed, epoch, -1));
    const progress = verbose ? new Progress({ label: `epoch ${epoch + 1}/${epochs}`, total: train.size, unit: 'samples', tty: process.stderr.isTTY === true, columns: process.stderr.columns || 80, write: (t) => void process.stderr.write(t) }) : undefined;
    const started = performance.now();
    const tally = new Tally();
    let seen = 0;
    try {
      for (let b = 0; b < batches; b++) {
        if (options.signal?.aborted) {
          history.aborted = true;
          break;
        }
        const indices = order.subarray(b * batchSize, (b + 1) * batchSize);
        const batch = checkRows('fit: data.batch()', train.batch(indices, batchSeed(seed, epoch, b)), indices.length);
        const report = await target.trainStep('fit: data.batch()', batch);
        tally.add(batch, target.perStep, report);
        seen += batch.batch;
        progress?.update(seen, report.loss);
        options.onBatchEnd?.({ epoch, batch: b, batches, loss: report.loss, samples: seen });
      }
    } finally {
      progress?.end();
    }
    if (history.aborted) break;
    const seconds = (performance.now() - started) / 1000;
    const logs: EpochLogs = { epoch, lr, loss: tally.loss, seconds, samplesPerSecond: seen / seconds };
    if (tally.accuracy !== undefined) logs.accuracy = tally.accuracy;
    if (validation) {
      const v = await evaluateLoop(target, validation, { batchSize });
      logs.valLoss = v.loss;
      if (v.accuracy !== undefined) logs.valAccuracy = v.accuracy;
    }
    history.epochs.push(logs);
    if (verbose) process.stderr.write(`${epochSummary(logs, epochs)}\n`);
    await options.onEpochEnd?.(logs);
    for (const c of callbacks) await c.onEpochEnd?.(logs, context);
  }
  for (const c of callbacks) await c.onTrainEnd?.(context);
  return history;
}

/** @internal The loop of `Sequential.evaluate`: the dataset in order, in batches of `batchSize`. */
export async function evaluateLoop(target: LoopTarget, data: Dataset, options: { batchSize?: number; seed?: number } = {}): Promise<Evaluation> {
  checkDataset('evaluate: data', data);
  checkKeys('evaluate', checkObject('evaluate: options', options), ['batchSize', 'seed']);
  const batchSize = checkInteger('batchSize', options.batchSize ?? 256, 1);
  const seed = checkInteger('seed', options.seed ?? 0, 0, MAX_RUN_SEED);
  const tally = new Tally();
  for (let start = 0, b = 0; start < data.size; start += batchSize, b++) {
    const idx = Uint32Array.from({ length: Math.min(batchSize, data.size - start) }, (_, i) => start + i);
    // A sample may itself hold several rows (a window of parallel text streams): no row check here.
    const batch = data.batch(idx, batchSeed(seed, -1, b));
    tally.add(batch, target.perStep, await target.evaluateStep('evaluate: data.batch()', batch));
  }
  const accuracy = tally.accuracy;
  return accuracy === undefined ? { loss: tally.loss } : { loss: tally.loss, accuracy };
}
