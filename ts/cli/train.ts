// `snu train <task>`: resolve the experiment, load the data, train epoch by epoch with a progress
// line, keep checkpoint.snu / best.snu / config.json / metrics.json up to date, stop cleanly on Ctrl-C.
import { basename, join, resolve } from 'node:path';
import { Sequential, sequential } from '../model.js';
import { threadCount } from '../threads.js';
import type { OptimizerSpec } from '../spec.js';
import { MAX_RUN_SEED } from '../random.js';
import { parseArgs, suggest, type OptionSpec } from './args.js';
import { TASK_NAMES, type ExperimentConfig, type TaskName, type TrainConfig } from './config.js';
import { CliError, UsageError } from './errors.js';
import { resolveExperiment } from './experiment.js';
import { describeModel, epochLine, formatMetrics } from './format.js';
import { trainHelp } from './help.js';
import type { CliIo } from './process-io.js';
import { Progress } from '../progress.js';
import { modelDifferences, readRunToResume, type ResumedRun } from './resume.js';
import { lockRun, lockRunIfExists } from './run-lock.js';
import { defaultOutDir, machineInfo, prepareOutDir, removeStaleTemporaries, writeJson, type RunFiles } from './run-output.js';
import type { EpochEntry, RunMetrics } from './run-metrics.js';
import { writeRunReport } from './run-report.js';
import type { LoadedTask, Task } from './task.js';
import { isTaskName, TASKS } from './tasks.js';
import { THREADS_OPTION, useThreadsOption } from './threads-option.js';
import { describeSchedule, runSchedule } from './schedule.js';
import { ConfigError } from './validate.js';

/** The options of `snu train`. */
export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  { name: 'config', type: 'string' },
  { name: 'epochs', type: 'integer', min: 1 },
  { name: 'batch-size', type: 'integer', min: 1 },
  { name: 'lr', type: 'number', min: 0, exclusiveMin: true },
  { name: 'seed', type: 'integer', min: 0, max: MAX_RUN_SEED },
  { name: 'limit', type: 'integer', min: 1 },
  { name: 'out', type: 'string' },
  { name: 'data', type: 'string' },
  { name: 'resume', type: 'string' },
  { name: 'report', type: 'flag' },
  THREADS_OPTION,
  { name: 'help', type: 'flag', short: 'h' },
];

