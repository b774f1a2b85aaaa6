// The experiment config: one JSON file holding the task, the model, the data options and the
// training options. Validation turns it into canonical specs and names any bad field by its path.
import { readFileSync } from 'node:fs';
import { describe } from '../checks.js';
import { layerFromConfig } from '../layers.js';
import { lossSpec } from '../losses.js';
import type { LayerSpec, LossReduction, LossSpec, OptimizerSpec, Readout } from '../spec.js';
import { LOSS_REDUCTIONS, OPTIMIZERS, READOUTS } from '../generated/spec.js';
import { MAX_RUN_SEED } from '../random.js';
import { MAX_LR } from '../generated/limits.js';
import { boolean, ConfigError, inConfig, integer, number, object, oneOf, optional, string } from './validate.js';

/** The tasks `snu train` knows. */
export const TASK_NAMES = ['mnist', 'mnist-conv', 'fashion-mnist', 'jsb', 'ptb'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** How the learning rate moves from epoch to epoch (`train.lrSchedule`; see ts/cli/schedule.ts). */
export const LR_SCHEDULES = ['exponential', 'cosine'] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

/** The optimizer without its learning rate (that lives in `train.lr`). */
export type OptimizerConfig = { kind: OptimizerSpec['kind'] } & Record<string, number | boolean | string>;

/** The validated `model` section: canonical layer specs, loss spec, optimizer. */
export interface ModelConfig {
  /** `[C, H, W]` when the first layers take images (convolutions, pooling); none: flat inputs. */
  inputShape?: [number, number, number];
  layers: LayerSpec[];
  readout: Readout;
  loss: LossSpec;
  /** `'sum'` or `'mean'`; none: the engine's default (the mean). */
  lossReduction?: LossReduction;
  optimizer: OptimizerConfig;
  clipNorm: number | null;
  tbptt: number | null;
}

/** The validated `train` section. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** The learning rate is multiplied by this after every epoch (`exponential` schedule only). */
  lrDecay: number;
  /** How the learning rate moves from epoch to epoch (see `runSchedule`); default `exponential`. */
  lrSchedule: LrScheduleName;
  /** How gradients are computed (`Sequential.setTrainingMethod`); default `bptt`. */
  method: TrainingMethodName;
  /** With `ostl`: update the weights every this many steps of the sequences (null: once per batch). */
  updateEvery: number | null;
}

/** The training methods of `train.method`. */
export const TRAINING_METHODS = ['bptt', 'ostl'] as const;
export type TrainingMethodName = (typeof TRAINING_METHODS)[number];

/** A whole experiment; `D` is the task's data options. */
export interface ExperimentConfig<D = Record<string, unknown>> {
  task: TaskName;
  description?: string;
  model: ModelConfig;
  data: D;
  train: TrainConfig;
}

/** Checks and completes a task's `data` section (the task knows its fields). */
export type DataValidator = (task: TaskName, raw: unknown, path: string) => Record<string, unknown>;

/** Each optimizer's fields but `kind` and `lr` (set in `train.lr`), from the engine. */
const OPTIMIZER_FIELDS = Object.fromEntries(
  Object.entries(OPTIMIZERS).map(([kind, defaults]) => [kind, Object.keys(defaults).filter((f) => f !== 'kind' && f !== 'lr')]),
) as unknown as Record<OptimizerSpec['kind'], readonly string[]>;

/** A layer of the config through the library builder of its `type` (one set of rules and defaults). */
function layer(path: string, raw: unknown): LayerSpec {
  return inConfig(() => layerFromConfig(path, raw, 'field'));
}

/** Cross-layer rules: unique names, embedding first, `tiedTo` naming an embedding of matching shape. */
function checkStack(path: string, layers: LayerSpec[]): void {
  const seen = new Map<string, number>();
  layers.forEach((l, i) => {
    if (l.name == null) return;
    if (seen.has(l.name)) throw new ConfigError(`${path}[${i}].name: '${l.name}' is already the name of ${path}[${seen.get(l.name)}]`);
    seen.set(l.name, i);
  });
  layers.forEach((l, i) => {
    if (l.type === 'embedding' && i !== 0) throw new ConfigError(`${path}[${i}]: an embedding layer can only be the first layer`);
    if (l.type !== 'dense' || l.tiedTo == null) return;
    const at = seen.get(l.tiedTo);
    const target = at === undefined ? undefined : layers[at];
    if (target?.type !== 'embedding') {
      throw new ConfigError(`${path}[${i}].tiedTo: expected the name of an embedding layer, got '${l.tiedTo}'`);
    }
    if (l.units !== target.vocabSize) {
      throw new ConfigError(`${path}[${i}].units: a layer tied to '${l.tiedTo}' has one output per word: expected ${target.vocabSize} (its vocabSize), got ${l.units}`);
    }
    const before = layers[i - 1]!;
    const inputWidth = 'units' in before ? before.units : undefined;
    if (inputWidth !== target.units) {
      throw new ConfigError(`${path}[${i}].tiedTo: the tied matrix needs an input of ${target.units} values (the units of '${l.tiedTo}'), but ${path}[${i - 1}] gives ${inputWidth}`);
    }
  });
}

function loss(path: string, raw: unknown): LossSpec {
  return inConfig(() => lossSpec(path, raw));
}

