// JSB chorales (Boulanger-Lewandowski et al. 2012) from the JSON of czhuang/JSB-Chorales-dataset,
// as 88-key piano rolls (MIDI 21..108), and a next-frame-prediction dataset over them.
import { join } from 'node:path';
import { checkInteger, describe } from '../checks.js';
import type { Batch, Dataset } from '../data.js';
import { verifyBytes } from './checksums.js';
import { isDir, readBytes, type LoadOptions } from './files.js';

/**
 * Keys of the piano roll: the width of a JSB frame, and of a model's input and output.
 *
 * @example
 * ```ts
 * const model = sequential([snu({ units: 150 }), dense({ units: PIANO_KEYS })], { inputSize: PIANO_KEYS });
 * ```
 */
export const PIANO_KEYS = 88;
/**
 * MIDI number of the lowest key (A0); key `k` of the roll is MIDI `k + 21`.
 *
 * @example
 * ```ts
 * const middleC = 60 - LOWEST_MIDI_NOTE; // key 39 of the roll
 * ```
 */
export const LOWEST_MIDI_NOTE = 21;

/**
 * One chorale: `roll` holds 0/1 per key, `[steps, 88]` row-major.
 *
 * @example
 * ```ts
 * const c: Chorale = pianoRoll([[60, 64, 67], [60, 65, 69]], 'two chords');
 * c.roll[1 * PIANO_KEYS + 65 - LOWEST_MIDI_NOTE]; // 1: F4 sounds at step 1
 * ```
 */
export interface Chorale {
  /** Time steps (quarter notes in the standard file). */
  steps: number;
  /** 0/1 per step and key, `[steps, 88]` row-major. */
  roll: Float32Array;
}

/**
 * The three splits (229 / 76 / 77 chorales in the standard file).
 *
 * @example
 * ```ts
 * const splits: JsbSplits = loadJsb('data/jsb-chorales-quarter.json');
 * console.log(splits.train.length, splits.valid.length, splits.test.length); // 229 76 77
 * ```
 */
export interface JsbSplits {
  train: Chorale[];
  valid: Chorale[];
  test: Chorale[];
}

const SPLITS = ['train', 'valid', 'test'] as const;
const FILE_NAME = 'jsb-chorales-quarter.json';
const HOW_TO_GET = `get ${FILE_NAME} from https://github.com/czhuang/JSB-Chorales-dataset and pass its path`;

/**
 * Turns a list of time steps (each a list of MIDI note numbers; empty for a rest) into a piano roll.
 * `where` names the chorale in errors. Notes must be integral (60.0 is fine) and within 21..108.
 *
 * @example
 * ```ts
 * pianoRoll([[60, 64, 67], [], [62]], 'my tune').steps; // 3
 * ```
 */
export function pianoRoll(frames: unknown, where: string): Chorale {
  if (!Array.isArray(frames) || frames.length === 0) throw new Error(`${where}: expected a non-empty list of time steps`);
  const roll = new Float32Array(frames.length * PIANO_KEYS);
  frames.forEach((notes: unknown, t) => {
    if (!Array.isArray(notes)) throw new Error(`${where}, step ${t}: expected a list of MIDI note numbers, got ${JSON.stringify(notes)}`);
    for (const n of notes as unknown[]) {
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new Error(`${where}, step ${t}: note ${JSON.stringify(n)} is not an integer MIDI note number`);
      if (n < LOWEST_MIDI_NOTE || n >= LOWEST_MIDI_NOTE + PIANO_KEYS) {
        throw new Error(`${where}, step ${t}: note ${n} is outside the piano's 88 keys (MIDI 21..108)`);
      }
      roll[t * PIANO_KEYS + n - LOWEST_MIDI_NOTE] = 1;
    }
  });
  return { steps: frames.length, roll };
}

/**
 * Loads the JSB chorales JSON `{"train": [...], "valid": [...], "test": [...]}` from `path` (a file,
 * or a folder holding `jsb-chorales-quarter.json`). The known file is checked against its sha256
 * unless `verify: false`.
 *
 * @example
 * ```ts
 * const { train, valid, test } = loadJsb('../shared/data/jsb/jsb-chorales-quarter.json');
 * ```
 */
