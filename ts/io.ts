// File writes that never leave a half-written file in place of a good one, nor a temporary
// file behind when they fail.
import { open, rename, rm } from 'node:fs/promises';
import { checkString } from './checks.js';

/** The temporary file a write of `path` goes through: `<path>.tmp-<pid>-<ms>`. */
export const TEMPORARY_SUFFIX = /\.tmp-\d+-\d+$/;

/**
 * The temporary file beside `path` that a write goes through before it is renamed into place.
 * @example
 * ```ts
 * temporaryPath('model.snu'); // 'model.snu.tmp-4242-1733570000000'
 * ```
 */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${process.pid}-${Date.now()}`;
}

/**
 * Writes `data` to a temporary file beside `path`, flushes it, then renames it into place. On
 * any failure the temporary file is removed and the error names `path`.
 * @example
 * ```ts
 * await writeFileAtomic('weights.bin', new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  checkString('path', path);
  const tmp = temporaryPath(path);
  const handle = await open(tmp, 'w');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
