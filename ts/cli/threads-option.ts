// `--threads <n>` of `snu train` and `snu eval`: the engine's thread count, set before any
// engine work of the command (the pool fixes its size when first used).
import { MAX_THREADS } from '../generated/limits.js';
import { setThreads } from '../threads.js';
import type { OptionSpec } from './args.js';
import { CliError } from './errors.js';

/** The option, as `snu train` and `snu eval` accept it. */
export const THREADS_OPTION: OptionSpec = { name: 'threads', type: 'integer', min: 1, max: MAX_THREADS };

/**
 * Applies `--threads` when given. In one `snu` process nothing has computed yet; a host that
 * calls `main` again after the engine started (a test, an embedding program) gets a clear error.
 */
export function useThreadsOption(threads: number | undefined): void {
  if (threads === undefined) return;
  try {
    setThreads(threads);
  } catch (e) {
    throw new CliError(`--threads ${threads}: ${(e as Error).message.replace(/^threads: /, '')}`);
  }
}
