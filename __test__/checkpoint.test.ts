// Save and load: exact round trip of weights and optimizer state, clear errors on bad files.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dense, Sequential, sequential, sgd, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

function trained() {
  const model = sequential([snu({ units: 6, recurrent: true, trainableDecay: true }), dense({ units: 3 })], { inputSize: 4 }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: sgd({ lr: 0.1, momentum: 0.9 }),
    seed: 2,
  });
  for (let i = 0; i < 3; i++) model.trainOnBatch(randomBatch(i, 6, 4, 4, 3));
  return model;
}

test('save then load round-trips weights and optimizer state exactly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snu-'));
  const path = join(dir, 'model.snu');
  const model = trained();
  await model.save(path);
  t.deepEqual(readdirSync(dir), ['model.snu']); // the temporary file was renamed away
  const loaded = await Sequential.load(path);
  t.deepEqual(loaded.spec, model.spec);
  const a = model.getWeights();
  const b = loaded.getWeights();
  for (const name of Object.keys(a)) t.deepEqual(Buffer.from(b[name]!.buffer), Buffer.from(a[name]!.buffer), name);
  // Momentum is part of the state: one more identical step keeps them bit-identical.
  const next = randomBatch(99, 6, 4, 4, 3);
  t.is(model.trainOnBatch(next), loaded.trainOnBatch(next));
  t.deepEqual(Buffer.from(loaded.toBytes()), Buffer.from(model.toBytes()));
});

test('loading a truncated, bit-flipped or foreign file throws a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snu-'));
  const bytes = trained().toBytes();
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated', bytes.subarray(0, bytes.length - 20), /checksum|truncated/],
    ['flipped', Uint8Array.from(bytes, (v, i) => (i === 200 ? v ^ 0x10 : v)), /checksum/],
    ['foreign', new TextEncoder().encode('{"this is": "json, not a checkpoint"}'), /not an snu checkpoint/],
    ['empty', new Uint8Array(0), /not an snu checkpoint/],
  ];
  for (const [name, data, message] of cases) {
    const path = join(dir, name);
    writeFileSync(path, data);
    await t.throwsAsync(() => Sequential.load(path), { message }, name);
  }
  t.is(readFileSync(join(dir, 'foreign'), 'utf8').length > 0, true);
});

/** FNV-1a 64 of `bytes`, written again here from its definition to re-seal edited files. */
function fnv1a(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

/** `body` followed by its checksum: a crafted file that passes the checksum. */
function sealed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 8);
  out.set(body);
  new DataView(out.buffer).setBigUint64(body.length, fnv1a(body), true);
  return out;
}

/** Magic, format version 2, a spec-length field and `rest`. */
function header(specLength: number, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + rest.length);
  out.set(new TextEncoder().encode('SNUCKPT\0'));
  new DataView(out.buffer).setUint32(8, 2, true);
  new DataView(out.buffer).setUint32(12, specLength, true);
  out.set(rest, 16);
  return out;
}

test('crafted files that claim gigabytes are refused with the process under 100 MB; snu eval exits 1, not 134', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snu-crafted-'));
  // A 1 kB file whose spec-length field says 3 GB.
  const claim = sealed(header(3_000_000_000, new Uint8Array(1024 - 24).fill(0x7b)));
  // A small file whose spec is valid but defines 40000 x 40000 weights (6.4 GB) the file does not hold.
  const spec = new TextEncoder().encode('{"inputSize":40000,"layers":[{"type":"dense","units":40000}],"loss":{"kind":"mse"}}');
  const huge = sealed(header(spec.length, Uint8Array.from([...spec, 0, 0, 0, 0])));
  t.is(claim.length, 1024);
  const root = join(import.meta.dirname, '..');
  for (const [name, bytes, message] of [
    ['claim-3gb', claim, /checkpoint: truncated while reading spec/],
    ['huge-spec', huge, /its spec defines 1600040000 parameter values \(6400160000 bytes\) but only 4 bytes follow the spec/],
  ] as const) {
    const path = join(dir, `${name}.snu`);
    writeFileSync(path, bytes);
    const probe = `const { Network } = require('./native/index.cjs');
      try { Network.load(require('node:fs').readFileSync(${JSON.stringify(path)})); console.log(JSON.stringify({ loaded: true })); }
      catch (e) { console.log(JSON.stringify({ error: e.message, maxRssMB: process.resourceUsage().maxRSS / 1024 })); }`;
    const r = spawnSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { error?: string; maxRssMB: number };
    t.log(`${name} (${bytes.length} bytes): refused with peak RSS ${out.maxRssMB.toFixed(0)} MB: ${out.error}`);
    t.regex(out.error ?? 'loaded', message);
    t.true(out.maxRssMB < 100, `${name}: peak RSS ${out.maxRssMB} MB`);
    const cli = spawnSync(process.execPath, [join(root, 'bin', 'snu.mjs'), 'eval', path, 'mnist'], { cwd: dir, encoding: 'utf8' });
    t.is(cli.status, 1, `${name}: snu eval exit ${cli.status}: ${cli.stderr}`);
    t.regex(cli.stderr, message);
  }
});

test('a failed save leaves no temporary file behind and names the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snu-save-'));
  const model = trained();
  await t.throwsAsync(model.save(''), { instanceOf: TypeError, message: "save: path: expected a non-empty string, got the string ''" });
  // A rename onto a folder fails after the temporary file was written: it must be removed.
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  await t.throwsAsync(model.save(folder), { message: /^save: / });
  // Into a folder that does not exist: the temporary file cannot even be created.
  await t.throwsAsync(model.save(join(dir, 'missing', 'x.snu')), { message: /^save: ENOENT/ });
  t.deepEqual(readdirSync(dir), ['a-folder']);
  t.deepEqual(readdirSync(folder), []);
  t.deepEqual(readdirSync(process.cwd()).filter((f) => f.startsWith('.tmp-')), []);
});
