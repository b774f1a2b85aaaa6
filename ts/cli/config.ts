// The experiment config: one JSON file holding the task, the model, the data options and the
// training options. Validation turns it into canonical specs and names any bad field by its path.
import { readFileSync } from 'node:fs';
import { dense, embedding, snu } from '../layers.js';
import type { LayerSpec, LossSpec, OptimizerSpec, Readout } from '../spec.js';
import { LAYER_FIELDS, OPTIMIZERS } from '../generated/spec.js';
import { LR_SCHEDULES, type LrSchedule } from './schedule.js';
import { boolean, ConfigError, integer, number, object, oneOf, optional, show, string } from './validate.js';

/** The tasks `snu train` knows. */
export const TASK_NAMES = ['mnist', 'fashion-mnist', 'jsb', 'ptb'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** The optimizer without its learning rate (that lives in `train.lr`). */
export type OptimizerConfig = { kind: OptimizerSpec['kind'] } & Record<string, number | boolean | string>;

/** The validated `model` section: canonical layer specs, loss spec, optimizer. */
export interface ModelConfig {
  layers: LayerSpec[];
  readout: Readout;
  loss: LossSpec;
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
  /** How the learning rate moves from epoch to epoch (see `epochLr`); default `exponential`. */
  lrSchedule: LrSchedule;
}

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

// Each layer type's fields (`type` included), from the engine.
const SNU_FIELDS = LAYER_FIELDS.snu;
const DENSE_FIELDS = LAYER_FIELDS.dense;
const EMBEDDING_FIELDS = LAYER_FIELDS.embedding;

/** `g` as a name or as the canonical `{ kind, alpha }` object. */
function stateActivation(path: string, v: unknown): unknown {
  if (typeof v === 'string') return oneOf(path, v, ['relu', 'identity', 'leakyRelu'] as const);
  const o = object(path, v, ['kind', 'alpha']);
  const kind = oneOf(`${path}.kind`, o.kind, ['relu', 'identity', 'leakyRelu'] as const);
  if (kind !== 'leakyRelu') return { kind };
  return { kind, alpha: number(`${path}.alpha`, o.alpha, { min: 0 }) };
}

/** The surrogate as a name or as the canonical `{ kind, slope | width }` object. */
function surrogate(path: string, v: unknown): unknown {
  const kinds = ['tanh', 'fastSigmoid', 'rectangular', 'sigmoid'] as const;
  if (typeof v === 'string') return oneOf(path, v, kinds);
  const o = object(path, v, ['kind', 'slope', 'width']);
  const kind = oneOf(`${path}.kind`, o.kind, kinds);
  if (kind === 'tanh') return { kind };
  if (kind === 'rectangular') return { kind, width: number(`${path}.width`, o.width, { min: 0, exclusiveMin: true }) };
  return { kind, slope: number(`${path}.slope`, o.slope, { min: 0, exclusiveMin: true }) };
}

/** Runs a layer builder, prefixing its error with the layer's path. */
function build<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as Error).message}`);
  }
}

function layer(path: string, raw: unknown): LayerSpec {
  // The type first, so that a bad field is reported with the fields of the type given.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${path}: expected an object, got ${show(raw)}`);
  const type = oneOf(`${path}.type`, (raw as { type?: unknown }).type, Object.keys(LAYER_FIELDS) as (keyof typeof LAYER_FIELDS)[]);
  const name = (o: Record<string, unknown>) => optional(o.name, (v) => string(`${path}.name`, v));
  if (type === 'snu') {
    const o = object(path, raw, SNU_FIELDS);
    const config = {
      units: integer(`${path}.units`, o.units, 1),
      name: name(o),
      output: optional(o.output, (v) => oneOf(`${path}.output`, v, ['step', 'sigmoid'] as const)),
      g: optional(o.g, (v) => stateActivation(`${path}.g`, v)),
      recurrent: optional(o.recurrent, (v) => boolean(`${path}.recurrent`, v)),
      decay: optional(o.decay, (v) => number(`${path}.decay`, v, { min: 0, max: 1, exclusiveMax: true })),
      trainableDecay: optional(o.trainableDecay, (v) => boolean(`${path}.trainableDecay`, v)),
      surrogate: optional(o.surrogate, (v) => surrogate(`${path}.surrogate`, v)),
      detachReset: optional(o.detachReset, (v) => boolean(`${path}.detachReset`, v)),
      lateralInhibition: optional(o.lateralInhibition, (v) => boolean(`${path}.lateralInhibition`, v)),
      initialBias: optional(o.initialBias, (v) => number(`${path}.initialBias`, v)),
      dropout: optional(o.dropout, (v) => number(`${path}.dropout`, v, { min: 0, max: 1, exclusiveMax: true })),
    };
    return build(path, () => snu(config as Parameters<typeof snu>[0]));
  }
  if (type === 'dense') {
    const o = object(path, raw, DENSE_FIELDS);
    const config = {
      units: integer(`${path}.units`, o.units, 1),
      name: name(o),
      activation: optional(o.activation, (v) => oneOf(`${path}.activation`, v, ['none', 'relu', 'sigmoid', 'tanh'] as const)),
      useBias: optional(o.useBias, (v) => boolean(`${path}.useBias`, v)),
      tiedTo: optional(o.tiedTo, (v) => string(`${path}.tiedTo`, v)),
      dropout: optional(o.dropout, (v) => number(`${path}.dropout`, v, { min: 0, max: 1, exclusiveMax: true })),
    };
    return build(path, () => dense(config));
  }
  const o = object(path, raw, EMBEDDING_FIELDS);
  const config = {
    vocabSize: integer(`${path}.vocabSize`, o.vocabSize, 1),
    units: integer(`${path}.units`, o.units, 1),
    name: name(o),
    initRange: optional(o.initRange, (v) => number(`${path}.initRange`, v, { min: 0, max: 100, exclusiveMin: true })),
  };
  return build(path, () => embedding(config));
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
    const inputWidth = layers[i - 1]!.units;
    if (inputWidth !== target.units) {
      throw new ConfigError(`${path}[${i}].tiedTo: the tied matrix needs an input of ${target.units} values (the units of '${l.tiedTo}'), but ${path}[${i - 1}] gives ${inputWidth}`);
    }
  });
}

