// Builds the native addon when it is missing or older than the Rust sources, and the library
// (`dist/`, what `import 'snu'` loads) when it is missing or older than `ts/`, so that
// `npm start` and `npm test` work on a fresh clone and a clone can be installed as a package
// (`npm install ../snu`): npm runs no install scripts for us.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const platformTag = { 'linux-x64': 'linux-x64-gnu', 'linux-arm64': 'linux-arm64-gnu', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64-msvc' }[`${process.platform}-${process.arch}`];
const binary = join(root, 'native', `snu.${platformTag}.node`);

/** The newest modification time of the files under `dir` whose names match `pattern`. */
function newestSource(dir, pattern) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'tests') newest = Math.max(newest, newestSource(p, pattern));
    } else if (pattern.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds `dist/` from `ts/` with tsc when it is missing or stale. */
function ensureDist() {
  const entry = join(root, 'dist', 'index.js');
  const sources = Math.max(newestSource(join(root, 'ts'), /\.ts$/), statSync(join(root, 'tsconfig.json')).mtimeMs);
  if (existsSync(entry) && statSync(entry).mtimeMs >= sources) return;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', root], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('snu: building the library (tsc -p .) failed');
    process.exit(r.status ?? 1);
  }
  const now = new Date();
  utimesSync(entry, now, now);
}

const sources = Math.max(newestSource(join(root, 'crates'), /\.(rs|toml)$/), statSync(join(root, 'Cargo.toml')).mtimeMs);
if (existsSync(binary) && statSync(binary).mtimeMs >= sources) {
  ensureDist();
  process.exit(0);
}

console.log(existsSync(binary) ? 'snu: Rust sources changed, rebuilding the native addon…' : 'snu: building the native addon (first run, about a minute)…');
const r = spawnSync('npm', ['run', '--silent', 'build:native'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (r.status !== 0) {
  console.error('snu: building the native addon failed; it needs Rust (https://rustup.rs) and a C linker');
  process.exit(r.status ?? 1);
}
// napi copies the library with its old time stamp when cargo had nothing to rebuild.
const now = new Date();
utimesSync(binary, now, now);
ensureDist();
