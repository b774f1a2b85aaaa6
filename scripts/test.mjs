// The test command: cargo tests, then ava; prints each runner's counts and a final
// plain line `N passed, N failed` with the totals. Exits non-zero on any failure.
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

function run(cmd, args, onLine) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.on('data', (chunk) => {
        const text = rest + chunk.toString();
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          (stream === child.stdout ? process.stdout : process.stderr).write(`${line}\n`);
          onLine(line);
        }
      });
      stream.on('end', () => rest && onLine(rest));
    }
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const ensure = await run('node', ['scripts/ensure-native.mjs'], () => {});
if (ensure !== 0) process.exit(ensure);

const cargo = { passed: 0, failed: 0 };
const cargoCode = await run('cargo', ['test', '--workspace', '--no-fail-fast'], (line) => {
  const m = /^test result: \w+\. (\d+) passed; (\d+) failed/.exec(line);
  if (m) {
    cargo.passed += Number(m[1]);
    cargo.failed += Number(m[2]);
  }
});
if (cargoCode !== 0 && cargo.failed === 0) cargo.failed += 1; // a build failure counts as a failure

// Types are stripped at run time (tsx), so check them once here.
const typecheck = (await run('npx', ['tsc', '-p', 'tsconfig.check.json'], () => {})) === 0;
console.log(`typecheck: ${typecheck ? 'ok' : 'FAILED'}`);

const ava = { passed: 0, failed: 0, skipped: 0 };
const avaCode = await run('npx', ['ava', '--tap'], (line) => {
  let m;
  if ((m = /^# pass (\d+)/.exec(line))) ava.passed = Number(m[1]);
  else if ((m = /^# fail (\d+)/.exec(line))) ava.failed = Number(m[1]);
  else if ((m = /^# skip (\d+)/.exec(line))) ava.skipped = Number(m[1]);
});
if (avaCode !== 0 && ava.failed === 0) ava.failed += 1; // e.g. a file that failed to load

console.log(`cargo: ${cargo.passed} passed, ${cargo.failed} failed`);
console.log(`ava: ${ava.passed} passed, ${ava.failed} failed${ava.skipped ? `, ${ava.skipped} skipped` : ''}`);
// The type check counts as one test of its own.
const passed = cargo.passed + ava.passed + (typecheck ? 1 : 0);
const failed = cargo.failed + ava.failed + (typecheck ? 0 : 1);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
