// Where the command writes and what it knows of its surroundings, injectable for tests.

/** The command's view of the process: output streams, terminal, environment, working directory. */
export interface CliIo {
  /** Results and per-epoch lines. */
  stdout: (text: string) => void;
  /** Errors and the progress bar. */
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (an updating progress line) or a file/pipe (occasional lines). */
  stderrIsTTY: boolean;
  /** Terminal width, for the progress bar. */
  columns: number;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Install the Ctrl-C handler on the process (the real command; tests running in-process may pass false). */
  handleSignals: boolean;
}

/**
 * The real process's streams and environment.
 * @example
 * ```ts
 * import { main } from './main.js';
 * const code = await main(process.argv.slice(2), processIo());
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns || 80,
    env: process.env,
    cwd: process.cwd(),
    handleSignals: true,
  };
}