function loss(path: string, raw: unknown): LossSpec {
  const kinds = ['softmaxCrossEntropy', 'sparseSoftmaxCrossEntropy', 'binaryCrossEntropy', 'mse'] as const;
  if (typeof raw === 'string') {
    const kind = oneOf(path, raw, kinds);
    return kind === 'binaryCrossEntropy' ? { kind, fromLogits: false } : { kind };
  }
  const o = object(path, raw, ['kind', 'fromLogits']);
  const kind = oneOf(`${path}.kind`, o.kind, kinds);
  if (kind === 'binaryCrossEntropy') return { kind, fromLogits: optional(o.fromLogits, (v) => boolean(`${path}.fromLogits`, v), false) };
  if (o.fromLogits !== undefined) throw new ConfigError(`${path}.fromLogits: only binaryCrossEntropy takes fromLogits`);
  return { kind };
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
  const o = object(path, raw, ['layers', 'readout', 'loss', 'optimizer', 'clipNorm', 'tbptt']);
  if (!Array.isArray(o.layers) || o.layers.length === 0) {
    throw new ConfigError(`${path}.layers: expected a non-empty list of layers, got ${show(o.layers)}`);
  }
  const layers = o.layers.map((l, i) => layer(`${path}.layers[${i}]`, l));
  checkStack(`${path}.layers`, layers);
  const nullable = <T>(v: unknown, check: (v: unknown) => T): T | null => (v === undefined || v === null ? null : check(v));
  return {
    layers,
    readout: oneOf(`${path}.readout`, o.readout, ['sum', 'mean', 'last', 'sequence'] as const),
    loss: loss(`${path}.loss`, o.loss),
    optimizer: optional(o.optimizer, (v) => optimizer(`${path}.optimizer`, v), { kind: 'adam' }),
    clipNorm: nullable(o.clipNorm, (v) => number(`${path}.clipNorm`, v, { min: 0, exclusiveMin: true })),
    tbptt: nullable(o.tbptt, (v) => integer(`${path}.tbptt`, v, 1)),
  };
}

/** Validates the `train` section. */
export function validateTrain(raw: unknown, path = 'train'): TrainConfig {
  const o = object(path, raw, ['epochs', 'batchSize', 'lr', 'seed', 'lrDecay', 'lrSchedule']);
  const train: TrainConfig = {
    epochs: integer(`${path}.epochs`, o.epochs, 1),
    batchSize: integer(`${path}.batchSize`, o.batchSize, 1),
    lr: number(`${path}.lr`, o.lr, { min: 0, exclusiveMin: true }),
    seed: optional(o.seed, (v) => integer(`${path}.seed`, v, 0, 2 ** 32 - 1), 0),
    lrDecay: optional(o.lrDecay, (v) => number(`${path}.lrDecay`, v, { min: 0, exclusiveMin: true }), 1),
    lrSchedule: optional(o.lrSchedule, (v) => oneOf(`${path}.lrSchedule`, v, LR_SCHEDULES), 'exponential'),
  };
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
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