function optimizer(path: string, raw: unknown): OptimizerConfig {
  const kinds = Object.keys(OPTIMIZER_FIELDS) as OptimizerSpec['kind'][];
  const first = object(path, raw, ['kind', 'lr', ...new Set(Object.values(OPTIMIZER_FIELDS).flat())]);
  if (first.lr !== undefined) throw new ConfigError(`${path}.lr: set the learning rate in train.lr (or with --lr), not in the optimizer`);
  const kind = oneOf(`${path}.kind`, first.kind, kinds);
  const o = object(path, raw, ['kind', ...OPTIMIZER_FIELDS[kind]]);
  const out: OptimizerConfig = { kind };
  for (const [key, value] of Object.entries(o)) {
    if (key === 'kind') continue;
    out[key] = key === 'nesterov' ? boolean(`${path}.${key}`, value) : number(`${path}.${key}`, value, { min: 0 });
  }
  return out;
}

/**
 * Validates the `model` section: layer configs (as `snu()`, `dense()`, `embedding()` take them,
 * plus a `type`) become canonical specs.
 * @example
 * ```ts
 * validateModel({ layers: [{ type: 'snu', units: 10 }], readout: 'sum', loss: 'softmaxCrossEntropy' }, 'model');
 * ```
 */
export function validateModel(raw: unknown, path = 'model'): ModelConfig {
  const o = object(path, raw, ['inputShape', 'layers', 'readout', 'loss', 'lossReduction', 'optimizer', 'clipNorm', 'tbptt']);
  if (!Array.isArray(o.layers) || o.layers.length === 0) {
    throw new ConfigError(`${path}.layers: expected a non-empty list of layers, got ${describe(o.layers)}`);
  }
  const layers = o.layers.map((l, i) => layer(`${path}.layers[${i}]`, l));
  checkStack(`${path}.layers`, layers);
  const nullable = <T>(v: unknown, check: (v: unknown) => T): T | null => (v === undefined || v === null ? null : check(v));
  const inputShape = optional(o.inputShape, (v) => {
    if (!Array.isArray(v) || v.length !== 3) throw new ConfigError(`${path}.inputShape: expected [channels, height, width], got ${describe(v)}`);
    return v.map((n, i) => integer(`${path}.inputShape[${i}]`, n, 1)) as [number, number, number];
  });
  return {
    ...(inputShape ? { inputShape } : {}),
    layers,
    readout: oneOf(`${path}.readout`, o.readout, READOUTS),
    loss: loss(`${path}.loss`, o.loss),
    ...(o.lossReduction === undefined ? {} : { lossReduction: oneOf(`${path}.lossReduction`, o.lossReduction, LOSS_REDUCTIONS) }),
    optimizer: optional(o.optimizer, (v) => optimizer(`${path}.optimizer`, v), { kind: 'adam' }),
    clipNorm: nullable(o.clipNorm, (v) => number(`${path}.clipNorm`, v, { above: 0 })),
    tbptt: nullable(o.tbptt, (v) => integer(`${path}.tbptt`, v, 1)),
  };
}

/** Validates the `train` section. */
export function validateTrain(raw: unknown, path = 'train'): TrainConfig {
  const o = object(path, raw, ['epochs', 'batchSize', 'lr', 'seed', 'lrDecay', 'lrSchedule', 'method', 'updateEvery']);
  const train: TrainConfig = {
    epochs: integer(`${path}.epochs`, o.epochs, 1),
    batchSize: integer(`${path}.batchSize`, o.batchSize, 1),
    lr: number(`${path}.lr`, o.lr, { above: 0, max: MAX_LR }),
    seed: optional(o.seed, (v) => integer(`${path}.seed`, v, 0, MAX_RUN_SEED), 0),
    lrDecay: optional(o.lrDecay, (v) => number(`${path}.lrDecay`, v, { above: 0, max: 1 }), 1),
    lrSchedule: optional(o.lrSchedule, (v) => oneOf(`${path}.lrSchedule`, v, LR_SCHEDULES), 'exponential'),
    method: optional(o.method, (v) => oneOf(`${path}.method`, v, TRAINING_METHODS), 'bptt'),
    updateEvery: o.updateEvery === undefined || o.updateEvery === null ? null : integer(`${path}.updateEvery`, o.updateEvery, 1),
  };
  if (train.method !== 'ostl' && train.updateEvery !== null) {
    throw new ConfigError(`${path}.updateEvery: applies to method 'ostl' only (remove it, or set ${path}.method to 'ostl')`);
  }
  // A decay the schedule would ignore is a mistake worth naming.
  if (train.lrSchedule !== 'exponential' && train.lrDecay !== 1) {
    throw new ConfigError(`${path}.lrDecay: applies to the 'exponential' schedule only, not to '${train.lrSchedule}' (remove it)`);
  }
  return train;
}

/**
 * Validates a whole experiment config; `validateData` checks the task's `data` section.
 * Errors are `ConfigError`s naming the field, e.g. `model.layers[2].units: expected an integer >= 1, got number 0`.
 */
export function validateConfig(raw: unknown, validateData: DataValidator): ExperimentConfig {
  const o = object('config', raw, ['task', 'description', 'model', 'data', 'train']);
  const task = oneOf('task', o.task, TASK_NAMES);
  const config: ExperimentConfig = {
    task,
    model: validateModel(o.model),
    data: validateData(task, o.data ?? {}, 'data'),
    train: validateTrain(o.train),
  };
  if (o.description !== undefined) config.description = string('description', o.description);
  return config;
}

/**
 * Reads a config file as JSON (not yet validated); errors name the file.
 * @example
 * ```ts
 * const raw = readConfigFile('configs/jsb-snu.json');
 * ```
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `no config file at ${path}` : `cannot read the config file ${path} (${(e as Error).message})`);
  }
  try {
    // A UTF-8 byte-order mark (some Windows editors write one) is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
