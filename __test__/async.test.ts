// Async training runs off the main thread: timers keep firing while a step runs.
// Serial: another test's set-up on the main thread would stop the timer and blur the measure.
import test from 'ava';
import { sequential, snu } from '../ts/index.js';
import { randomBatch } from './helpers.js';

test.serial('a timer keeps firing while trainOnBatchAsync runs, and not while trainOnBatch does', async (t) => {
  const model = sequential([snu({ units: 512 }), snu({ units: 512 }), snu({ units: 10 })], { inputSize: 784 }).compile({
    loss: 'softmaxCrossEntropy',
    seed: 1,
  });
  const batch = randomBatch(1, 20, 128, 784, 10);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 2);
  try {
    const started = performance.now();
    const syncStart = ticks;
    model.trainOnBatch(batch);
    const syncMs = performance.now() - started;
    t.is(ticks, syncStart, 'the synchronous step blocks the event loop');
    t.true(syncMs > 40, `a step must take long enough to observe (${syncMs} ms)`);

    const asyncStart = ticks;
    const t0 = performance.now();
    const loss = await model.trainOnBatchAsync(batch);
    const asyncMs = performance.now() - t0;
    t.true(Number.isFinite(loss));
    // At a 2 ms interval, even a heavily loaded loop should tick several times during the step.
    t.true(ticks - asyncStart >= 5, `${ticks - asyncStart} ticks in ${asyncMs.toFixed(0)} ms`);
  } finally {
    clearInterval(timer);
  }
});

test.serial('a synchronous call during an async step is refused, not raced', async (t) => {
  const model = sequential([snu({ units: 256 }), snu({ units: 10 })], { inputSize: 784 }).compile({ loss: 'mse', seed: 1 });
  const batch = randomBatch(2, 20, 128, 784, 10);
  const pending = model.trainOnBatchAsync(batch);
  // Refused at once, whether or not the worker has taken the network yet: no timing decides.
  const error = t.throws(() => model.trainOnBatch(batch));
  t.is(error!.message, 'trainOnBatch: the model is busy: 1 asynchronous call has not finished (fit, evaluate, predictAsync, trainOnBatchAsync); await it first');
  t.throws(() => model.predict(batch.x, batch), { message: /^predict: the model is busy/ });
  t.true(Number.isFinite(await pending));
});
