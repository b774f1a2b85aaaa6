// `snu compare <run folder>...`: the test figures of several runs of one task side by side, with
// their mean and standard deviation (the figure papers give over seeds), and what the runs'
// configs differ in besides the seed, so that a mean over runs that are not repeats shows.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs, type OptionSpec } from './args.js';
import { readConfigFile } from './config.js';
import { CliError, UsageError } from './errors.js';
import { valueText } from './format.js';
import { compareHelp } from './help.js';
import type { CliIo } from './process-io.js';
import { isLocked } from './run-lock.js';
import { runFiles } from './run-output.js';
import { readRunMetrics, type RunMetrics } from './run-metrics.js';
import type { Metrics } from './task.js';

/** The options of `snu compare`. */
export const COMPARE_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'flag' },
  { name: 'help', type: 'flag', short: 'h' },
];

/** One run in the comparison. */
export interface ComparedRun {
  /** The folder as given on the command line. */
  dir: string;
  seed: number | null;
  epochs: number;
  of: number | null;
  /** metrics.json's status, except that a run it says is running while no process holds its lock is `stopped` (killed). */
  status: RunMetrics['status'] | 'stopped';
  /** The model the figure is of: best.snu (best on validation) where the run has one, else checkpoint.snu. */
  model: 'best.snu' | 'checkpoint.snu' | null;
  /** The task's metric on the test split; null until the run has finished. */
  test: number | null;
}

/** What `snu compare` prints, as `--json` gives it. */
export interface Comparison {
  task: string;
  metric: string;
  higherIsBetter: boolean;
  runs: ComparedRun[];
  /** Runs with a test figure. */
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1); null below two runs. */
  std: number | null;
  /** Config fields (dotted paths) whose values differ between the runs, `train.seed` aside. */
  differences: string[];
}

/**
 * Mean and sample standard deviation (`sqrt(sum (x - mean)^2 / (n - 1))`) of `xs`; the deviation
 * is null below two values, the mean below one.
 * @example
 * ```ts
 * meanAndStd([0.9919, 0.9925, 0.9921]); // { mean: 0.99216..., std: 0.00030... }
 * ```
 */
export function meanAndStd(xs: readonly number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, std: null };
  const squares = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / (xs.length - 1)) };
}

/** Every leaf of a JSON value as `path -> JSON text` (arrays are leaves: a layer list differs as a whole). */
function leaves(value: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, JSON.stringify(value));
  return out;
}

/**
 * The dotted paths whose values differ between `configs` (a path some lack counts), leaving out
 * `train.seed` and the free-text `description`.
 * @example
 * ```ts
 * configDifferences([{ train: { seed: 0, lr: 0.1 } }, { train: { seed: 1, lr: 0.01 } }]); // ['train.lr']
 * ```
 */
export function configDifferences(configs: readonly unknown[]): string[] {
  const flat = configs.map((c) => leaves(c, '', new Map()));
  const paths = new Set(flat.flatMap((f) => [...f.keys()]));
  return [...paths].filter((p) => p !== 'train.seed' && p !== 'description' && new Set(flat.map((f) => f.get(p))).size > 1).sort();
}

/** The run's figure: best.snu's test metrics where it has a best epoch, else the final model's. */
function figureOf(m: RunMetrics): { model: ComparedRun['model']; test: Metrics | undefined } {
  if (m.best) return { model: 'best.snu', test: m.best.test };
  return { model: m.test ? 'checkpoint.snu' : null, test: m.test };
}

/**
 * Reads the run folders `dirs` (relative to `cwd`) and compares their test figures. Refuses a
 * folder that is not a run and runs of different tasks.
 * @example
 * ```ts
 * const c = compareRuns(['runs/conv-s0', 'runs/conv-s1', 'runs/conv-s2'], process.cwd());
 * console.log(c.mean, c.std, c.differences);
 * ```
 */
