// `npm run check:install`: proves the install a user gets, with no Rust anywhere in sight.
//
//  1. builds the release addon unless native/ holds a fresh one (scripts/ensure-native.mjs);
//  2. packs the main package (`npm pack`, whose prepack compiles dist/) and this platform's
//     package npm/<platform>/ with the addon copied in (what `napi artifacts` does at release);
//     the main package gets the optionalDependencies `napi prepublish` writes when publishing;
//  3. in a new empty project, `npm install`s both tarballs with a PATH that has no cargo/rustc;
//  4. there, with plain node (no tsx): imports snu, trains a small SNU network on synthetic spike
//     trains for about 3 s, checks the loss went down, saves and reloads a checkpoint; runs
//     `npx snu --help`; then hides the platform package and checks that `snu --help` still works
//     and that using the engine fails with an error naming the package to install.
//
// Prints one result line (`check:install: ok …`); exits 1 with a `check:install: FAILED …` line on
// any failure. Removes its temporary folders either way (SNU_KEEP_TMP=1 keeps them).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
const temps = [];

function cleanup() {
  if (process.env.SNU_KEEP_TMP) {
    if (temps.length > 0) console.error(`check:install: kept ${temps.join(', ')}`);
    return;
  }
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

class CheckError extends Error {}
const fail = (message) => {
  throw new CheckError(message);
};

function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `snu-check-install-${name}-`));
  temps.push(dir);
  return dir;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The last lines of a command's output, for a failure message. */
function tail(r, lines = 25) {
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n');
  return text.slice(-lines).join('\n');
}

/** Runs a command to completion; fails with its output unless it exits 0. */
function run(what, cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10 * 60_000, maxBuffer: 64 << 20, ...options });
  if (r.error) fail(`${what}: ${cmd} could not run (${r.error.message})`);
  if (r.status !== 0) fail(`${what}: \`${cmd} ${args.join(' ')}\` exited with ${r.status ?? r.signal}\n${tail(r)}`);
  return r;
}

/** This machine in napi-rs's naming, as npm/<platform>/ and snu.<platform>.node use it. */
function platformName() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'win32') return `${base}-msvc`;
  if (process.platform !== 'linux') return base;
  return `${base}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

/** The environment of the user's project: no cargo or rustc on PATH, nothing of this npm run. */
function userEnvironment() {
  const cargoHome = process.env.CARGO_HOME ?? join(process.env.HOME ?? '/nonexistent', '.cargo');
  const rustFree = (dir) =>
    dir !== '' &&
    !dir.startsWith(cargoHome) &&
    !dir.includes(`${join('.cargo', 'bin')}`) &&
    !['cargo', 'rustc', 'cargo.exe', 'rustc.exe'].some((exe) => existsSync(join(dir, exe)));
  const path = (process.env.PATH ?? '').split(delimiter).filter(rustFree);
  const nodeDir = dirname(process.execPath);
  if (!path.includes(nodeDir)) path.unshift(nodeDir);
  const env = { ...process.env, PATH: path.join(delimiter) };
  for (const key of Object.keys(env)) {
    if (/^(npm_lifecycle_|npm_package_|NAPI_RS_|RUSTUP_|CARGO)/i.test(key) || key === 'INIT_CWD') delete env[key];
  }
  for (const tool of ['cargo', 'rustc']) {
    const probe = spawnSync(tool, ['--version'], { env, encoding: 'utf8' });
    if (!probe.error) fail(`${tool} is still found with the reduced PATH (${env.PATH}): ${probe.stdout.trim()}`);
  }
  return env;
}

// The program run in the user's project with plain node.
const USER_PROGRAM = `import { adam, sequenceDataset, sequential, Sequential, snu } from 'snu';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const started = performance.now();
const fail = (message) => { console.error(message); process.exit(1); };
// Two classes of spike trains, 40 inputs over 20 steps: class c fires the inputs of its half with
// probability 0.3, the others with 0.2. A seeded generator: the same data on every run.
const N = 1024, T = 20, F = 40;
let state = 12345;
const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const x = new Float32Array(N * T * F), y = new Float32Array(N * 2);
for (let n = 0; n < N; n++) {
  const c = n % 2;
  y[n * 2 + c] = 1;
  for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) x[(n * T + t) * F + f] = random() < ((f < F / 2) === (c === 0) ? 0.3 : 0.2) ? 1 : 0;
}
const data = sequenceDataset({ x, y, steps: T, features: F });
const model = sequential([snu({ units: 64, decay: 0.8 }), snu({ units: 2, decay: 0.8 })], { inputSize: F })
  .compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 1e-3 }), readout: 'sum', seed: 1 });
