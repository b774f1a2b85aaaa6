// `snu export --nir <checkpoint> <out.nir>` and `snu import <file.nir> <out.snu>`: models to and
// from the Neuromorphic Intermediate Representation (docs/nir.md), through model.toNir and loadNir.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Sequential } from '../model.js';
import { loadNir } from '../nir/index.js';
import { parseArgs, type OptionSpec } from './args.js';
import { CliError, UsageError } from './errors.js';
import { exportHelp, importHelp } from './help.js';
import type { CliIo } from './process-io.js';

export const EXPORT_OPTIONS: readonly OptionSpec[] = [
  { name: 'nir', type: 'flag' },
  { name: 'dt', type: 'number', min: 0, exclusiveMin: true },
  { name: 'approximate', type: 'flag' },
  { name: 'normalize-thresholds', type: 'flag' },
  { name: 'help', type: 'flag', short: 'h' },
];

export const IMPORT_OPTIONS: readonly OptionSpec[] = [
  { name: 'dt', type: 'number', min: 0, exclusiveMin: true },
  { name: 'help', type: 'flag', short: 'h' },
];

/** The two positionals `<from> <to>` of `command`, or a usage error naming the missing one. */
function fromTo(positionals: string[], command: 'export' | 'import', from: string, to: string): [string, string] {
  const [a, b, extra] = positionals;
  const usage = command === 'export' ? 'snu export --nir <checkpoint> <out.nir>' : 'snu import <file.nir> <out.snu>';
  if (a === undefined) throw new UsageError(`missing the ${from}: ${usage}`, command);
  if (b === undefined) throw new UsageError(`missing the ${to}: ${usage}`, command);
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, command);
  return [a, b];
}

/**
 * `snu export --nir <checkpoint> <out.nir> [--dt s] [--approximate]`; resolves with the exit code.
 * @example
 * ```ts
 * import { processIo } from './process-io.js';
 * await exportCommand(['--nir', 'runs/mnist/checkpoint.snu', 'mnist.nir'], processIo());
 * ```
 */
export async function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, EXPORT_OPTIONS, 'export');
  if (options.help) {
    io.stdout(exportHelp());
    return 0;
  }
  const [checkpointArg, outArg] = fromTo(positionals, 'export', 'checkpoint', 'output file');
  if (!options.nir) throw new UsageError('say the format to write: --nir (the Neuromorphic Intermediate Representation, the one format there is)', 'export');
  const checkpoint = resolve(io.cwd, checkpointArg);
  const out = resolve(io.cwd, outArg);
  if (!existsSync(checkpoint)) throw new CliError(`no checkpoint at ${checkpoint}`);
  const model = await Sequential.load(checkpoint).catch((e: unknown) => {
    throw new CliError(`${checkpoint}: ${(e as Error).message}`);
  });
  const { warnings, dt } = await model
    .toNir(out, { ...(options.dt === undefined ? {} : { dt: options.dt as number }), approximate: Boolean(options.approximate), normalizeThresholds: Boolean(options['normalize-thresholds']) })
    .catch((e: unknown) => {
      throw new CliError((e as Error).message);
    });
  for (const w of warnings) io.stderr(`warning: ${w}\n`);
  io.stdout(`wrote ${out} (NIR, dt ${dt}):\n${String(model.summary())}\n`);
  return 0;
}

/**
 * `snu import <file.nir> <out.snu> [--dt s]`; resolves with the exit code.
 * @example
 * ```ts
 * import { processIo } from './process-io.js';
 * await importCommand(['lif_norse.nir', 'lif.snu', '--dt', '1e-3'], processIo());
 * ```
 */
export async function importCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, IMPORT_OPTIONS, 'import');
  if (options.help) {
    io.stdout(importHelp());
    return 0;
  }
  const [fileArg, outArg] = fromTo(positionals, 'import', 'NIR file', 'output checkpoint');
  const file = resolve(io.cwd, fileArg);
  const out = resolve(io.cwd, outArg);
  const model = await loadNir(file, options.dt === undefined ? {} : { dt: options.dt as number }).catch((e: unknown) => {
    throw new CliError((e as Error).message);
  });
  await model.save(out);
  io.stdout(`wrote ${out} from ${file}:\n${String(model.summary())}\n`);
  return 0;
}