export function loadJsb(path: string, options: LoadOptions = {}): JsbSplits {
  const file = isDir(path) ? join(path, FILE_NAME) : path;
  const raw = readBytes(file, 'JSB chorales', HOW_TO_GET);
  if (options.verify ?? true) verifyBytes('jsb', file, raw);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); expected {"train": [...], "valid": [...], "test": [...]}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${file}: expected an object {"train": [...], "valid": [...], "test": [...]}, got ${Array.isArray(json) ? 'a list' : typeof json}`);
  }
  const obj = json as Record<string, unknown>;
  const out = {} as JsbSplits;
  for (const split of SPLITS) {
    const list = obj[split];
    if (!Array.isArray(list)) throw new Error(`${file}: "${split}" ${list === undefined ? 'is missing' : 'is not a list'}; expected a list of chorales`);
    out[split] = list.map((frames, i) => pianoRoll(frames, `${file}: ${split} chorale ${i}`));
  }
  return out;
}

function checkChorales(chorales: readonly Chorale[]): void {
  if (!Array.isArray(chorales) || chorales.length === 0) throw new TypeError('chorales: expected a non-empty array of { steps, roll }');
  chorales.forEach((c, i) => {
    if (!c || !(c.roll instanceof Float32Array) || !Number.isInteger(c.steps) || c.roll.length !== c.steps * PIANO_KEYS) {
      throw new TypeError(`chorales[${i}]: expected { steps, roll: Float32Array(steps * 88) }`);
    }
    if (c.steps < 2) throw new RangeError(`chorales[${i}]: has ${c.steps} step, next-frame prediction needs at least 2`);
  });
}

/**
 * A dataset for next-frame prediction (the `sequence` readout): inputs are frames `0..L-2`, targets
 * frames `1..L-1`, both `[steps, batch, 88]`. A batch is padded to its longest chorale; `mask`
 * `[steps, batch]` marks the real steps. `maxSteps` crops chorales to their first `maxSteps`
 * predictions (for truncated backpropagation or quick runs).
 *
 * @example
 * ```ts
 * const ds = jsbDataset(loadJsb('data/jsb-chorales-quarter.json').train);
 * const b = ds.batch([0, 1, 2], 0); // b.mask: 1 = real step
 * ```
 */
export function jsbDataset(chorales: readonly Chorale[], opts: { maxSteps?: number } = {}): Dataset {
  checkChorales(chorales);
  const maxSteps = opts.maxSteps === undefined ? Infinity : checkInteger('maxSteps', opts.maxSteps, 1);
  const size = chorales.length;
  return {
    size,
    batch(indices: ArrayLike<number>): Batch {
      if (indices.length === 0) throw new RangeError('indices: expected at least one sample index');
      const picked: Chorale[] = [];
      for (let i = 0; i < indices.length; i++) {
        const v = indices[i]!;
        if (!Number.isInteger(v) || v < 0 || v >= size) throw new RangeError(`indices[${i}]: expected an integer from 0 to ${size - 1}, got ${typeof v === 'number' ? v : describe(v)}`);
        picked.push(chorales[v]!);
      }
      const lengths = picked.map((c) => Math.min(c.steps - 1, maxSteps));
      const steps = Math.max(...lengths);
      const batch = picked.length;
      const x = new Float32Array(steps * batch * PIANO_KEYS);
      const y = new Float32Array(steps * batch * PIANO_KEYS);
      const mask = new Float32Array(steps * batch);
      picked.forEach((c, b) => {
        for (let t = 0; t < lengths[b]!; t++) {
          const at = (t * batch + b) * PIANO_KEYS;
          x.set(c.roll.subarray(t * PIANO_KEYS, (t + 1) * PIANO_KEYS), at);
          y.set(c.roll.subarray((t + 1) * PIANO_KEYS, (t + 2) * PIANO_KEYS), at);
          mask[t * batch + b] = 1;
        }
      });
      return { x, y, steps, batch, mask };
    },
  };
}
