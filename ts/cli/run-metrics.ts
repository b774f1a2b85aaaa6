// The content of a run folder's metrics.json, as `snu train` writes it each epoch and
// `snu train --resume` reads it back.
import { readFileSync } from 'node:fs';
import type { TaskName } from './config.js';
import { CliError } from './errors.js';
import type { MachineInfo } from './run-output.js';
import type { Metrics } from './task.js';

/** One epoch in metrics.json. */
export interface EpochEntry {
  /** 1-based. */
  epoch: number;
  lr: number;
  loss: number;
  /** Training accuracy, each step's output before its update (classification tasks). */
  accuracy?: number;
  seconds: number;
  samplesPerSecond?: number;
  tokensPerSecond?: number;
  /** Metrics on the validation split, where there is one. */
  val?: Metrics;
}

/** Where a run was stopped: the epoch (1-based) and the units (samples, tokens) done of it. */
export interface StopPoint {
  epoch: number;
  done: number;
  of: number;
}

/** The content of metrics.json. */
export interface RunMetrics {
  task: TaskName;
  /** The config file the run started from (config.json holds it as run, flags applied). */
  configSource: string;
  description?: string;
  status: 'running' | 'finished' | 'interrupted' | 'failed';
  interrupted: boolean;
  /** The task's metric (a key of `test`, `val`): accuracy, nll or perplexity. */
  metric: string;
  higherIsBetter: boolean;
  startedAt: string;
  updatedAt: string;
  epochs: EpochEntry[];
  /** The epoch best on validation (saved as best.snu), with its test metrics once measured. */
  best?: { epoch: number; val: Metrics; test?: Metrics };
  /** Test metrics of the final model (checkpoint.snu). */
  test?: Metrics;
  /** Seconds spent in training steps (evaluation excluded). */
  trainingSeconds: number;
  samplesPerSecond?: number;
  tokensPerSecond?: number;
  /** Where an interrupted run stopped. */
  interruptedAt?: StopPoint;
  /** Each `snu train --resume` of this run: when, the first epoch (1-based) it trained, and where the run had stopped. */
  resumed?: { at: string; fromEpoch: number; after?: StopPoint }[];
  error?: string;
  machine: MachineInfo;
}

/** metrics.json, checked for the fields resuming and reports rely on; errors start with `what` (`cannot resume`). */
export function readRunMetrics(path: string, what: string): RunMetrics {
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`${what}: ${path} is not readable JSON (${(e as Error).message})`);
  }
  const r = m as Partial<RunMetrics> | null;
  const epochsOk = Array.isArray(r?.epochs) && r.epochs.every((e, i) => typeof e === 'object' && e !== null && e.epoch === i + 1);
  if (!r || typeof r !== 'object' || typeof r.task !== 'string' || !epochsOk || typeof r.trainingSeconds !== 'number') {
    throw new CliError(`${what}: ${path} is not the metrics.json of a snu run (expected task, trainingSeconds and epochs 1, 2, …)`);
  }
  return r as RunMetrics;
}