/** Stops training on the first Ctrl-C, quits on the second. Returns the uninstaller. */
function handleInterrupts(io: CliIo, controller: AbortController): () => void {
  if (!io.handleSignals) return () => {};
  const onSigint = () => {
    if (controller.signal.aborted) {
      io.stderr('\nsnu: quitting at once\n');
      process.exit(130);
    }
    io.stderr('\nsnu: stopping after the current step and saving (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return () => void process.off('SIGINT', onSigint);
}

/** Builds and compiles the model of a config; engine refusals become config errors naming `source`, the config file. */
export function buildModel(config: ExperimentConfig, inputSize: number, source?: string): Sequential {
  const m = config.model;
  const values = m.inputShape?.reduce((a, b) => a * b);
  if (m.inputShape && values !== inputSize) {
    throw new ConfigError(`${source ? `${source}: ` : ''}model.inputShape: [${m.inputShape.join(', ')}] holds ${values} values, but the task gives ${inputSize} per step`);
  }
  try {
    return sequential(m.layers, m.inputShape ? { inputShape: m.inputShape } : { inputSize }).compile({
      loss: m.loss,
      ...(m.lossReduction !== undefined ? { lossReduction: m.lossReduction } : {}),
      readout: m.readout,
      optimizer: { ...m.optimizer, lr: config.train.lr } as OptimizerSpec,
      ...(m.clipNorm !== null ? { clipNorm: m.clipNorm } : {}),
      ...(m.tbptt !== null ? { tbptt: m.tbptt } : {}),
      seed: config.train.seed,
    });
  } catch (e) {
    const engine = (e as Error).message.replace(/^compile: /, '').replace(/^model spec: /, '');
    // The engine names the layers of its spec: its layers[1] is the config's model.layers[1].
    const message = engine.startsWith('layers[') ? `model.${engine}` : `model: ${engine}`;
    throw new ConfigError(`${source ? `${source}: ` : ''}${message}`);
  }
}

/** The header's words on a training method other than BPTT. */
function describeMethod(train: TrainConfig): string {
  if (train.method === 'bptt') return '';
  return train.updateEvery === null ? ', OSTL' : `, OSTL updating every ${train.updateEvery} step${train.updateEvery === 1 ? '' : 's'}`;
}

/** `train.method` on the model; a network OSTL cannot train is a config error naming `source`. */
function useTrainingMethod(model: Sequential, train: TrainConfig, source: string): void {
  try {
    model.setTrainingMethod(train.method, train.updateEvery === null ? {} : { updateEvery: train.updateEvery });
  } catch (e) {
    throw new ConfigError(`${source}: train.method: ${(e as Error).message.replace(/^setTrainingMethod: /, '')}`);
  }
}

function parseTrainArgs(argv: readonly string[]) {
  const { positionals, options } = parseArgs(argv, TRAIN_OPTIONS, 'train');
  if (options.help) return { help: true as const };
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (one task at a time)`, 'train');
  const taskArg = positionals[0];
  if (taskArg !== undefined && !isTaskName(taskArg)) {
    const guess = suggest(taskArg, TASK_NAMES);
    throw new UsageError(`unknown task '${taskArg}'${guess ? ` (did you mean '${guess}'?)` : ''}; tasks: ${TASK_NAMES.join(', ')}`, 'train');
  }
  const resume = options.resume as string | undefined;
  if (resume !== undefined) {
    const clash = ['config', 'out', 'lr', 'batch-size', 'seed', 'limit'].filter((n) => options[n] !== undefined);
    if (clash.length > 0) {
      throw new UsageError(`--resume continues a run with its own config.json and folder: ${clash.map((n) => `--${n}`).join(', ')} cannot go with it (--epochs, --data, --report and --threads can)`, 'train');
    }
  }
  if (taskArg === undefined && options.config === undefined && resume === undefined) {
    throw new UsageError(`missing the task: snu train <task>, one of ${TASK_NAMES.join(', ')}`, 'train');
  }
  return {
    help: false as const,
    task: taskArg as TaskName | undefined,
    config: options.config as string | undefined,
    out: options.out as string | undefined,
    data: options.data as string | undefined,
    resume,
    report: options.report === true,
    threads: options.threads as number | undefined,
    limit: options.limit as number | undefined,
    overrides: {
      epochs: options.epochs as number | undefined,
      batchSize: options['batch-size'] as number | undefined,
      lr: options.lr as number | undefined,
      seed: options.seed as number | undefined,
    },
  };
}

/**
 * `snu train <task> [options]`; resolves with the exit code (0 done, 130 interrupted).
 * @example
 * ```ts
 * import { processIo } from './process-io.js';
 * const code = await trainCommand(['jsb', '--epochs', '2', '--out', 'runs/try'], processIo());
 * ```
 */
export async function trainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    io.stdout(trainHelp());
    return 0;
  }
  useThreadsOption(args.threads);
  if (args.resume !== undefined) return resumeTraining(args, io);
  const { config, source } = resolveExperiment({ task: args.task, configFlag: args.config, overrides: args.overrides, limit: args.limit, cwd: io.cwd });
  const { task, loaded } = loadForTraining(config, source, args.data, io);
  // config.json records what was run, the data actually read included.
  if (loaded.dataPath !== undefined) config.data.path = loaded.dataPath;
  const model = buildModel(config, task.inputSize, source);
  const files = prepareOutDir(args.out !== undefined ? resolve(io.cwd, args.out) : defaultOutDir(task.name, io.cwd));

  printHeader(io, loaded, model, config);
  const threads = threadCount();
  io.stdout(`config ${source}; ${config.train.epochs} epoch${config.train.epochs === 1 ? '' : 's'}, batch ${config.train.batchSize}, lr ${config.train.lr}${describeSchedule(config.train)}, seed ${config.train.seed}${describeMethod(config.train)}; ${threads} thread${threads === 1 ? '' : 's'}\n`);
  io.stdout(`writing to ${files.dir}\n`);
  const release = lockRun(files.dir);
  try {
    await writeJson(files.config, config);
    return await runTraining({ io, task, loaded, model, config, source, files, report: args.report });
  } finally {
    release();
  }
}

/** The task of `config` with its data loaded for training; a model the task cannot train is a ConfigError naming `source`. */
function loadForTraining(config: ExperimentConfig, source: string, dataPath: string | undefined, io: CliIo): { task: Task; loaded: LoadedTask } {
  const task = TASKS[config.task];
  const loaded = task.load(config.data, { dataPath, env: io.env, cwd: io.cwd, train: config.train, evalOnly: false });
  try {
    loaded.checkModel(config.model, 'model');
  } catch (e) {
    throw e instanceof ConfigError ? new ConfigError(`${source}: ${e.message}`) : e;
  }
  return { task, loaded };
}

/** The first lines of a run, new or resumed: the data and the network. */
function printHeader(io: CliIo, loaded: LoadedTask, model: Sequential, config: ExperimentConfig): void {
  io.stdout(`${loaded.summary}\n`);
  io.stdout(`model ${describeModel(model, config.model)}\n`);
}

/** `snu train --resume <dir>`: the run's checkpoint, config and metrics, trained on from its next epoch. */
async function resumeTraining(args: ReturnType<typeof parseTrainArgs> & { help: false }, io: CliIo): Promise<number> {
  // Locked before reading, so that the run read is not one another process is still writing.
  const dir = resolve(io.cwd, args.resume!);
  const release = lockRunIfExists(dir);
  try {
    return await resumeLocked(args, io);
  } finally {
    release();
  }
}

async function resumeLocked(args: ReturnType<typeof parseTrainArgs> & { help: false }, io: CliIo): Promise<number> {
  const run = readRunToResume({ dir: args.resume!, task: args.task, epochs: args.overrides.epochs, cwd: io.cwd });
  const { config, files } = run;
  // Under the lock: a temporary file there is what a killed run left, not a write in progress.
  const stale = removeStaleTemporaries(files.dir);
  if (stale.length > 0) io.stderr(`snu: removed ${stale.length} temporary file${stale.length === 1 ? '' : 's'} a stopped run left: ${stale.join(', ')}\n`);
  const { task, loaded } = loadForTraining(config, files.config, args.data, io);
  let model: Sequential;
  try {
    model = await Sequential.load(files.checkpoint);
  } catch (e) {
    throw new CliError(`cannot resume ${files.dir}: checkpoint.snu: ${(e as Error).message}`);
  }
  // config.json must still describe the checkpoint's network and its training (it may have been edited).
  const differences = modelDifferences(buildModel(config, task.inputSize).spec, model.spec);
  if (differences.length > 0) {
    throw new CliError(`cannot resume ${files.dir}: config.json's model is not the network in checkpoint.snu: ${differences.join(', ')} (was config.json edited?)`);
  }
  const after = run.metrics.interruptedAt;
  printHeader(io, loaded, model, config);
  io.stdout(`resuming ${files.dir} at epoch ${run.startEpoch + 1} of ${config.train.epochs}${after ? ` (epoch ${after.epoch} was stopped at ${after.done}/${after.of} ${task.unit}: it starts again from its beginning)` : ''}\n`);
  await writeJson(files.config, config);
  return runTraining({ io, task, loaded, model, config, source: run.metrics.configSource, files, resumeFrom: run, report: args.report });
}

async function runTraining(o: {
  io: CliIo;
  task: Task;
  loaded: LoadedTask;
  model: Sequential;
  config: ExperimentConfig;
  source: string;
  files: RunFiles;
  /** The run being resumed: its metrics go on, from its next epoch. */
  resumeFrom?: ResumedRun;
  /** Write report.html after every epoch and at the end (`--report`). */
  report?: boolean;
}): Promise<number> {
  const { io, task, loaded, model, config, files } = o;
  const { epochs } = config.train;
  const rateKey = task.unit === 'tokens' ? 'tokensPerSecond' : 'samplesPerSecond';
  const metrics: RunMetrics = o.resumeFrom ? resumedMetrics(o.resumeFrom) : {
    task: task.name,
    configSource: o.source,
    ...(config.description ? { description: config.description } : {}),
    status: 'running',
    interrupted: false,
    metric: task.metric,
    higherIsBetter: task.higherIsBetter,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    trainingSeconds: 0,
    [rateKey]: 0,
    // Declared here so that they come before the long list of epochs in the file.
    test: undefined,
    best: undefined,
    interruptedAt: undefined,
    epochs: [],
    machine: machineInfo(),
  };
  const reportFile = join(files.dir, 'report.html');
  let reportFailed = false;
  const save = async () => {
    metrics.updatedAt = new Date().toISOString();
    await writeJson(files.metrics, metrics);
    // The model shown is the one in training, as checkpoint.snu holds it after this epoch.
    if (o.report) {
      // A report that cannot be written (a full disk) is said once and does not stop training.
      try {
        await writeRunReport(reportFile, { name: basename(files.dir), task, metrics, model: { model, file: 'checkpoint.snu' }, loaded });
      } catch (e) {
        if (!reportFailed) io.stderr(`snu: could not write ${reportFile}: ${(e as Error).message}; training goes on\n`);
        reportFailed = true;
      }
    }
  };
  await save();

  const controller = new AbortController();
  const uninstall = handleInterrupts(io, controller);
  let unitsTotal = (metrics[rateKey] ?? 0) * metrics.trainingSeconds;
  try {
    const schedule = runSchedule(config.train);
    useTrainingMethod(model, config.train, o.source);
    for (let epoch = o.resumeFrom?.startEpoch ?? 0; epoch < epochs; epoch++) {
      const lr = schedule(epoch);
      model.setLearningRate(lr);
      const progress = new Progress({
        label: `epoch ${epoch + 1}/${epochs}`,
        total: loaded.epochSize,
        unit: task.unit,
        tty: io.stderrIsTTY,
        columns: io.columns,
        write: io.stderr,
      });
      const started = performance.now();
      let result: Awaited<ReturnType<LoadedTask['trainEpoch']>>;
      try {
        result = await loaded.trainEpoch(model, { epoch, train: config.train, signal: controller.signal, onStep: (d, l) => progress.update(d, l) });
      } finally {
        progress.end();
      }
      const seconds = (performance.now() - started) / 1000;
      metrics.trainingSeconds += seconds;
      unitsTotal += result.units;
      metrics[rateKey] = metrics.trainingSeconds > 0 ? unitsTotal / metrics.trainingSeconds : 0;
      if (result.aborted) {
        metrics.interruptedAt = { epoch: epoch + 1, done: result.units, of: loaded.epochSize };
        break;
      }
      const entry: EpochEntry = { epoch: epoch + 1, lr, loss: result.loss, seconds, [rateKey]: result.units / seconds };
      if (result.accuracy !== undefined) entry.accuracy = result.accuracy;
      let isBest = false;
      if (loaded.hasValidation) {
        entry.val = await loaded.evaluate(model, 'valid');
        const value = entry.val[task.metric]!;
        const bestValue = metrics.best?.val[task.metric];
        isBest = bestValue === undefined || (task.higherIsBetter ? value > bestValue : value < bestValue);
        if (isBest) {
          await model.save(files.best);
          metrics.best = { epoch: epoch + 1, val: entry.val };
        }
      }
      await model.save(files.checkpoint);
      metrics.epochs.push(entry);
      await save();
      io.stdout(`${epochLine({ epoch: epoch + 1, epochs, loss: result.loss, accuracy: result.accuracy, val: entry.val, metric: task.metric, seconds, rate: result.units / seconds, unit: task.unit, best: isBest && epoch > 0 })}\n`);
    }
  } catch (e) {
    metrics.status = 'failed';
    metrics.error = (e as Error).message;
    await save();
    throw e;
  } finally {
    uninstall();
  }

  if (controller.signal.aborted) {
    await model.save(files.checkpoint);
    metrics.status = 'interrupted';
    metrics.interrupted = true;
    await save();
    const at = metrics.interruptedAt;
    io.stderr(`snu: interrupted${at ? ` in epoch ${at.epoch} (${at.done}/${at.of} ${task.unit})` : ''}; saved ${files.checkpoint} and ${files.metrics}\n`);
    return 130;
  }

  metrics.test = await loaded.evaluate(model, 'test');
  io.stdout(`test ${formatMetrics(metrics.test, task.metric)}\n`);
  if (metrics.best) {
    const last = metrics.epochs.length;
    metrics.best.test = metrics.best.epoch === last ? metrics.test : await loaded.evaluate(await Sequential.load(files.best), 'test');
    io.stdout(`best on validation: epoch ${metrics.best.epoch}, test ${formatMetrics(metrics.best.test, task.metric)} (best.snu)\n`);
  }
  metrics.status = 'finished';
  await save();
  io.stdout(`saved ${files.dir}: checkpoint.snu${metrics.best ? ', best.snu' : ''}, config.json, metrics.json${o.report ? ', report.html' : ''}\n`);
  return 0;
}

/** The metrics of a resumed run: its epochs, best and time so far, marked running again. */
function resumedMetrics(run: ResumedRun): RunMetrics {
  const m = run.metrics;
  const after = m.interruptedAt;
  const resumed = [...(m.resumed ?? []), { at: new Date().toISOString(), fromEpoch: run.startEpoch + 1, ...(after ? { after } : {}) }];
  const { test: _test, interruptedAt: _at, error: _error, ...rest } = m;
  if (rest.best) delete rest.best.test;
  return { ...rest, status: 'running', interrupted: false, resumed, machine: machineInfo() };
}
