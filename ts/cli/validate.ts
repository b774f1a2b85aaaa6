// The checks of JSON config values: those of ts/checks.ts (one rule, one wording), with each
// refusal raised as a ConfigError naming the field by its path
// (`model.layers[2].units: expected an integer from 1 to 1048576, got 0`).
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkOneOf, checkString, describe, type NumberRange } from '../checks.js';

export { optional } from '../checks.js';

/** A config value that fails a check; the command reports it as a usage error (exit 2). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Runs a check of ts/checks.ts (or a library builder) and raises its TypeError or RangeError as a
 * ConfigError with the same message, prefixed with `prefix` when given. Other errors pass unchanged.
 * @example
 * ```ts
 * import { layerFromConfig } from '../layers.js';
 * const raw: unknown = { type: 'snu', units: 0 };
 * const layer = inConfig(() => layerFromConfig('model.layers[0]', raw), 'configs/my.json: '); // ConfigError
 * ```
 */
export function inConfig<T>(check: () => T, prefix = ''): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new ConfigError(`${prefix}${e.message}`);
    throw e;
  }
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path}: expected an object, got ${describe(value)}`);
  inConfig(() => checkKeys(path, value, allowed, 'field'));
  return value as Record<string, unknown>;
}

/** An integer in `[min, max]`. */
export const integer = (path: string, value: unknown, min: number, max?: number): number => inConfig(() => checkInteger(path, value, min, max));
/** A finite number within `range`. */
export const number = (path: string, value: unknown, range?: NumberRange): number => inConfig(() => checkNumber(path, value, range));
/** A boolean. */
export const boolean = (path: string, value: unknown): boolean => inConfig(() => checkBoolean(path, value));
/** A non-empty string. */
export const string = (path: string, value: unknown): string => inConfig(() => checkString(path, value));
/** One of `choices`. */
export const oneOf = <T extends string>(path: string, value: unknown, choices: readonly T[]): T => inConfig(() => checkOneOf(path, value, choices));
