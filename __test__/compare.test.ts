// `snu compare`: the test figures of run folders side by side, their mean and sample standard
// deviation (checked against the formula written out here), runs without a figure left out and
// said so, the config fields runs differ in, and clear refusals.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Comparison } from '../ts/cli/compare.js';
import { jsbFile, runSnu, testIf, writeConfig } from './cli-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'snu-compare-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));
const snu = (argv: string[]) => runSnu(tmp, argv);

/** A run folder as snu train leaves it, with only the files compare reads. */
function fakeRun(name: string, o: { seed: number; lr?: number; test?: number; status?: string; task?: string; metric?: string; lock?: number }): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const task = o.task ?? 'mnist-conv';
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ task, description: `seed ${o.seed}`, model: { layers: [{ type: 'snu', units: 10 }] }, train: { epochs: 20, lr: o.lr ?? 0.001, seed: o.seed } }));
  const metric = o.metric ?? 'accuracy';
  const epochs = Array.from({ length: o.test === undefined ? 3 : 20 }, (_, i) => ({ epoch: i + 1, lr: 0.001, loss: 0.1, seconds: 1 }));
  writeFileSync(
    join(dir, 'metrics.json'),
    JSON.stringify({ task, metric, higherIsBetter: metric === 'accuracy', status: o.status ?? (o.test === undefined ? 'running' : 'finished'), trainingSeconds: 20, epochs, ...(o.test === undefined ? {} : { test: { [metric]: o.test, loss: 0.2 } }) }),
  );
  if (o.lock !== undefined) writeFileSync(join(dir, 'training.lock'), JSON.stringify({ pid: o.lock, host: hostname(), since: new Date().toISOString() }));
  return name;
}

/** The pid of a process that has exited. */
const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;

const seeds = [fakeRun('s0', { seed: 0, test: 0.9919 }), fakeRun('s1', { seed: 1, test: 0.9925 }), fakeRun('s2', { seed: 2, test: 0.9921 })];

test('three seeds: each figure, their mean and sample standard deviation', async (t) => {
  const json = await snu(['compare', ...seeds, '--json']);
  t.is(json.code, 0, json.err);
  const c = JSON.parse(json.out) as Comparison;
  const xs = [0.9919, 0.9925, 0.9921];
  const mean = (xs[0]! + xs[1]! + xs[2]!) / 3;
  const std = Math.sqrt(((xs[0]! - mean) ** 2 + (xs[1]! - mean) ** 2 + (xs[2]! - mean) ** 2) / 2);
  t.is(c.n, 3);
  t.true(Math.abs(c.mean! - mean) < 1e-12);
  t.true(Math.abs(c.std! - std) < 1e-12);
  t.deepEqual(
    c.runs.map((r) => [r.dir, r.seed, r.epochs, r.of, r.status, r.model, r.test]),
    [
      ['s0', 0, 20, 20, 'finished', 'checkpoint.snu', 0.9919],
      ['s1', 1, 20, 20, 'finished', 'checkpoint.snu', 0.9925],
      ['s2', 2, 20, 20, 'finished', 'checkpoint.snu', 0.9921],
    ],
  );
  t.deepEqual(c.differences, []);

  const text = await snu(['compare', ...seeds]);
  t.is(text.code, 0);
  t.regex(text.out, /^run +seed +epochs +status +model +test accuracy\n/);
  t.regex(text.out, /\ns1 +1 +20\/20 +finished +checkpoint\.snu +99\.25 %\n/);
  t.regex(text.out, /mean over 3 runs: accuracy 99\.22 %, standard deviation 0\.03 % \(sample, n - 1\)\n$/);
  t.notRegex(text.out, /differ/);
});

test('runs without a test figure are listed and left out; a killed run reads stopped; differing configs are named', async (t) => {
  const killed = fakeRun('killed', { seed: 3, lock: deadPid });
  const live = fakeRun('live', { seed: 4, lock: process.pid });
  const otherLr = fakeRun('lr', { seed: 5, lr: 0.01, test: 0.9901 });
  const r = await snu(['compare', seeds[0]!, killed, live, otherLr]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /\nkilled +3 +3\/20 +stopped +- +-\n/);
  t.regex(r.out, /\nlive +4 +3\/20 +running +- +-\n/);
  t.regex(r.out, /mean over 2 runs: accuracy 99\.10 %, standard deviation 0\.13 % \(sample, n - 1\) \(2 runs without a test figure left out\)/);
  t.regex(r.out, /the configs differ in train\.lr \(besides train\.seed\)/);

  const one = await snu(['compare', seeds[1]!, killed]);
  t.regex(one.out, /one run with a test figure: accuracy 99\.25 % \(1 run without a test figure left out\)/);
  const none = await snu(['compare', killed]);
  t.regex(none.out, /no run has a test figure yet \(1 run without a test figure left out\)/);
});

