// `snu train --resume <run folder>`: continue a stopped or finished run from its checkpoint.snu,
// with its own config.json and the epochs metrics.json records.
//
// Resuming after a whole epoch is exact: the checkpoint holds the weights, the optimizer's
// moments and the dropout generator's position, and each epoch's shuffling and encoding come from
// (seed, epoch). A run stopped inside an epoch starts that epoch again from its beginning, with
// the weights it had reached when it stopped.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelSpec } from '../spec.js';
import type { TaskName, TrainConfig } from './config.js';
import { CliError } from './errors.js';
import { resolveExperiment, type Experiment } from './experiment.js';
import { runFiles, type RunFiles } from './run-output.js';
import { readRunMetrics, type RunMetrics } from './run-metrics.js';

/** A run folder read for resuming. */
export interface ResumedRun extends Experiment {
  files: RunFiles;
  /** The run's metrics so far (epochs, best, training time). */
  metrics: RunMetrics;
  /** The first epoch to train, 0-based: the number of epochs metrics.json records. */
  startEpoch: number;
}

/**
 * Reads `dir` (checkpoint.snu, config.json, metrics.json) to continue training it; `epochs`
 * raises `train.epochs` to train a finished run further. Refuses a folder that is not a run, a
 * run for another task, and a run that has already trained all its epochs.
 * @example
 * ```ts
 * const run = readRunToResume({ dir: 'runs/ptb', task: 'ptb', epochs: 20, cwd: process.cwd() });
 * console.log(`epoch ${run.startEpoch + 1} of ${run.config.train.epochs}`);
 * ```
 */
export function readRunToResume(o: { dir: string; task: TaskName | undefined; epochs: number | undefined; cwd: string }): ResumedRun {
  const files = runFiles(resolve(o.cwd, o.dir));
  for (const f of [files.checkpoint, files.config, files.metrics]) {
    if (!existsSync(f)) throw new CliError(`cannot resume ${files.dir}: no ${f.slice(files.dir.length + 1)} there (a run folder written by snu train holds checkpoint.snu, config.json and metrics.json)`);
  }
  const overrides: Partial<TrainConfig> = o.epochs !== undefined ? { epochs: o.epochs } : {};
  const { config, source } = resolveExperiment({ task: o.task, configFlag: files.config, overrides, cwd: o.cwd });
  const metrics = readRunMetrics(files.metrics, 'cannot resume');
  if (metrics.task !== config.task) throw new CliError(`cannot resume ${files.dir}: metrics.json is for '${metrics.task}' but config.json for '${config.task}'`);
  const done = metrics.epochs.length;
  if (done >= config.train.epochs) {
    throw new CliError(`${files.dir} has trained all its ${done} epochs; pass --epochs <n> with n above ${done} to train it further`);
  }
  return { config, source, files, metrics, startEpoch: done };
}

/**
 * The fields in which the model config.json describes differs from the checkpoint's, as
 * `model.<field>` with both values where they are short: empty when the run can go on. Both specs
 * come from the engine with every default filled in. The seed only drew the first weights, and the
 * learning rate is set each epoch from `train.lr` and its schedule, so neither is compared; every
 * other field (the optimizer's options, `clipNorm`, `tbptt`, `lossReduction` too) would silently be
 * the checkpoint's while the header printed the config's.
 * @example
 * ```ts
 * const fresh = sequential([snu({ units: 4 })], { inputSize: 3 }).compile({ loss: 'mse' });
 * const clipped = sequential([snu({ units: 4 })], { inputSize: 3 }).compile({ loss: 'mse', clipNorm: 5 });
 * modelDifferences(clipped.spec, fresh.spec); // ['model.clipNorm (5 in config.json, none in checkpoint.snu)']
 * ```
 */
export function modelDifferences(described: ModelSpec, stored: ModelSpec): string[] {
  const comparable = (s: ModelSpec): Record<string, unknown> => {
    const { seed: _seed, optimizer, ...rest } = s;
    const { lr: _lr, ...options } = optimizer;
    return { ...rest, optimizer: options };
  };
  const a = comparable(described);
  const b = comparable(stored);
  const show = (v: unknown): string => (v === undefined || v === null ? 'none' : JSON.stringify(v));
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => {
      const [x, y] = [show(a[k]), show(b[k])];
      return x.length + y.length <= 60 ? `model.${k} (${x} in config.json, ${y} in checkpoint.snu)` : `model.${k}`;
    });
}
