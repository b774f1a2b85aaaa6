// LeCun's IDX format (MNIST and its relatives), plain or gzip-compressed.
import { maybeGunzip, readBytes } from './files.js';

/**
 * An IDX array: its dimensions and raw unsigned bytes.
 *
 * @example
 * ```ts
 * const { dims, data }: IdxArray = readIdx('data/t10k-images-idx3-ubyte'); // dims [10000, 28, 28]
 * const firstPixel = data[0];
 * ```
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses IDX bytes (magic `0x00 0x00 0x08 ndim`, big-endian uint32 dims, then the values).
 * Only unsigned-byte data is accepted. `path` names the source in errors.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const bytes = readFileSync('data/train-labels-idx1-ubyte');
 * const { dims, data } = parseIdx(bytes, 'train-labels-idx1-ubyte'); // dims [60000]
 * ```
 */
export function parseIdx(buf: Uint8Array, path: string): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`${path}: not an IDX file (bad magic number: expected 00 00 08 <ndim>, got ${hex(buf.subarray(0, 4))})`);
  }
  if (buf[2] !== 0x08) throw new Error(`${path}: IDX element type 0x${buf[2]!.toString(16)} is not unsigned byte (0x08)`);
  const ndim = buf[3]!;
  if (ndim === 0) throw new Error(`${path}: IDX header announces 0 dimensions`);
  const start = 4 + 4 * ndim;
  if (buf.length < start) throw new Error(`${path}: truncated IDX header (${ndim} dimensions need ${start} bytes, the file holds ${buf.length})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== start + count) {
    const how = buf.length < start + count ? 'truncated: ' : 'trailing bytes: ';
    throw new Error(`${path}: ${how}IDX header announces ${dims.join('x')} = ${count} values but the file holds ${buf.length - start}`);
  }
  return { dims, data: buf.subarray(start) };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') || 'an empty file';
}

/**
 * Reads an IDX file (gzip recognised by its header, whatever the name). No checksum: use a
 * loader (`loadMnist`, `loadFashionMnist`) for known files.
 * @example
 * ```ts
 * const labels = readIdx('data/t10k-labels-idx1-ubyte').data; // Uint8Array(10000)
 * const images = readIdx('data/t10k-images-idx3-ubyte.gz'); // gzip works too
 * ```
 */
export function readIdx(path: string): IdxArray {
  const raw = readBytes(path, 'IDX', 'pass the path of an IDX file');
  return parseIdx(maybeGunzip(raw, path), path);
}
