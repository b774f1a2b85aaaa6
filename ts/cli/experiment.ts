// Which experiment a command runs: the config file (given or the task's built-in one), validated,
// with the command-line overrides of `train` applied.
import { join } from 'node:path';
import { readConfigFile, validateConfig, type ExperimentConfig, type TaskName, type TrainConfig } from './config.js';
import { CONFIG_DIR, builtinConfigs, configPath } from './paths.js';
import { TASKS, validateTaskData } from './tasks.js';
import { ConfigError } from './validate.js';

/** A validated config and the file it came from. */
export interface Experiment {
  config: ExperimentConfig;
  /** The config file read. */
  source: string;
}

/** The built-in config file of a task. */
export function defaultConfigFile(task: TaskName): string {
  return join(CONFIG_DIR, `${TASKS[task].defaultConfig}.json`);
}

/**
 * Loads and validates the experiment: `configFlag` (a path or a built-in name) or the task's
 * built-in config, then applies `overrides` to `train` and checks the model against the task.
 * @example
 * ```ts
 * resolveExperiment({ task: 'jsb', configFlag: undefined, overrides: { epochs: 2 }, cwd: process.cwd() });
 * ```
 */
export function resolveExperiment(o: {
  task: TaskName | undefined;
  configFlag: string | undefined;
  overrides: Partial<TrainConfig>;
  /** `--limit`: train on the first `limit` samples (`data.limit`). */
  limit?: number;
  cwd: string;
}): Experiment {
  if (o.task === undefined && o.configFlag === undefined) throw new ConfigError('expected a task or --config');
  const source = o.configFlag !== undefined ? configPath(o.configFlag, o.cwd) : defaultConfigFile(o.task!);
  let raw: unknown;
  try {
    raw = readConfigFile(source);
  } catch (e) {
    const names = builtinConfigs();
    const hint = o.configFlag !== undefined && names.length > 0 ? ` (built-in configs: ${names.join(', ')})` : '';
    throw new ConfigError(`${(e as Error).message}${hint}`);
  }
  // Before the rest: another task's config would otherwise fail on its data fields first.
  const named = typeof raw === 'object' && raw !== null ? (raw as { task?: unknown }).task : undefined;
  if (o.task !== undefined && typeof named === 'string' && named !== o.task) {
    throw new ConfigError(`${source}: task: the config is for '${named}' but the command names '${o.task}'`);
  }
  if (o.limit !== undefined && typeof raw === 'object' && raw !== null) {
    const data = (raw as { data?: unknown }).data;
    raw = { ...raw, data: { ...(typeof data === 'object' && data !== null ? data : {}), limit: o.limit } };
  }
  const config = prefixErrors(source, () => validateConfig(raw, validateTaskData), o.limit);
  config.train = { ...config.train, ...definedOnly(o.overrides) };
  prefixErrors(source, () => TASKS[config.task].checkModel(config.model, 'model'));
  return { config, source };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Runs `f`, naming the config file in a `ConfigError` (or `--limit`, for the limit it set). */
function prefixErrors<T>(source: string, f: () => T, limit?: number): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (limit !== undefined && e.message.startsWith('data.limit: ')) throw new ConfigError(`--limit ${limit}: ${e.message.slice('data.limit: '.length)}`);
    throw new ConfigError(`${source}: ${e.message}`);
  }
}
