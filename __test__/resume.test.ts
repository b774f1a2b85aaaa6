// `snu train --resume`: a run stopped after an epoch and resumed trains exactly as one that never
// stopped (same checkpoint bytes, same metrics), and every misuse gets a clear refusal.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunMetrics } from '../ts/cli/run-metrics.js';
import { jsbFile, readJson, runSnu, testIf, writeConfig } from './cli-helpers.js';

const jsbTest = testIf(existsSync(jsbFile), 'resume', `${jsbFile} not found (set SNU_DATA_DIR)`, 'resume.test');

const tmp = mkdtempSync(join(tmpdir(), 'snu-resume-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));
const snu = (argv: string[]) => runSnu(tmp, argv);

// Dropout, trainable decay and Adam: every piece of state a resume has to carry over.
const config = writeConfig(tmp, 'tiny-jsb', {
  task: 'jsb',
  model: {
    layers: [
      { type: 'snu', units: 12, trainableDecay: true },
      { type: 'dense', units: 88, dropout: 0.3 },
    ],
    readout: 'sequence',
    loss: { kind: 'binaryCrossEntropy', fromLogits: true },
    optimizer: { kind: 'adam' },
  },
  data: { limit: 6, testLimit: 4, maxSteps: 16, evalBatchSize: 2 },
  train: { epochs: 3, batchSize: 2, lr: 0.01, seed: 4, lrDecay: 0.9 },
});

const train = (out: string, ...more: string[]) => snu(['train', 'jsb', '--config', config, '--out', join(tmp, out), '--data', jsbFile, ...more]);
const resume = (out: string, ...more: string[]) => snu(['train', '--resume', join(tmp, out), '--data', jsbFile, ...more]);
const bytes = (out: string, file: string) => readFileSync(join(tmp, out, file));
const metrics = (out: string) => readJson<RunMetrics>(join(tmp, out, 'metrics.json'));
/** What the training computed, without the timings. */
const learned = (m: RunMetrics) => ({
  epochs: m.epochs.map((e) => ({ epoch: e.epoch, lr: e.lr, loss: e.loss, val: e.val })),
  best: m.best,
  test: m.test,
});

jsbTest('a run resumed after each epoch ends exactly where the uninterrupted run ends', async (t) => {
  const whole = await train('whole');
  t.is(whole.code, 0, whole.err);

  const first = await train('pieces', '--epochs', '1');
  t.is(first.code, 0, first.err);
  t.regex((await resume('pieces', '--epochs', '2')).out, /resuming .*pieces at epoch 2 of 2/);
  // What a run killed while writing leaves behind: removed on resume (the run's lock is held).
  for (const stale of ['metrics.json.tmp-99999-1', 'checkpoint.snu.tmp-1-2']) writeFileSync(join(tmp, 'pieces', stale), 'partial');
  const last = await resume('pieces', '--epochs', '3');
  t.is(last.code, 0, last.err);
  t.regex(last.err, /removed 2 temporary files a stopped run left: (checkpoint\.snu\.tmp-1-2, metrics\.json\.tmp-99999-1|metrics\.json\.tmp-99999-1, checkpoint\.snu\.tmp-1-2)/);
  t.false(existsSync(join(tmp, 'pieces', 'metrics.json.tmp-99999-1')));
  t.false(existsSync(join(tmp, 'pieces', 'checkpoint.snu.tmp-1-2')));
  t.regex(last.out, /^epoch 3\/3 /m);
  t.notRegex(last.out, /^epoch [12]\/3 /m, 'the finished epochs are not trained again');

  t.deepEqual(bytes('pieces', 'checkpoint.snu'), bytes('whole', 'checkpoint.snu'), 'same weights, moments and dropout position');
  t.deepEqual(bytes('pieces', 'best.snu'), bytes('whole', 'best.snu'));
  const [a, b] = [metrics('whole'), metrics('pieces')];
  t.deepEqual(learned(b), learned(a));
  t.is(b.status, 'finished');
  t.deepEqual(b.resumed!.map((r) => r.fromEpoch), [2, 3]);
  t.is(readJson<{ train: { epochs: number } }>(join(tmp, 'pieces', 'config.json')).train.epochs, 3, 'config.json records the new length');
  const epochSeconds = b.epochs.reduce((s, e) => s + e.seconds, 0);
  t.true(Math.abs(b.trainingSeconds - epochSeconds) <= 1e-9 * epochSeconds, 'training time adds up over the pieces');
});

jsbTest('a cosine schedule resumed with --epochs follows the cosine of the new length, as the whole run does', async (t) => {
  const cosine = writeConfig(tmp, 'tiny-jsb-cosine', { ...readJson<Record<string, unknown>>(config), train: { epochs: 3, batchSize: 2, lr: 0.01, seed: 4, lrSchedule: 'cosine' } });
  const run = (out: string, ...more: string[]) => snu(['train', 'jsb', '--config', cosine, '--out', join(tmp, out), '--data', jsbFile, ...more]);
  t.is((await run('cosine-whole')).code, 0);
  // Epoch 1 trains at lr whatever the length; --epochs 3 then puts epochs 2 and 3 on the 3-epoch cosine.
  t.is((await run('cosine-pieces', '--epochs', '1')).code, 0);
  const r = await resume('cosine-pieces', '--epochs', '3');
  t.is(r.code, 0, r.err);
  t.deepEqual(bytes('cosine-pieces', 'checkpoint.snu'), bytes('cosine-whole', 'checkpoint.snu'));
  t.deepEqual(learned(metrics('cosine-pieces')), learned(metrics('cosine-whole')));
  // cos(pi/3) = 1/2, cos(2 pi/3) = -1/2.
  metrics('cosine-whole').epochs.forEach((e, i) => t.true(Math.abs(e.lr - [0.01, 0.0075, 0.0025][i]!) <= 1e-15, `epoch ${i + 1}: lr ${e.lr}`));
});

jsbTest('an epoch stopped midway starts again, and the resume says so', async (t) => {
  t.is((await train('stopped', '--epochs', '2')).code, 0);
  // As Ctrl-C in epoch 2 leaves it: one epoch recorded, the second stopped at 3 of 6 chorales.
  const m = metrics('stopped');
  const stopped = { ...m, status: 'interrupted', interrupted: true, epochs: m.epochs.slice(0, 1), interruptedAt: { epoch: 2, done: 3, of: 6 } };
  writeFileSync(join(tmp, 'stopped', 'metrics.json'), JSON.stringify(stopped));
  const r = await resume('stopped');
  t.is(r.code, 0, r.err);
  t.regex(r.out, /at epoch 2 of 2 \(epoch 2 was stopped at 3\/6 samples: it starts again from its beginning\)/);
  const after = metrics('stopped');
  t.is(after.epochs.length, 2);
  t.is(after.interruptedAt, undefined);
  t.deepEqual(after.resumed![0]!.after, { epoch: 2, done: 3, of: 6 });
});

jsbTest('resuming refuses a finished run, a folder without a run, clashing flags and an edited config', async (t) => {
  t.is((await train('done', '--epochs', '1')).code, 0);
  const finished = await resume('done');
  t.is(finished.code, 1);
  t.regex(finished.err, /has trained all its 1 epochs; pass --epochs <n> with n above 1/);

  const empty = await resume('nothing-here');
  t.is(empty.code, 1);
  t.regex(empty.err, /cannot resume .*nothing-here: no checkpoint\.snu there/);

  const clash = await snu(['train', '--resume', join(tmp, 'done'), '--lr', '0.1', '--seed', '2']);
  t.is(clash.code, 2);
  t.regex(clash.err, /--resume continues a run with its own config\.json and folder: --lr, --seed cannot go with it/);

  const wrongTask = await snu(['train', 'mnist', '--resume', join(tmp, 'done'), '--epochs', '2']);
  t.is(wrongTask.code, 2);
  t.regex(wrongTask.err, /the config is for 'jsb' but the command names 'mnist'/);

  const cfgPath = join(tmp, 'done', 'config.json');
  const original = readFileSync(cfgPath, 'utf8');
  const edited = JSON.parse(original);
  edited.model.layers[0].units = 13;
  writeFileSync(cfgPath, JSON.stringify(edited));
  const mismatch = await resume('done', '--epochs', '2');
  t.is(mismatch.code, 1);
  t.regex(mismatch.err, /config\.json's model is not the network in checkpoint\.snu: model\.layers \(was config\.json edited\?\)/);

  // Training options the checkpoint holds too: the run would go on with the checkpoint's, while
  // the header printed the config's.
  const retrained = JSON.parse(original);
  t.is(retrained.model.clipNorm, null);
  retrained.model.clipNorm = 7;
  retrained.model.lossReduction = 'sum';
  writeFileSync(cfgPath, JSON.stringify(retrained));
  const optionsEdited = await resume('done', '--epochs', '2');
  t.is(optionsEdited.code, 1);
  t.regex(optionsEdited.err, /model\.clipNorm \(7 in config\.json, none in checkpoint\.snu\)/);
  t.regex(optionsEdited.err, /model\.lossReduction \("sum" in config\.json, none in checkpoint\.snu\)/);
  t.notRegex(optionsEdited.err, /model\.(layers|optimizer)/);

  writeFileSync(join(tmp, 'done', 'metrics.json'), '{"task":"jsb"}');
  const broken = await resume('done', '--epochs', '2');
  t.is(broken.code, 1);
  t.regex(broken.err, /not the metrics\.json of a snu run/);
});
