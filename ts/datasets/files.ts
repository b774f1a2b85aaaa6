// Reading data files with errors that say which file, what went wrong and how to get the data.
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Options shared by the loaders.
 *
 * @example
 * ```ts
 * const options: LoadOptions = { verify: false };
 * const corpus = loadPtb('my-corpus', options); // a corpus in PTB's form, not PTB itself
 * ```
 */
export interface LoadOptions {
  /**
   * Check known files against their published digests (default `true`). Pass `false` to load a
   * copy of your own whose digest differs (a different version or preprocessing).
   */
  verify?: boolean;
}

/** True if `path` is an existing folder. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True if `path` is an existing file (not a folder). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads a whole file; a missing or unreadable file becomes an error naming `what`, the path and `howToGet`.
 *
 * @example
 * ```ts
 * const bytes = readBytes('/data/ptb.train.txt', 'Penn Treebank', 'pass the folder holding ptb.*.txt');
 * ```
 */
export function readBytes(path: string, what: string, howToGet: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${what}: no file at ${path}; ${howToGet}`);
    if (code === 'EISDIR') throw new Error(`${what}: ${path} is a folder, expected a file; ${howToGet}`);
    throw new Error(`${what}: cannot read ${path} (${(e as Error).message})`);
  }
}

/** True if `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The bytes, decompressed if they are gzip (recognised by the header, whatever the file name).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const p = 'data/t10k-labels-idx1-ubyte.gz';
 * const raw = maybeGunzip(readFileSync(p), p);
 * ```
 */
export function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(`${path}: damaged gzip data (${(e as Error).message}); get a fresh copy of the file`);
  }
}
