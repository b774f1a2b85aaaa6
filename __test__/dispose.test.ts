// dispose(): the native network is freed at once, every later call is refused with a clear
// error, and `using` disposes at the end of a block. Throwaway models do not pile up in memory,
// disposed or not (the engine reports its weights to V8 as external memory).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

const model = () => sequential([snu({ units: 8 }), snu({ units: 3 })], { inputSize: 5 }).compile({ loss: 'softmaxCrossEntropy', seed: 1 });
const batch = randomBatch(1, 4, 2, 5, 3);
const DISPOSED = /^model: it was disposed \(dispose\(\) freed its weights\); build or load a model again$/;

test('after dispose() every call is refused with a clear error; disposing twice is harmless', (t) => {
  const m = model();
  t.false(m.disposed);
  m.trainOnBatch(batch);
  m.dispose();
  t.true(m.disposed);
  t.notThrows(() => m.dispose());
  for (const call of [() => m.trainOnBatch(batch), () => m.predict(batch.x, batch), () => m.getWeights(), () => m.toBytes(), () => m.spec, () => m.analog]) {
    t.throws(call, { message: DISPOSED });
  }
  t.throws(() => m.compile({ loss: 'mse' }), { message: /^compile: the model was disposed/ });
});

test('using disposes the model at the end of its block', (t) => {
  let outside: ReturnType<typeof model> | undefined;
  {
    using m = model();
    m.trainOnBatch(batch);
    outside = m;
    t.false(m.disposed);
  }
  t.true(outside.disposed);
});

test('dispose() is refused while an async call runs, and works once it is awaited', async (t) => {
  const m = model();
  const pending = m.trainOnBatchAsync(batch);
  t.throws(() => m.dispose(), { message: /^dispose: 1 asynchronous call is still running on the model \(fit, evaluate, predictAsync, trainOnBatchAsync\); await it \(or abort fit\) first$/ });
  t.false(m.disposed);
  t.true(Number.isFinite(await pending));
  m.dispose();
  t.true(m.disposed);
});

test('a fit whose model is disposed between steps rejects at its next step', async (t) => {
  const m = model();
  const data = { size: 8, batch: (idx: ArrayLike<number>) => randomBatch(idx.length, 4, idx.length, 5, 3) };
  let steps = 0;
  await t.throwsAsync(
    m.fit(data, {
      epochs: 2,
      batchSize: 2,
      onBatchEnd: () => {
        if (++steps === 2) m.dispose();
      },
    }),
    { message: DISPOSED },
  );
  t.is(steps, 2);
});

/** Runs the child that builds and trains 2,000 throwaway 784-256-10 models; its RSS report. */
function throwaway(mode: 'dispose' | 'keep'): { startMB: number; endMB: number; peakMB: number } {
  const child = fileURLToPath(new URL('./children/throwaway-models.mts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import=tsx', child, '2000', mode], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

test('2,000 disposed models leave the resident set within 50 MB of the start; undisposed ones stay bounded too', (t) => {
  const disposed = throwaway('dispose');
  const grew = disposed.endMB - disposed.startMB;
  t.log(`2,000 models disposed: RSS ${disposed.startMB.toFixed(0)} -> ${disposed.endMB.toFixed(0)} MB (peak ${disposed.peakMB.toFixed(0)})`);
  t.true(grew < 50 && disposed.peakMB - disposed.startMB < 50, `grew ${grew.toFixed(1)} MB`);
  // Without dispose the collector frees them; it collects early enough because each network
  // reports its weights as external memory (without that report the peak was about 1.9 GB).
  const kept = throwaway('keep');
  t.log(`2,000 models left to the collector: RSS ${kept.startMB.toFixed(0)} -> ${kept.endMB.toFixed(0)} MB (peak ${kept.peakMB.toFixed(0)})`);
  t.true(kept.peakMB < 800, `peak ${kept.peakMB.toFixed(0)} MB`);
});
