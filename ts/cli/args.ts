// Command-line parsing: positionals and `--name value` / `--name=value` options, checked against a
// table so that typos, missing values and bad numbers become one clear line (exit code 2).
import { suggest } from '../suggest.js';
import { UsageError } from './errors.js';

/** One option a command accepts. */
export interface OptionSpec {
  /** Long name without dashes: `epochs` for `--epochs`. */
  name: string;
  /** `flag` takes no value; the others take one. */
  type: 'flag' | 'string' | 'integer' | 'number';
  /** Smallest accepted value (integer and number options). */
  min?: number;
  /** Largest accepted value (integer and number options). */
  max?: number;
  /** For number options: the value must be greater than `min`, not equal. */
  exclusiveMin?: boolean;
  /** Accepted values of a string option. */
  choices?: readonly string[];
  /** One-letter alias (`h` for `-h`). */
  short?: string;
}

/** A parsed option: text, a checked number, or `true` for a flag. */
export type OptionValue = string | number | boolean;

/** The parsed command line: positionals in order, options by name. */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, OptionValue>;
}

function parseValue(spec: OptionSpec, raw: string, command: string): OptionValue {
  const label = `--${spec.name}`;
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`${label}: expected one of ${spec.choices.join(', ')}, got '${raw}'`, command);
    }
    return raw;
  }
  // Number() accepts '', ' ', '0x10' and 'Infinity'; demand a plain decimal number.
  const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? Infinity;
  if (spec.type === 'integer') {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
      throw new UsageError(`${label}: expected ${range}, got '${raw}'`, command);
    }
    return value;
  }
  const belowMin = spec.exclusiveMin ? value <= min : value < min;
  if (!Number.isFinite(value) || belowMin || value > max) {
    const bound = min === -Infinity ? 'a number' : `a number ${spec.exclusiveMin ? '>' : '>='} ${min}`;
    throw new UsageError(`${label}: expected ${bound}${max === Infinity ? '' : ` and <= ${max}`}, got '${raw}'`, command);
  }
  return value;
}

/**
 * Parses `argv` against `specs`. `--name value` and `--name=value` both work; `--` ends the
 * options. Throws a `UsageError` naming the option for anything unknown, repeated, missing or
 * malformed; `command` names the `--help` to point at.
 *
 * @example
 * ```ts
 * parseArgs(['mnist', '--epochs', '3'], [{ name: 'epochs', type: 'integer', min: 1 }], 'train');
 * // { positionals: ['mnist'], options: { epochs: 3 } }
 * ```
 */
export { suggest };

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const positionals: string[] = [];
  const options: Record<string, OptionValue> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec) {
        const guess = suggest(name, [...byName.keys()]);
        throw new UsageError(`unknown option '--${name}'${guess ? ` (did you mean '--${guess}'?)` : ''}`, command);
      }
    } else if (/^-[A-Za-z]$/.test(arg)) {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown option '${arg}'`, command);
    } else {
      positionals.push(arg);
      continue;
    }
    if (spec.name in options) throw new UsageError(`--${spec.name} is given twice`, command);
    if (spec.type === 'flag') {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value, got '--${spec.name}=${inline}'`, command);
      options[spec.name] = true;
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      // A following option is not a value ("--epochs --lr 1"), but a negative number may be.
      if (next === undefined || (next.startsWith('-') && !/^-[\d.]/.test(next))) {
        throw new UsageError(`--${spec.name} needs a value`, command);
      }
      raw = next;
      i++;
    }
    if (raw === '') throw new UsageError(`--${spec.name} needs a value, got an empty string`, command);
    options[spec.name] = parseValue(spec, raw, command);
  }
  return { positionals, options };
}
