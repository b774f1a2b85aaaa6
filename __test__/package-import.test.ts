// A clone is a package: after the README's first command (which builds the addon and dist/),
// a project that installs the clone (`npm install ../snu`, here a link in node_modules) can
// `import 'snu'` and train with it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

test("a project outside the repository imports 'snu' from the clone and trains a step", (t) => {
  const project = mkdtempSync(join(tmpdir(), 'snu-user-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'snu'), 'dir');
  writeFileSync(join(project, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(project, 'main.js'),
    `import { sequential, snu } from 'snu';
const m = sequential([snu({ units: 3 })], { inputSize: 2 }).compile({ loss: 'mse', seed: 1 });
const loss = m.trainOnBatch({ x: new Float32Array(8).fill(1), y: new Float32Array(6), steps: 2, batch: 2 });
console.log(Number.isFinite(loss) ? 'trained' : 'not finite');`,
  );
  const r = spawnSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'trained');
});
