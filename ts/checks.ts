// The argument checks of the library and of the CLI's config reader: each error names the
// argument (or the config field's path) and says what was expected and what came instead.
// A value of the wrong type is a TypeError, a value out of range a RangeError; the CLI turns
// either into a config error (ts/cli/validate.ts) without rewording it.
import { suggest } from './suggest.js';

/**
 * How a value reads in an error message: `undefined`, `null`, `an array`, `a Int32Array`,
 * `an object`, `the string 'abc'`, `number NaN`, `boolean true`.
 * @example
 * ```ts
 * describe('10'); // "the string '10'"
 * ```
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

/**
 * An integer in `[min, max]`.
 * @example
 * ```ts
 * checkInteger('units', 0, 1); // RangeError: units: expected an integer >= 1, got 0
 * ```
 */
export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const expected = max >= Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name}: expected ${expected}, got ${describe(value)}`);
  if (value < min || value > max) throw new RangeError(`${name}: expected ${expected}, got ${value}`);
  return value;
}

/** Bounds of `checkNumber`: `min`/`max` inclusive, `above`/`below` exclusive. */
export interface NumberRange {
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

/** `number in [0, 1)`, `number > 0`, `number <= 100`, or `finite number` (the engine's wording). */
function rangeText({ min, max, above, below }: NumberRange): string {
  const lo = min ?? above;
  const hi = max ?? below;
  if (lo !== undefined && hi !== undefined) return `number in ${min !== undefined ? '[' : '('}${lo}, ${hi}${max !== undefined ? ']' : ')'}`;
  if (lo !== undefined) return `number ${min !== undefined ? '>=' : '>'} ${lo}`;
  if (hi !== undefined) return `number ${max !== undefined ? '<=' : '<'} ${hi}`;
  return 'finite number';
}

/**
 * A finite number within `range`.
 * @example
 * ```ts
 * checkNumber('decay', 1, { min: 0, below: 1 }); // RangeError: decay: expected a number in [0, 1), got 1
 * ```
 */
export function checkNumber(name: string, value: unknown, range: NumberRange = {}): number {
  const expected = `a ${rangeText(range)}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name}: expected ${expected}, got ${describe(value)}`);
  const out =
    (range.min !== undefined && value < range.min) ||
    (range.above !== undefined && value <= range.above) ||
    (range.max !== undefined && value > range.max) ||
    (range.below !== undefined && value >= range.below);
  if (out) throw new RangeError(`${name}: expected ${expected}, got ${value}`);
  return value;
}

/**
 * A `Float32Array`, of `length` values when given.
 * @example
 * ```ts
 * checkFloat32('x', [0, 1]); // TypeError: x: expected a Float32Array, got an array
 * ```
 */
export function checkFloat32(name: string, value: unknown, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) throw new TypeError(`${name}: expected a Float32Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${name}: expected ${length} values, got ${value.length}`);
  return value;
}

/**
 * One of `options` (strings); a near miss gets a suggestion.
 * @example
 * ```ts
 * checkOneOf('output', 'sigmod', ['step', 'sigmoid']); // TypeError: output: expected one of 'step', 'sigmoid' (did you mean 'sigmoid'?), got the string 'sigmod'
 * ```
 */
export function checkOneOf<T extends string>(name: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    const guess = typeof value === 'string' ? suggest(value, options) : undefined;
    throw new TypeError(`${name}: expected one of ${options.map((o) => `'${o}'`).join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}, got ${describe(value)}`);
  }
  return value as T;
}

/**
 * Refuses keys of an options object that are not among `allowed`, naming the key and the nearest
 * allowed one: `snu({ units: 8, decya: 0.5 })` must not train with the default decay. `noun`
 * is what a key is called to the caller (`option`, or `field` in a config file).
 * @example
 * ```ts
 * checkKeys('snu', { units: 8, decya: 0.5 }, ['units', 'decay']); // TypeError: snu: unknown option 'decya' (did you mean 'decay'?); options: units, decay
 * ```
 */
export function checkKeys(what: string, value: object, allowed: readonly string[], noun = 'option'): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const guess = suggest(key, allowed);
    throw new TypeError(`${what}: unknown ${noun} '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}; ${noun}s: ${allowed.join(', ')}`);
  }
}

/**
 * A plain object (`undefined` counts as `{}` when `optional`).
 * @example
 * ```ts
 * checkObject('fit: options', null); // TypeError: fit: options: expected an options object, got null
 * ```
 */
export function checkObject(what: string, value: unknown, optional = false): Record<string, unknown> {
  if (optional && value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what}: expected an options object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/**
 * A boolean; `undefined` gives `fallback` when one is given. `null` and other types are refused.
 * @example
 * ```ts
 * checkBoolean('detachReset', null, false); // TypeError: detachReset: expected a boolean, got null
 * ```
 */
export function checkBoolean(name: string, value: unknown, fallback?: boolean): boolean {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name}: expected a boolean, got ${describe(value)}`);
  return value;
}

/**
 * A non-empty string.
 * @example
 * ```ts
 * checkString('data.path', ''); // TypeError: data.path: expected a non-empty string, got the string ''
 * ```
 */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name}: expected a non-empty string, got ${describe(value)}`);
  return value;
}

/**
 * Plain data that JSON carries unchanged to the engine: objects, arrays, strings, booleans,
 * null and finite numbers. A NaN would arrive as `null`, a function or `undefined` not at all:
 * each is refused here, naming its path.
 * @example
 * ```ts
 * checkJsonData('config', { device: { gMax: Number.NaN } }); // TypeError: config.device.gMax: expected a finite number, got number NaN
 * ```
 */
export function checkJsonData(path: string, value: unknown, depth = 0): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    checkNumber(path, value);
    return;
  }
  if (typeof value !== 'object' || ArrayBuffer.isView(value) || depth > 16) throw new TypeError(`${path}: expected plain data (numbers, strings, booleans, arrays, objects), got ${describe(value)}`);
  if (Array.isArray(value)) value.forEach((v, i) => checkJsonData(`${path}[${i}]`, v, depth + 1));
  else for (const [k, v] of Object.entries(value)) checkJsonData(`${path}.${k}`, v, depth + 1);
}

/**
 * A function (an optional callback: `undefined` passes).
 * @example
 * ```ts
 * checkCallback('onEpochEnd', 'x'); // TypeError: onEpochEnd: expected a function, got the string 'x'
 * ```
 */
export function checkCallback(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name}: expected a function, got ${describe(value)}`);
}

/**
 * `check(value)` if the value is present, else `fallback`.
 * @example
 * ```ts
 * const options: { seed?: number } = {};
 * const seed = optional(options.seed, (v) => checkInteger('seed', v, 0), 0); // 0
 * ```
 */
export function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined;
export function optional<T>(value: unknown, check: (v: unknown) => T, fallback: T): T;
export function optional<T>(value: unknown, check: (v: unknown) => T, fallback?: T): T | undefined {
  return value === undefined ? fallback : check(value);
}
