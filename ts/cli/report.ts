// `snu report <run folder>`: writes the run's report.html (curves per epoch, the layers at work on
// a few samples, and with --pcm the model on simulated PCM from 1 s to a month after programming).
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { checkJsonData } from '../checks.js';
import type { PcmConfig } from '../analog.js';
import { measureDrift } from '../report/drift.js';
import { parseArgs, type OptionSpec } from './args.js';
import { readConfigFile } from './config.js';
import { CliError, UsageError } from './errors.js';
import { loadCheckpoint } from './eval.js';
import { metricText } from './format.js';
import { resolveExperiment } from './experiment.js';
import { reportHelp } from './help.js';
import type { CliIo } from './process-io.js';
import { runFiles } from './run-output.js';
import { readRunMetrics } from './run-metrics.js';
import { DEFAULT_REPORT_SAMPLES, MAX_REPORT_SAMPLES, writeRunReport } from './run-report.js';
import type { Split } from './task.js';
import { TASKS } from './tasks.js';
import { THREADS_OPTION, useThreadsOption } from './threads-option.js';

/** The options of `snu report`. */
export const REPORT_OPTIONS: readonly OptionSpec[] = [
  { name: 'out', type: 'string' },
  { name: 'model', type: 'string', choices: ['best', 'last'] },
  { name: 'samples', type: 'integer', min: 1, max: MAX_REPORT_SAMPLES },
  { name: 'split', type: 'string', choices: ['test', 'valid'] },
  { name: 'pcm', type: 'flag' },
  { name: 'pcm-seed', type: 'integer', min: 0 },
  { name: 'pcm-config', type: 'string' },
  { name: 'data', type: 'string' },
  THREADS_OPTION,
  { name: 'help', type: 'flag', short: 'h' },
];

function readPcmConfig(path: string): PcmConfig {
  let config: unknown;
  try {
    config = readConfigFile(path);
  } catch (e) {
    throw new CliError(`--pcm-config: ${path} is not readable JSON (${(e as Error).message})`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new CliError(`--pcm-config: ${path}: expected an object of crossbar sections (docs/pcm.md)`);
  checkJsonData('--pcm-config', config);
  return config as PcmConfig;
}

/**
 * `snu report <run folder> [options]`; resolves with the exit code.
 * @example
 * ```ts
 * import { processIo } from './process-io.js';
 * await reportCommand(['runs/jsb-snu-88-150-88', '--pcm'], processIo()); // writes runs/jsb-snu-88-150-88/report.html
 * ```
 */
export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, REPORT_OPTIONS, 'report');
  if (options.help) {
    io.stdout(reportHelp());
    return 0;
  }
  useThreadsOption(options.threads as number | undefined);
  const [dirArg, extra] = positionals;
  if (dirArg === undefined) throw new UsageError('missing the run folder: snu report <run folder>', 'report');
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, 'report');
  if (!options.pcm && (options['pcm-seed'] !== undefined || options['pcm-config'] !== undefined)) throw new UsageError('--pcm-seed and --pcm-config go with --pcm', 'report');
  const files = runFiles(resolve(io.cwd, dirArg));
  for (const f of [files.config, files.metrics]) {
    if (!existsSync(f)) throw new CliError(`cannot report on ${files.dir}: no ${basename(f)} there (a run folder written by snu train holds checkpoint.snu, config.json and metrics.json)`);
  }
  const metrics = readRunMetrics(files.metrics, `cannot report on ${files.dir}`);
  const { config } = resolveExperiment({ task: undefined, configFlag: files.config, overrides: {}, cwd: io.cwd });
  if (metrics.task !== config.task) throw new CliError(`cannot report on ${files.dir}: metrics.json is for '${metrics.task}' but config.json for '${config.task}'`);
  const task = TASKS[config.task];
  const which = (options.model as 'best' | 'last' | undefined) ?? (existsSync(files.best) ? 'best' : 'last');
  const modelPath = which === 'best' ? files.best : files.checkpoint;
  if (which === 'best' && !existsSync(files.best)) throw new CliError(`${files.dir} has no best.snu (a run without a validation split keeps checkpoint.snu only): pass --model last`);
  const hasModel = existsSync(modelPath);
  if (!hasModel && options.pcm) throw new CliError(`--pcm needs the run's model, and ${modelPath} is missing`);
  const split = (options.split as Split | undefined) ?? 'test';
  const out = resolve(io.cwd, (options.out as string | undefined) ?? `${files.dir}/report.html`);

  let source: Parameters<typeof writeRunReport>[1] = { name: basename(files.dir), task, metrics };
  if (hasModel) {
    const loaded = task.load(config.data, { dataPath: options.data as string | undefined, env: io.env, cwd: io.cwd, train: config.train, evalOnly: true });
    if (split === 'valid' && !loaded.hasValidation) throw new CliError(`${task.name} has no validation split in this run (data.validation holds out training images for one)`);
    const model = await loadCheckpoint(modelPath);
    source = { ...source, model: { model, file: basename(modelPath) }, loaded, split, samples: (options.samples as number | undefined) ?? DEFAULT_REPORT_SAMPLES };
    if (options.pcm) {
      const pcmConfig = options['pcm-config'] === undefined ? undefined : readPcmConfig(resolve(io.cwd, options['pcm-config'] as string));
      io.stdout(`programming ${basename(modelPath)} onto simulated PCM and measuring ${split} ${task.metric} from 1 s to 1 month after programming\n`);
      // On a fresh copy: measureDrift leaves its model on the crossbars.
      const onDevices = await loadCheckpoint(modelPath);
      const drift = await measureDrift(onDevices, async (m) => (await loaded.evaluate(m, split))[task.metric]!, {
        metric: `${split} ${task.metric}`,
        seed: (options['pcm-seed'] as number | undefined) ?? 0,
        ...(pcmConfig ? { config: pcmConfig } : {}),
      });
      for (const p of drift.points) io.stdout(`  ${p.label}: ${metricText(task.metric, p.compensated)} with drift compensation, ${metricText(task.metric, p.uncompensated)} without\n`);
      source.drift = drift;
    }
  } else {
    io.stderr(`snu report: ${modelPath} is missing: the report has the run's curves only\n`);
  }
  await writeRunReport(out, source);
  io.stdout(`wrote ${out}\n`);
  return 0;
}