test('refuses runs of different tasks, folders that are not runs, and no folder at all', async (t) => {
  const jsb = fakeRun('jsb', { seed: 0, task: 'jsb', metric: 'nll', test: 8.5 });
  const mixed = await snu(['compare', seeds[0]!, jsb]);
  t.is(mixed.code, 1);
  t.regex(mixed.err, /cannot compare runs of different tasks: s0 is mnist-conv \(accuracy\), jsb is jsb \(nll\)/);

  mkdirSync(join(tmp, 'empty'));
  const empty = await snu(['compare', seeds[0]!, 'empty']);
  t.is(empty.code, 1);
  t.regex(empty.err, /cannot compare empty: no config\.json there/);

  const broken = fakeRun('broken', { seed: 9, test: 0.9 });
  writeFileSync(join(tmp, broken, 'metrics.json'), '{"task":"mnist-conv"}');
  const bad = await snu(['compare', broken]);
  t.is(bad.code, 1);
  t.regex(bad.err, /cannot compare broken: .* is not the metrics\.json of a snu run/);

  const twice = await snu(['compare', seeds[0]!, seeds[1]!, `./${seeds[0]!}`]);
  t.is(twice.code, 2);
  t.regex(twice.err, /\.\/s0 is given twice \(as s0 too\): each run counts once in the mean/);

  const nothing = await snu(['compare']);
  t.is(nothing.code, 2);
  t.regex(nothing.err, /missing the run folders/);
  const help = await snu(['help', 'compare']);
  t.is(help.code, 0);
  t.regex(help.out, /^Usage: snu compare <run folder>/);
});

const jsbTest = testIf(existsSync(jsbFile), 'compare', `${jsbFile} not found (set SNU_DATA_DIR)`, 'compare.test');

jsbTest('real runs of snu train: the figure of best.snu, as the run printed it', async (t) => {
  const config = writeConfig(tmp, 'tiny-jsb', {
    task: 'jsb',
    model: { layers: [{ type: 'snu', units: 8 }, { type: 'dense', units: 88 }], readout: 'sequence', loss: { kind: 'binaryCrossEntropy', fromLogits: true } },
    data: { limit: 4, testLimit: 3, maxSteps: 12, evalBatchSize: 2 },
    train: { epochs: 2, batchSize: 2, lr: 0.01, seed: 1 },
  });
  const trained = await snu(['train', 'jsb', '--config', config, '--out', join(tmp, 'real'), '--data', jsbFile]);
  t.is(trained.code, 0, trained.err);
  const printed = /best on validation: epoch \d+, test nll (\d+\.\d{4})/.exec(trained.out);
  t.truthy(printed, trained.out);
  cpSync(join(tmp, 'real'), join(tmp, 'real-copy'), { recursive: true });
  const r = await snu(['compare', 'real', 'real-copy']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, new RegExp(`\\nreal +1 +2/2 +finished +best\\.snu +${printed![1]!.replace('.', '\\.')}\\n`));
  t.regex(r.out, new RegExp(`mean over 2 runs: nll ${printed![1]!.replace('.', '\\.')}, standard deviation 0\\.0000`));
});

test('a diverged run (NaN, null in metrics.json) has no figure; a foreign lock file holds its run; best.snu and checkpoint.snu figures mixed are said to be', async (t) => {
  const diverged = fakeRun('diverged', { seed: 6, test: 0.5 });
  const path = join(tmp, diverged, 'metrics.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace('"accuracy":0.5', '"accuracy":null'));
  const foreign = fakeRun('foreign-lock', { seed: 7 });
  writeFileSync(join(tmp, foreign, 'training.lock'), 'not a snu lock');
  const withBest = fakeRun('with-best', { seed: 8, test: 0.9923 });
  const m = JSON.parse(readFileSync(join(tmp, withBest, 'metrics.json'), 'utf8'));
  m.best = { epoch: 12, val: { accuracy: 0.99 }, test: { accuracy: 0.9927 } };
  writeFileSync(join(tmp, withBest, 'metrics.json'), JSON.stringify(m));

  const r = await snu(['compare', seeds[0]!, diverged, foreign, withBest]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /\ndiverged +6 +20\/20 +finished +- +-\n/);
  t.regex(r.out, /\nforeign-lock +7 +3\/20 +running +- +-\n/);
  t.regex(r.out, /\nwith-best +8 +20\/20 +finished +best\.snu +99\.27 %\n/);
  t.regex(r.out, /mean over 2 runs: accuracy 99\.23 %/);
  t.regex(r.out, /the figures are of different models: best\.snu \(best on validation\) for some runs, the final checkpoint\.snu for others/);
});