const before = (await model.evaluate(data)).loss;
const trainStart = performance.now();
let epochs = 0;
while (epochs < 3 || performance.now() - trainStart < 3000) await model.fit(data, { epochs: 1, batchSize: 32, seed: epochs++ });
const trainSeconds = (performance.now() - trainStart) / 1000;
const after = await model.evaluate(data);
if (!(after.loss < 0.5 * before)) fail(\`the loss did not go down enough: \${before} -> \${after.loss} after \${epochs} epochs\`);
const file = join(process.cwd(), 'check.snu');
await model.save(file);
const reloaded = (await (await Sequential.load(file)).evaluate(data)).loss;
rmSync(file);
if (!(Math.abs(reloaded - after.loss) <= 1e-6 * Math.max(1, after.loss))) fail(\`the reloaded checkpoint gives loss \${reloaded}, the saved model \${after.loss}\`);
const addon = createRequire(import.meta.url).resolve('snu-__PLATFORM__');
console.log(JSON.stringify({ before, after: after.loss, accuracy: after.accuracy, epochs, trainSeconds, reloaded, addon, seconds: (performance.now() - started) / 1000 }));
`;

// Uses the engine with the platform package hidden: must fail with the advice, not a stack trace.
const MISSING_PROGRAM = `import { sequential, snu } from 'snu';
try {
  sequential([snu({ units: 2 })], { inputSize: 2 }).compile({ loss: 'mse' });
  console.log('compiled without the addon?');
} catch (error) {
  console.log(error.message);
}
`;

async function main() {
  const platform = platformName();
  const pkg = readJson(join(root, 'package.json'));
  const version = pkg.version;

  // The per-platform packages: one per napi target, named and versioned like the main package.
  const npmDirs = readdirSync(join(root, 'npm')).filter((d) => existsSync(join(root, 'npm', d, 'package.json')));
  if (npmDirs.length !== pkg.napi.targets.length) fail(`npm/ has ${npmDirs.length} platform packages (${npmDirs.join(', ')}) for ${pkg.napi.targets.length} napi.targets; run \`npx napi create-npm-dirs\``);
  const platformPackages = {};
  for (const dir of npmDirs) {
    const p = readJson(join(root, 'npm', dir, 'package.json'));
    if (p.name !== `${pkg.name}-${dir}`) fail(`npm/${dir}/package.json is named ${p.name}, expected ${pkg.name}-${dir}`);
    if (p.version !== version) fail(`npm/${dir}/package.json has version ${p.version}, the main package ${version}; run \`npx napi version\``);
    if (!existsSync(join(root, 'npm', dir, 'README.md'))) fail(`npm/${dir}/README.md is missing`);
    platformPackages[p.name] = version;
  }
  for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    if (name in platformPackages && range !== version) fail(`package.json optionalDependencies pins ${name} to ${range}, expected ${version}`);
  }
  if (!npmDirs.includes(platform)) fail(`no platform package for this machine (${platform}) in npm/; this check needs one`);
  const runtimeDeps = Object.keys(pkg.dependencies ?? {});

  // 1. The release addon, rebuilt only when the Rust sources are newer.
  const binary = join(root, 'native', `${pkg.napi.binaryName}.${platform}.node`);
  const builtBefore = existsSync(binary) ? statSync(binary).mtimeMs : 0;
  run('building the native addon', process.execPath, [join(root, 'scripts', 'ensure-native.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (!existsSync(binary)) fail(`${binary} is missing after scripts/ensure-native.mjs`);
  const addonState = statSync(binary).mtimeMs === builtBefore ? 'reused the fresh addon' : 'built the addon';
  console.log(`check:install: ${addonState} (${seconds()} s)`);

  // 2. The tarballs.
  const packDir = tempDir('pack');
  const first = join(packDir, 'from-repo');
  mkdirSync(first);
  const packed = run('packing the main package', 'npm', ['pack', '--json', '--pack-destination', first], { cwd: root });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0];
  const files = info.files.map((f) => f.path);
  for (const needed of ['package.json', 'README.md', 'bin/snu.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/native.js', 'native/index.cjs', 'native/index.d.cts']) {
    if (!files.includes(needed)) fail(`the main package lacks ${needed}`);
  }
  const stray = files.filter((f) => /\.node$|^ts\/|^crates\/|^scripts\/|^__test__\/|^benchmarks\//.test(f));
  if (stray.length > 0) fail(`the main package holds files a user must not get: ${stray.slice(0, 5).join(', ')}`);
  console.log(`check:install: packed ${info.filename} (${files.length} files, ${(info.size / 1024).toFixed(0)} kB) (${seconds()} s)`);

  // What `napi prepublish` does to package.json before `npm publish` packs it: every platform
  // package becomes an optional dependency pinned to this version.
  const stage = tempDir('stage');
  run('unpacking the main package', 'tar', ['-xzf', join(first, info.filename), '-C', stage]);
  const stagedManifest = join(stage, 'package', 'package.json');
  const staged = readJson(stagedManifest);
  staged.optionalDependencies = { ...staged.optionalDependencies, ...platformPackages };
  writeFileSync(stagedManifest, `${JSON.stringify(staged, null, 2)}\n`);
  run('repacking the main package', 'npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { cwd: join(stage, 'package') });
  const mainTarball = join(packDir, info.filename);

  // The platform package, with the addon where `napi artifacts` puts it.
  const platformDir = join(stage, platform);
  cpSync(join(root, 'npm', platform), platformDir, { recursive: true });
  copyFileSync(binary, join(platformDir, `${pkg.napi.binaryName}.${platform}.node`));
  const platformPacked = run('packing the platform package', 'npm', ['pack', '--json', '--pack-destination', packDir], { cwd: platformDir });
  const platformInfo = JSON.parse(platformPacked.stdout.slice(platformPacked.stdout.indexOf('[')))[0];
  if (!platformInfo.files.some((f) => f.path === `${pkg.napi.binaryName}.${platform}.node`)) fail(`${platformInfo.filename} lacks the addon`);
  const platformTarball = join(packDir, platformInfo.filename);

  // 3. A user's new project, without Rust.
  const env = userEnvironment();
  const project = tempDir('project');
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'snu-install-check', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  // With no runtime dependencies nothing needs the registry: --offline proves it (the other
  // platforms' optional packages are skipped). With some, they come from the registry.
  const offline = runtimeDeps.length === 0 ? ['--offline'] : [];
  run('npm install of the tarballs', 'npm', ['install', '--no-audit', '--no-fund', ...offline, mainTarball, platformTarball], { cwd: project, env });
  const installed = join(project, 'node_modules');
  if (!existsSync(join(installed, pkg.name, 'dist', 'index.js'))) fail('node_modules/snu/dist/index.js is missing after the install');
  if (existsSync(join(installed, pkg.name, 'ts')) || existsSync(join(installed, 'tsx'))) fail('the install holds TypeScript sources or tsx');
  if (readdirSync(join(installed, pkg.name, 'native')).some((f) => f.endsWith('.node'))) fail('the main package carries a .node file of its own');
  console.log(`check:install: installed both tarballs in a new project without cargo on PATH${offline.length ? ', offline' : ''} (${seconds()} s)`);

  // 4. Use it as a user would.
  writeFileSync(join(project, 'check.mjs'), USER_PROGRAM.replace('__PLATFORM__', platform));
  const used = run('the program using snu', process.execPath, ['check.mjs'], { cwd: project, env, timeout: 5 * 60_000 });
  const result = JSON.parse(used.stdout.trim().split('\n').pop());
  if (!result.addon.includes(join('node_modules', `${pkg.name}-${platform}`))) fail(`the addon came from ${result.addon}, not the platform package`);

  const help = run('npx snu --help', 'npx', ['snu', '--help'], { cwd: project, env, timeout: 60_000 });
  if (!help.stdout.includes('snu train <task>')) fail(`npx snu --help printed no usage:\n${tail(help)}`);
  const shownVersion = run('npx snu --version', 'npx', ['snu', '--version'], { cwd: project, env, timeout: 60_000 }).stdout.trim();
  if (shownVersion !== `snu ${version}`) fail(`npx snu --version printed '${shownVersion}', expected 'snu ${version}'`);

  // Without the platform package: help still works, the engine explains what is missing.
  const platformPackage = join(installed, `${pkg.name}-${platform}`);
  renameSync(platformPackage, `${platformPackage}.hidden`);
  try {
    run('npx snu --help without the addon', 'npx', ['snu', '--help'], { cwd: project, env, timeout: 60_000 });
    writeFileSync(join(project, 'missing.mjs'), MISSING_PROGRAM);
    const message = run('using snu without the addon', process.execPath, ['missing.mjs'], { cwd: project, env, timeout: 60_000 }).stdout;
    for (const needed of [platform, `npm install ${pkg.name}-${platform}@${version}`, 'npm run build:native']) {
      if (!message.includes(needed)) fail(`without the addon, the error does not say '${needed}':\n${message}`);
    }
    const train = spawnSync('npx', ['snu', 'train', 'mnist', '--epochs', '1'], { cwd: project, env, encoding: 'utf8', timeout: 60_000 });
    if (train.status !== 1 || !train.stderr.includes(`${pkg.name}-${platform}`) || /\n\s+at /.test(train.stderr)) {
      fail(`without the addon, \`snu train\` should exit 1 with the advice and no stack trace; got ${train.status}:\n${tail(train)}`);
    }
  } finally {
    renameSync(`${platformPackage}.hidden`, platformPackage);
  }

  const f = (v) => v.toPrecision(3);
  console.log(
    `check:install: ok: npm install of ${info.filename} + ${platformInfo.filename} without Rust; ` +
      `loss ${f(result.before)} -> ${f(result.after)} (accuracy ${f(result.accuracy)}) in ${result.trainSeconds.toFixed(1)} s of training (${result.epochs} epochs); ` +
      `checkpoint reloaded; snu --help ok with and without the addon; ${seconds()} s in all`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

try {
  await main();
  cleanup();
} catch (error) {
  cleanup();
  const message = error instanceof CheckError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`check:install: FAILED: ${message}`);
  process.exit(1);
}