export function compareRuns(dirs: readonly string[], cwd: string): Comparison {
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    const again = seen.get(resolve(cwd, dir));
    if (again !== undefined) throw new UsageError(`${dir} is given twice${again === dir ? '' : ` (as ${again} too)`}: each run counts once in the mean`, 'compare');
    seen.set(resolve(cwd, dir), dir);
  }
  const read = dirs.map((dir) => {
    const files = runFiles(resolve(cwd, dir));
    for (const f of [files.config, files.metrics]) {
      if (!existsSync(f)) throw new CliError(`cannot compare ${dir}: no ${basename(f)} there (a run folder written by snu train holds config.json and metrics.json)`);
    }
    const metrics = readRunMetrics(files.metrics, `cannot compare ${dir}`);
    let config: unknown;
    try {
      config = readConfigFile(files.config);
    } catch (e) {
      throw new CliError(`cannot compare ${dir}: ${files.config} is not readable JSON (${(e as Error).message})`);
    }
    return { dir, metrics, config, stopped: metrics.status === 'running' && !isLocked(files.dir) };
  });
  const first = read[0]!.metrics;
  for (const r of read) {
    if (r.metrics.task !== first.task || r.metrics.metric !== first.metric) {
      throw new CliError(`cannot compare runs of different tasks: ${read[0]!.dir} is ${first.task} (${first.metric}), ${r.dir} is ${r.metrics.task} (${r.metrics.metric})`);
    }
  }
  const runs = read.map(({ dir, metrics: m, config, stopped }): ComparedRun => {
    const train = (config as { train?: { seed?: unknown; epochs?: unknown } }).train;
    const { model, test } = figureOf(m);
    // A diverged run's NaN is null in metrics.json: no figure.
    const metric = test?.[m.metric];
    const value = typeof metric === 'number' && Number.isFinite(metric) ? metric : undefined;
    return {
      dir,
      seed: typeof train?.seed === 'number' ? train.seed : null,
      epochs: m.epochs.length,
      of: typeof train?.epochs === 'number' ? train.epochs : null,
      status: stopped ? 'stopped' : m.status,
      model: value === undefined ? null : model,
      test: value ?? null,
    };
  });
  const figures = runs.flatMap((r) => (r.test === null ? [] : [r.test]));
  return {
    task: first.task,
    metric: first.metric,
    higherIsBetter: first.higherIsBetter,
    runs,
    n: figures.length,
    ...meanAndStd(figures),
    differences: configDifferences(read.map((r) => r.config)),
  };
}

/** The comparison as a table and a summary line. */
export function formatComparison(c: Comparison): string {
  const header = ['run', 'seed', 'epochs', 'status', 'model', `test ${c.metric}`];
  const rows = c.runs.map((r) => [r.dir, r.seed === null ? '-' : String(r.seed), `${r.epochs}/${r.of ?? '?'}`, r.status, r.model ?? '-', r.test === null ? '-' : valueText(c.metric, r.test)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  const missing = c.runs.length - c.n;
  const left = missing > 0 ? ` (${missing} run${missing === 1 ? '' : 's'} without a test figure left out)` : '';
  if (c.mean === null) out.push(`no run has a test figure yet${left}`);
  else if (c.std === null) out.push(`one run with a test figure: ${c.metric} ${valueText(c.metric, c.mean)}${left}`);
  else out.push(`mean over ${c.n} runs: ${c.metric} ${valueText(c.metric, c.mean)}, standard deviation ${valueText(c.metric, c.std)} (sample, n - 1)${left}`);
  if (c.differences.length > 0) out.push(`the configs differ in ${c.differences.join(', ')} (besides train.seed)`);
  const models = new Set(c.runs.flatMap((r) => (r.model === null ? [] : [r.model])));
  if (models.size > 1) out.push('the figures are of different models: best.snu (best on validation) for some runs, the final checkpoint.snu for others');
  return `${out.join('\n')}\n`;
}

/**
 * `snu compare <run folder>... [--json]`; resolves with the exit code.
 * @example
 * ```ts
 * import { processIo } from './process-io.js';
 * await compareCommand(['runs/conv-s0', 'runs/conv-s1', 'runs/conv-s2'], processIo());
 * ```
 */
export async function compareCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, COMPARE_OPTIONS, 'compare');
  if (options.help) {
    io.stdout(compareHelp());
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('missing the run folders: snu compare <run folder> <run folder>...', 'compare');
  const comparison = compareRuns(positionals, io.cwd);
  io.stdout(options.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison));
  return 0;
}
