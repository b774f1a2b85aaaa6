// The two kinds of failure the command reports without a stack trace.

/**
 * A bad command line (unknown option, missing value, bad number, bad config): the command prints
 * the message and a hint to `--help`, and exits with code 2.
 * @example
 * ```ts
 * throw new UsageError("unknown option '--epoch' (did you mean '--epochs'?)", 'train');
 * ```
 */
export class UsageError extends Error {
  /** The command whose `--help` the hint names (`train`, `eval`), or undefined for `snu --help`. */
  readonly command: string | undefined;
  /** The hint line; default "Run 'snu <command> --help' for usage." */
  readonly hint: string | undefined;
  constructor(message: string, command?: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
    this.hint = hint;
  }
}

/**
 * A failure the user can fix outside the command line (missing data, unreadable checkpoint): the
 * message alone, exit code 1.
 * @example
 * ```ts
 * const path = 'runs/jsb/best.snu';
 * throw new CliError(`no checkpoint at ${path}`);
 * ```
 */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
