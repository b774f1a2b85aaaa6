// Save and load: exact round trip of weights and optimizer state, clear errors on bad files.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
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
