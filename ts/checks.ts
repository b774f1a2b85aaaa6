// Argument checks for the TypeScript API: each error names the argument and what was expected.
import { suggest } from './suggest.js';

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name}: expected an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function checkNumber(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name}: expected a finite number, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${name}: expected a number in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export function checkFloat32(name: string, value: unknown, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${name}: expected a Float32Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name}: expected ${length} values, got ${value.length}`);
  }
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new TypeError(`${name}: expected one of ${options.map((o) => `'${o}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Refuses keys of an options object that are not among `allowed`, naming the key and the nearest
 * allowed one: `snu({ units: 8, decya: 0.5 })` must not train with the default decay.
 */
export function checkKeys(what: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const guess = suggest(key, allowed);
    throw new TypeError(`${what}: unknown option '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}; options: ${allowed.join(', ')}`);
  }
}

/** An options object (`undefined` counts as `{}` when `optional`). */
export function checkObject(what: string, value: unknown, optional = false): Record<string, unknown> {
  if (optional && value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${what}: expected an options object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A boolean (`undefined` gives `fallback`); `null` and other types are refused. */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name}: expected true or false, got ${describe(value)}`);
  return value;
}

/** A finite number in `[min, max)`. */
export function checkFraction(name: string, value: unknown, min = 0, max = 1): number {
  checkNumber(name, value, min);
  if ((value as number) >= max) throw new RangeError(`${name}: expected a number in [${min}, ${max}), got ${value}`);
  return value as number;
}
