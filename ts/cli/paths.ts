// Where the package's own files are (configs, package.json) and where a task's data is looked for.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';

/** The package root: this file is `ts/cli/paths.ts` in a clone and `dist/cli/paths.js` when built. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folder of the built-in experiment configs. */
export const CONFIG_DIR = join(PACKAGE_ROOT, 'configs');

/** Names of the built-in configs (file names without `.json`), sorted. */
export function builtinConfigs(): string[] {
  try {
    return readdirSync(CONFIG_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The file a `--config` value names: a path, or the name of a built-in config (`jsb-ssnu`).
 * @example
 * ```ts
 * configPath('jsb-ssnu', process.cwd()); // '<package>/configs/jsb-ssnu.json'
 * ```
 */
export function configPath(value: string, cwd: string): string {
  const direct = resolve(cwd, value);
  if (existsSync(direct)) return direct;
  const builtin = join(CONFIG_DIR, value.endsWith('.json') ? value : `${value}.json`);
  if (!value.includes('/') && !value.includes('\\') && existsSync(builtin)) return builtin;
  return direct;
}

/** The package's version from its package.json. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The data file or folder of a task: `--data` (or the config's `data.path`) if given, else
 * `$SNU_DATA_DIR/<relative>`, else `../shared/data/<relative>` from the working directory. With
 * nothing found, the error lists every place looked and `howToGet`.
 *
 * @example
 * ```ts
 * findData({ given: undefined, relative: 'jsb/jsb-chorales-quarter.json', what: 'JSB chorales', env: process.env, cwd: process.cwd(), howToGet: '…' });
 * ```
 */
export function findData(o: {
  given: string | undefined;
  relative: string;
  what: string;
  env: Record<string, string | undefined>;
  cwd: string;
  howToGet: string;
}): string {
  if (o.given !== undefined) return isAbsolute(o.given) ? o.given : resolve(o.cwd, o.given);
  const candidates: string[] = [];
  const dataDir = o.env.SNU_DATA_DIR;
  if (dataDir) candidates.push(resolve(o.cwd, dataDir, o.relative));
  candidates.push(resolve(o.cwd, '..', 'shared', 'data', o.relative));
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw new CliError(
    `${o.what}: not found. Looked in: ${candidates.join(', ')}${dataDir ? '' : ' (SNU_DATA_DIR is not set)'}. ` +
      `Pass --data <path>, or set SNU_DATA_DIR to a folder holding ${o.relative}; ${o.howToGet}`,
  );
}
