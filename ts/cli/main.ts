// The `snu` command: dispatch to a subcommand and turn every error into a message and an exit
// code (2: bad command line or config, 1: anything else, 130: interrupted), never a stack trace
// unless SNU_DEBUG is set.
import { loadBinding } from '../native.js';
import { suggest } from './args.js';
import { CliError, messageOf, UsageError } from './errors.js';
import { compareCommand } from './compare.js';
import { evalCommand } from './eval.js';
import { compareHelp, evalHelp, exportHelp, importHelp, mainHelp, reportHelp, trainHelp } from './help.js';
import { exportCommand, importCommand } from './nir.js';
import { processIo, type CliIo } from './process-io.js';
import { reportCommand } from './report.js';
import { packageVersion } from './paths.js';
import { trainCommand } from './train.js';
import { ConfigError } from './validate.js';

const COMMANDS = ['train', 'eval', 'export', 'import', 'report', 'compare', 'help'] as const;
const TOPICS = ['train', 'eval', 'export', 'import', 'report', 'compare'] as const;

/**
 * Loads the native addon unless the command line asks for help: help and --version work without
 * it, and a missing addon is reported as itself, not as a bad model config.
 */
function needEngine(args: readonly string[]): void {
  if (!args.includes('--help') && !args.includes('-h')) loadBinding();
}

function help(topic: string | undefined, io: CliIo): number {
  if (topic === undefined) io.stdout(mainHelp());
  else if (topic === 'train') io.stdout(trainHelp());
  else if (topic === 'eval') io.stdout(evalHelp());
  else if (topic === 'export') io.stdout(exportHelp());
  else if (topic === 'import') io.stdout(importHelp());
  else if (topic === 'report') io.stdout(reportHelp());
  else if (topic === 'compare') io.stdout(compareHelp());
  else {
    const guess = suggest(topic, TOPICS);
    throw new UsageError(`no help on '${topic}'${guess ? ` (did you mean '${guess}'?)` : ''}; topics: ${TOPICS.join(', ')}`);
  }
  return 0;
}

/** Prints an error the way its kind calls for and returns the exit code. */
function report(error: unknown, command: string | undefined, io: CliIo): number {
  const known = (TOPICS as readonly (string | undefined)[]).includes(command);
  const who = known ? `snu ${command}` : 'snu';
  if (error instanceof UsageError) {
    const helpOf = error.command ?? (known ? command : undefined);
    io.stderr(`${who}: ${error.message}\n${error.hint ?? `Run 'snu ${helpOf ? `${helpOf} ` : ''}--help' for usage.`}\n`);
    return 2;
  }
  if (error instanceof ConfigError) {
    io.stderr(`${who}: ${error.message}\nThe config format is in 'snu train --help'; configs/*.json are complete examples.\n`);
    return 2;
  }
  io.stderr(`${who}: ${messageOf(error)}\n`);
  if (!(error instanceof CliError) && io.env.SNU_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return 1;
}

/**
 * Runs `snu` with `argv` (the arguments after `snu`) and resolves with the exit code.
 * @example
 * ```ts
 * const code = await main(['train', 'mnist', '--epochs', '1']);
 * process.exitCode = code;
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.stderr(mainHelp());
        return 2;
      case 'train':
        needEngine(rest);
        return await trainCommand(rest, io);
      case 'eval':
        needEngine(rest);
        return await evalCommand(rest, io);
      case 'export':
        needEngine(rest);
        return await exportCommand(rest, io);
      case 'import':
        needEngine(rest);
        return await importCommand(rest, io);
      case 'report':
        needEngine(rest);
        return await reportCommand(rest, io);
      case 'compare':
        return await compareCommand(rest, io);
      case 'help':
        if (rest.length > 1) throw new UsageError(`unexpected argument '${rest[1]}'`);
        return help(rest[0], io);
      case '-h':
      case '--help':
        return help(undefined, io);
      case '-v':
      case '--version':
        io.stdout(`snu ${packageVersion()}\n`);
        return 0;
      default: {
        if (command.startsWith('-')) throw new UsageError(`unknown option '${command}' (options go after the command: snu train <task> ${command} …)`);
        const guess = suggest(command, COMMANDS);
        throw new UsageError(`unknown command '${command}'${guess ? ` (did you mean '${guess}'?)` : ''}; commands: ${COMMANDS.join(', ')}`);
      }
    }
  } catch (error) {
    return report(error, command, io);
  }
}

/** The entry point of bin/snu.mjs: runs `main` on the process's arguments and sets the exit code. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2));
}
