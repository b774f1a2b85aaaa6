// `snu eval <checkpoint> <task>`: load a checkpoint, check it fits the task, measure the task's
// metric on the test (or validation) split, print it as text or JSON.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Sequential } from '../model.js';
import { parseArgs, suggest, type OptionSpec } from './args.js';
import { readConfigFile, TASK_NAMES, validateConfig, type ModelConfig, type TaskName } from './config.js';
import { CliError, UsageError } from './errors.js';
import { resolveExperiment } from './experiment.js';
import { formatMetrics } from './format.js';
import { evalHelp } from './help.js';
import type { CliIo } from './process-io.js';
import type { Split } from './task.js';
import { isTaskName, TASKS, validateTaskData } from './tasks.js';
import { THREADS_OPTION, useThreadsOption } from './threads-option.js';
import { ConfigError } from './validate.js';

/** The options of `snu eval`. */
export const EVAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'data', type: 'string' },
  { name: 'batch-size', type: 'integer', min: 1 },
  { name: 'split', type: 'string', choices: ['test', 'valid'] },
  { name: 'config', type: 'string' },
  { name: 'json', type: 'flag' },
  THREADS_OPTION,
  { name: 'help', type: 'flag', short: 'h' },
];

/** A checkpoint's model spec in the shape the task checks take. */
function modelConfigOf(model: Sequential): ModelConfig {
  const spec = model.spec;
  return {
    ...(spec.inputShape ? { inputShape: spec.inputShape } : {}),
    layers: spec.layers,
    readout: spec.readout,
    loss: spec.loss,
    ...(spec.lossReduction ? { lossReduction: spec.lossReduction } : {}),
    optimizer: { kind: spec.optimizer.kind },
    clipNorm: spec.clipNorm,
    tbptt: spec.tbptt,
  };
}

/** A checkpoint, or a CliError naming its path. */
export async function loadCheckpoint(path: string): Promise<Sequential> {
  if (!existsSync(path)) throw new CliError(`no checkpoint at ${path}`);
  try {
    return await Sequential.load(path);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
}

/**
 * The data options for evaluation: `--config` when given, else the run's config.json beside the
 * checkpoint (if it is for this task), else the task's built-in config.
 */
function dataOptions(task: TaskName, checkpoint: string, configFlag: string | undefined, cwd: string): { data: Record<string, unknown>; source: string } {
  if (configFlag === undefined) {
    const beside = join(dirname(checkpoint), 'config.json');
    if (existsSync(beside)) {
      try {
        const config = validateConfig(readConfigFile(beside), validateTaskData);
        if (config.task === task) return { data: config.data, source: beside };
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw new ConfigError(`${beside}: ${e.message} (pass --config to use another config's data options)`);
      }
    }
  }
  const { config, source } = resolveExperiment({ task, configFlag, overrides: {}, cwd });
  return { data: config.data, source };
}

/**
 * `snu eval <checkpoint> <task> [options]`; resolves with the exit code.
 * @example
 * ```ts
 * import { processIo } from './process-io.js';
 * await evalCommand(['runs/jsb/best.snu', 'jsb', '--json'], processIo()); // prints {"task":"jsb","split":"test","nll":8.61,…}
 * ```
 */
export async function evalCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, EVAL_OPTIONS, 'eval');
  if (options.help) {
    io.stdout(evalHelp());
    return 0;
  }
  useThreadsOption(options.threads as number | undefined);
  const [checkpointArg, taskArg, extra] = positionals;
  if (checkpointArg === undefined) throw new UsageError('missing the checkpoint: snu eval <checkpoint> <task>', 'eval');
  if (taskArg === undefined) throw new UsageError(`missing the task: snu eval <checkpoint> <task>, one of ${TASK_NAMES.join(', ')}`, 'eval');
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, 'eval');
  if (!isTaskName(taskArg)) {
    const guess = suggest(taskArg, TASK_NAMES);
    throw new UsageError(`unknown task '${taskArg}'${guess ? ` (did you mean '${guess}'?)` : ''}; tasks: ${TASK_NAMES.join(', ')}`, 'eval');
  }
  const task = TASKS[taskArg];
  const split = (options.split as Split | undefined) ?? 'test';
  const checkpoint = resolve(io.cwd, checkpointArg);

  const model = await loadCheckpoint(checkpoint);
  const modelConfig = modelConfigOf(model);
  const misfit = (e: unknown) => new CliError(`${checkpoint} does not fit the ${task.name} task: ${(e as Error).message}`);
  if (model.inputSize !== task.inputSize) {
    throw new CliError(`${checkpoint} does not fit the ${task.name} task: the model takes ${model.inputSize} inputs per step, ${task.name} gives ${task.inputSize}`);
  }
  try {
    task.checkModel(modelConfig, 'model');
  } catch (e) {
    throw misfit(e);
  }

  const { data, source } = dataOptions(task.name, checkpoint, options.config as string | undefined, io.cwd);
  if (options['batch-size'] !== undefined) data.evalBatchSize = options['batch-size'];
  const loaded = task.load(data, {
    dataPath: options.data as string | undefined,
    env: io.env,
    cwd: io.cwd,
    // Only ptb reads it, for the training windows it skips when evalOnly.
    train: { epochs: 1, batchSize: 1, lr: 1, seed: 0, lrDecay: 1, lrSchedule: 'exponential', method: 'bptt', updateEvery: null },
    evalOnly: true,
  });
  try {
    loaded.checkModel(modelConfig, 'model');
  } catch (e) {
    throw misfit(e);
  }
  if (split === 'valid' && !loaded.hasValidation) throw new CliError(`${task.name} has no validation split here (data.validation holds out training images for one)`);

  const started = performance.now();
  const metrics = await loaded.evaluate(model, split);
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    io.stdout(`${JSON.stringify({ task: task.name, split, checkpoint, metric: task.metric, ...metrics, seconds, dataOptions: source })}\n`);
  } else {
    io.stdout(`${loaded.summary}\n`);
    io.stdout(`${split} ${formatMetrics(metrics, task.metric)}\n`);
  }
  return 0;
}
