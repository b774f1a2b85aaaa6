// Small checks for JSON config values; each error names the field by its path
// (`model.layers[2].units: expected an integer >= 1, got the string '10'`).
import { suggest } from './args.js';

/** A config value that fails a check; the command reports it as a usage error (exit 2). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** How a JSON value reads in an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new ConfigError(`${path}: expected ${expected}, got ${show(value)}`);
}

/**
 * The value as a plain object whose keys are all among `allowed` (a typo gets a suggestion).
 * @example
 * ```ts
 * const raw = { train: { epochs: 2, batchSize: 16, lr: 0.001 } };
 * const o = object('train', raw.train, ['epochs', 'batchSize', 'lr', 'seed', 'lrDecay']);
 * ```
 */
export function object(path: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const guess = suggest(key, allowed);
      throw new ConfigError(
        `${path}.${key}: unknown field${guess ? ` (did you mean '${guess}'?)` : ''}; allowed: ${allowed.join(', ')}`,
      );
    }
  }
  return value as Record<string, unknown>;
}

/** An integer in `[min, max]`. */
export function integer(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(path, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A finite number with optional bounds; `exclusiveMin` demands `value > min`. */
export function number(path: string, value: unknown, o: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): number {
  const { min = -Infinity, max = Infinity } = o;
  const bad =
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (o.exclusiveMin ? value <= min : value < min) ||
    (o.exclusiveMax ? value >= max : value > max);
  if (bad) {
    const parts = [
      min === -Infinity ? '' : `${o.exclusiveMin ? '>' : '>='} ${min}`,
      max === Infinity ? '' : `${o.exclusiveMax ? '<' : '<='} ${max}`,
    ].filter(Boolean);
    fail(path, `a number${parts.length ? ` ${parts.join(' and ')}` : ''}`, value);
  }
  return value as number;
}

/** `true` or `false`. */
export function boolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

/** A non-empty string. */
export function string(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(path, 'a non-empty string', value);
  return value;
}

/** One of `choices` (a string). */
export function oneOf<T extends string>(path: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    const guess = typeof value === 'string' ? suggest(value, choices) : undefined;
    fail(path, `one of ${choices.map((c) => `'${c}'`).join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}`, value);
  }
  return value as T;
}

/**
 * `check(value)` if the value is present, else `fallback`.
 * @example
 * ```ts
 * const o = object('train', { seed: 3 }, ['seed']);
 * const seed = optional(o.seed, (v) => integer('train.seed', v, 0), 0); // 3
 * ```
 */
export function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined;
export function optional<T>(value: unknown, check: (v: unknown) => T, fallback: T): T;
export function optional<T>(value: unknown, check: (v: unknown) => T, fallback?: T): T | undefined {
  return value === undefined ? fallback : check(value);
}
