// Penn Treebank (Mikolov's 10k-word version) as token ids, and the standard language-model
// batching of a token stream into contiguous streams and consecutive windows.
import { MAX_WIDTH } from '../generated/limits.js';
import { join } from 'node:path';
import { checkInteger } from '../checks.js';
import type { Batch } from '../data.js';
import { verifyBytes } from './checksums.js';
import { isDir, isFile, readBytes, type LoadOptions } from './files.js';

/**
 * A tokenised corpus: `vocab[id]` is a word, `ids.get(word)` its id; splits are id streams.
 *
 * @example
 * ```ts
 * const corpus: PtbCorpus = loadPtb('data/ptb');
 * const firstWords = Array.from(corpus.valid.subarray(0, 10), (id) => corpus.vocab[id]).join(' ');
 * ```
 */
export interface PtbCorpus {
  /** Words by id, in order of first appearance in train. */
  vocab: string[];
  /** Ids by word. */
  ids: Map<string, number>;
  /** Token ids of `ptb.train.txt`, `<eos>` after every line. */
  train: Int32Array;
  /** Token ids of `ptb.valid.txt`. */
  valid: Int32Array;
  /** Token ids of `ptb.test.txt`. */
  test: Int32Array;
}

/**
 * End-of-sentence token appended to every line.
 *
 * @example
 * ```ts
 * const eosId = corpus.ids.get(EOS); // 24 in Penn Treebank
 * ```
 */
export const EOS = '<eos>';
/**
 * The token that stands for out-of-vocabulary words.
 *
 * @example
 * ```ts
 * const unknown = corpus.test.filter((id) => id === corpus.ids.get(UNK)).length;
 * ```
 */
export const UNK = '<unk>';

const SPLITS = ['train', 'valid', 'test'] as const;
const HOW_TO_GET = "get data/ptb.{train,valid,test}.txt from Mikolov's http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz and pass the folder holding them";

function readText(path: string, raw: Uint8Array): string {
  if (raw.includes(0)) throw new Error(`${path}: not a text file (it holds NUL bytes)`);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

/**
 * Token ids of `text`: words split on whitespace, `<eos>` at the end of every line (a final newline
 * does not start another line). `lookup` gives a word's id or throws; `line` is 1-based.
 */
function tokenize(text: string, lookup: (word: string, line: number) => number): Int32Array {
  const out = new Int32Array(text.length + 1); // at most one token per character, plus a last <eos>
  let n = 0;
  let line = 1;
  // One pass with a global regex, no per-line arrays (PTB's train split has 930k tokens).
  const re = /\S+|\n/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0] === '\n') out[n++] = lookup(EOS, line++);
    else out[n++] = lookup(m[0], line);
  }
  if (text.length > 0 && !text.endsWith('\n')) out[n++] = lookup(EOS, line);
  return out.slice(0, n);
}

/**
 * Loads `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` from `dir`. Words are split on
 * whitespace and `<eos>` ends every line. The vocabulary comes from train, ids in order of first
 * appearance in train (so `vocab[0]` is train's first word); a valid/test word outside it becomes
 * `<unk>` (an error if the vocabulary has no `<unk>`). The known files are checked against their
 * md5 unless `verify: false`.
 *
 * @example
 * ```ts
 * const { vocab, train } = loadPtb('../shared/data/ptb'); // vocab.length 10000, train.length 929589
 * ```
 */
export function loadPtb(dir: string, options: LoadOptions = {}): PtbCorpus {
  const paths = SPLITS.map((s) => join(dir, `ptb.${s}.txt`));
  const missing = paths.filter((p) => !isFile(p));
  if (missing.length > 0) {
    const why = isDir(dir) ? `missing ${missing.join(', ')}` : `no such folder ${dir} (looked for ${paths.join(', ')})`;
    throw new Error(`Penn Treebank: ${why}; ${HOW_TO_GET}`);
  }
  const texts = paths.map((p) => {
    const raw = readBytes(p, 'Penn Treebank', HOW_TO_GET);
    if (options.verify ?? true) verifyBytes('ptb', p, raw);
    return readText(p, raw);
  });

  // Vocabulary from train, in order of first appearance.
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const train = tokenize(texts[0]!, (w) => {
    let id = ids.get(w);
    if (id === undefined) {
      id = vocab.push(w) - 1;
      ids.set(w, id);
    }
    return id;
  });
  if (train.length === 0) throw new Error(`${paths[0]}: the file is empty`);
  const unk = ids.get(UNK);
  const [valid, test] = [1, 2].map((i) =>
    tokenize(texts[i]!, (w, line) => {
      const id = ids.get(w) ?? unk;
      if (id === undefined) throw new Error(`${paths[i]}, line ${line}: word '${w}' is not in the vocabulary of ${paths[0]}, which has no ${UNK} to stand for it`);
      return id;
    }),
  );
  [valid, test].forEach((tokens, i) => {
    if (tokens!.length === 0) throw new Error(`${paths[i + 1]}: the file is empty`);
  });
  return { vocab, ids, train, valid: valid!, test: test! };
}

/**
 * The standard language-model batching: the stream is cut into `batch` contiguous streams of
 * `floor(N / batch)` tokens (the remainder is dropped), read in consecutive windows of `window`
 * steps. Each window gives `x` = token ids as floats `[window, batch, 1]` (for an `embedding` first
 * layer) and `y` = the next token's id `[window, batch]` (class ids for `sparseSoftmaxCrossEntropy`
 * with the `sequence` readout). The last window may be shorter. Returned in order: row `b` of window
 * `i + 1` continues row `b` of window `i`, so a model should carry its state from one window to the
 * next (and reset it at the start of an epoch). Memory: 8 bytes per token.
 *
 * @example
 * ```ts
 * model.setCarryState(true);
 * for (const b of lmBatches(corpus.train, { batch: 20, window: 35 })) model.trainOnBatch(b);
 * ```
 */
export function lmBatches(tokens: ArrayLike<number>, opts: { batch: number; window: number }): Batch[] {
  const batch = checkInteger('batch', opts?.batch, 1);
  const window = checkInteger('window', opts?.window, 1);
  const perStream = Math.floor(tokens.length / batch);
  if (perStream < 2) throw new RangeError(`tokens: expected at least ${2 * batch} tokens for batch=${batch} (2 per stream), got ${tokens.length}`);
  for (let i = 0; i < perStream * batch; i++) {
    const v = tokens[i]!;
    // An id indexes an embedding of at most MAX_WIDTH rows (and so travels exactly as float32).
    if (!Number.isInteger(v) || v < 0 || v >= MAX_WIDTH) throw new RangeError(`tokens[${i}]: expected a token id from 0 to ${MAX_WIDTH - 1}, got ${v}`);
  }
  const out: Batch[] = [];
  for (let start = 0; start < perStream - 1; start += window) {
    const steps = Math.min(window, perStream - 1 - start);
    const x = new Float32Array(steps * batch);
    const y = new Float32Array(steps * batch);
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < batch; b++) {
        const at = b * perStream + start + t;
        x[t * batch + b] = tokens[at]!;
        y[t * batch + b] = tokens[at + 1]!;
      }
    }
    out.push({ x, y, steps, batch });
  }
  return out;
}
