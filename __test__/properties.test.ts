// Property-based tests of the whole public TypeScript API (fast-check): thousands of generated
// calls, each of which must return a finite result or throw an Error naming an argument of the
// call, and none of which may kill the process. The calls run in a child process
// (children/api-properties.mts) so that an abort or a crash fails this test with the call that
// caused it instead of taking the test runner down.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs per property: 8 properties at full weight and 2 (fit, the crossbars) at a quarter. */
const RUNS = 2000;

interface Report {
  seed: number;
  total: number;
  outcomes: Record<'finite result' | 'clear error' | 'unclear error' | 'non-finite result', number>;
  byFunction: Record<string, { results: number; errors: number }>;
  failures: string[];
}

test('generated calls to the public API: a finite result or an error naming the argument, and the process lives', (t) => {
  const child = fileURLToPath(new URL('./children/api-properties.mts', import.meta.url));
  const lastCall = join(mkdtempSync(join(tmpdir(), 'snu-properties-')), 'last-call.txt');
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import=tsx', child, String(RUNS), lastCall], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) {
    let last = '(none)';
    try {
      last = readFileSync(lastCall, 'utf8');
    } catch {}
    t.fail(`the child died (status ${r.status}, signal ${r.signal}) during: ${last}\n${r.stderr.slice(-2000)}`);
    return;
  }
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;
  t.log(`${report.total} generated calls in ${seconds.toFixed(1)} s (seed ${report.seed}): ${Object.entries(report.outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  for (const failure of report.failures) t.log(`breaks the property: ${failure}`);
  t.deepEqual(report.failures, [], `repeat with SNU_PROPERTIES_SEED=${report.seed}`);
  t.is(report.outcomes['unclear error'] + report.outcomes['non-finite result'], 0);
  t.true(report.total >= 10_000, `${report.total} calls`);
  // Both sides of every function were reached: results and refusals.
  const oneSided = Object.entries(report.byFunction).filter(([fn, c]) => c.results === 0 && fn !== 'setCarryState');
  t.deepEqual(oneSided.map(([fn]) => fn), [], 'functions that never returned a result');
});
