// The runner behind `npm run bench`: measures snu, the raw matrix product it runs on, and the
// peer libraries on the workloads of benchmarks/workloads.json, prints one table on stdout and
// writes benchmarks/results/latest.{json,md}. Progress goes to stderr. See benchmarks/README.md.
//
//   node benchmarks/run.mjs [--workloads=a,d] [--peers=tfjs-wasm,torch] [--budget=S] [--quick]
//
// Plain Node ESM on purpose (no TypeScript loader in this process): every measurement runs in
// a child process of its own so that peak RSS belongs to one workload and a crash or a hang of
// one peer cannot take the run down.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { denseFlops, WORKLOADS } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

// The venv of install-python-peers.sh, which honours the same SNU_PEERS_VENV override.
const VENV_PYTHON = join(process.env.SNU_PEERS_VENV || join(here, '.venv'), 'bin', 'python');
const PY_MISSING = 'not installed (run bash benchmarks/peers/install-python-peers.sh)';
const NPM_MISSING = 'not installed (npm install)';
// Each peer: how to start it (workload ids and --budget are appended) and whether it can run.
const PEERS = {
  'tfjs-cpu': { cmd: () => [process.execPath, join(here, 'peers', 'tfjs.mjs'), 'cpu'], missing: () => missingNpm(['@tensorflow/tfjs']) },
  'tfjs-wasm': { cmd: () => [process.execPath, join(here, 'peers', 'tfjs.mjs'), 'wasm'], missing: () => missingNpm(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) },
  torch: { cmd: () => [VENV_PYTHON, join(here, 'peers', 'torch_snu.py')], missing: missingVenv },
  snntorch: { cmd: () => [VENV_PYTHON, join(here, 'peers', 'snntorch_leaky.py')], missing: missingVenv },
  norse: { cmd: () => [VENV_PYTHON, join(here, 'peers', 'norse_lif.py')], missing: missingVenv },
};

function missingNpm(names) {
  // Resolve from the project root, as the peer itself would import them.
  const require = createRequire(join(root, 'package.json'));
  for (const name of names) {
    try {
      require.resolve(name);
    } catch {
      return NPM_MISSING;
    }
  }
  return null;
}
function missingVenv() {
  return existsSync(VENV_PYTHON) ? null : PY_MISSING;
}

// ---------------------------------------------------------------------------------------
// Options.
const flags = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    const [k, v] = a.slice(2).split(/=(.*)/s);
    return [k, v ?? true];
  }),
);
for (const k of Object.keys(flags)) if (!['workloads', 'peers', 'budget', 'quick', 'help'].includes(k)) usage(`unknown option --${k}`);
if (flags.help) usage();
const list = (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : null);
const quick = Boolean(flags.quick);
// --quick picks the small workloads and a short budget; explicit options still win.
const ids = list(flags.workloads) ?? (quick ? ['a', 'c', 'd'] : Object.keys(WORKLOADS));
const peers = list(flags.peers) ?? Object.keys(PEERS);
const budget = flags.budget !== undefined ? Number(flags.budget) : quick ? 3 : 10;
for (const id of ids) if (!WORKLOADS[id]) usage(`unknown workload ${id}`);
for (const p of peers) if (!PEERS[p]) usage(`unknown peer ${p}`);
if (!(budget > 0)) usage('--budget must be a positive number of seconds');

function usage(error) {
  if (error) console.error(`bench: ${error}`);
  console.error(`usage: node benchmarks/run.mjs [--workloads=${Object.keys(WORKLOADS).join(',')}] [--peers=${Object.keys(PEERS).join(',')}]
                              [--budget=SECONDS (default 10)] [--quick (workloads a,c,d, budget 3)]`);
  process.exit(error ? 2 : 0);
}

// ---------------------------------------------------------------------------------------
// Child processes.
const log = (msg) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
let current = null; // the running child, killed with its process group on Ctrl-C
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) killGroup(current);
    process.exit(130);
  });
}
function killGroup(child) {
  // Peers fork one process per workload: kill the whole group this child leads.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}

/**
 * Runs a command; calls onJson for every stdout line that is a JSON object, passes other
 * stdout and all stderr through to our stderr (progress), and resolves with how it ended.
 * The child leads a process group of its own (detached) so that a timeout also stops the
 * grandchildren the peers fork.
 */
function run(cmd, args, { timeoutSec, onJson = () => {} }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let timedOut = false;
    let stderrTail = '';
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutSec * 1000);
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        let parsed = null;
        if (line.startsWith('{')) {
          try {
            parsed = JSON.parse(line);
          } catch {}
        }
        if (parsed) onJson(parsed);
        else if (line) console.error(`  ${line}`);
      }
    });
    child.stderr.setEncoding('utf8');
    let atLineStart = true; // chunks end mid-line: indent only what follows a newline
    child.stderr.on('data', (d) => {
      process.stderr.write((atLineStart ? '  ' : '') + d.replace(/\n(?=.)/g, '\n  '));
      atLineStart = d.endsWith('\n');
      stderrTail = (stderrTail + d).slice(-2000);
    });
    const done = (code, signal, error) => {
      clearTimeout(timer);
      current = null;
      const lastLine = stderrTail.trim().split('\n').filter(Boolean).pop() ?? '';
      resolve({ ok: !timedOut && code === 0 && !error, code, signal, timedOut, error: error?.message, lastLine });
    };
    child.on('error', (e) => done(null, null, e));
    child.on('close', (code, signal) => done(code, signal));
  });
}

/** Why a child produced no result, for the table's notes. */
function failure(r, timeoutSec) {
  if (r.timedOut) return `timed out after ${timeoutSec} s`;
  if (r.error) return `could not start: ${r.error}`;
  return `crashed (exit ${r.code ?? r.signal})${r.lastLine ? `: ${r.lastLine.slice(0, 200)}` : ''}`;
}

// ---------------------------------------------------------------------------------------
// Measurements.
const started = new Date();
// Other work on the machine skews everything, torch most (its OpenMP threads degrade badly
// when the cores are shared), so how busy the CPUs are at the start goes into the report.
// Sampled over one second from /proc/stat (the load average would still count a previous
// benchmark run for minutes); null where there is no /proc.
const busyAtStart = await cpuBusy();
async function cpuBusy() {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((p, q) => p + q, 0) };
    } catch {
      return null;
    }
  };
  const p = read();
  await new Promise((r) => setTimeout(r, 1000));
  const q = read();
  return p && q && q.total > p.total ? 1 - (q.idle - p.idle) / (q.total - p.total) : null;
}
const results = { snu: {}, gemm: {}, peers: {} };

// snu: build the native addon if the Rust sources changed (as `npm start` does), then one
// process per workload.
log('snu: checking the native addon (node scripts/ensure-native.mjs)');
const build = await run(process.execPath, [join(root, 'scripts', 'ensure-native.mjs')], { timeoutSec: 1800 });
for (const id of ids) {
  if (!build.ok) {
    results.snu[id] = { samplesPerSec: null, note: `native build failed: ${failure(build, 1800)}` };
    continue;
  }
  log(`snu ${id}`);
  // snu-bench.ts times its own repetitions (about 3 s, at least 5 calls); the timeout is only
  // there for a hang: the slowest workload needs well under a minute per call.
  const timeoutSec = 900;
  const r = await run(process.execPath, ['--import=tsx', join(here, 'snu-bench.ts'), id], { timeoutSec, onJson: (j) => (results.snu[id] = j) });
  if (!results.snu[id]) results.snu[id] = { samplesPerSec: null, note: failure(r, timeoutSec) };
}

// Raw matrix product: one square product with the workload's dense FLOPs, through the same
// snu_core::linalg::gemm that snu uses. The first run compiles the example (about a minute).
for (const id of ids) {
  const flops = denseFlops(WORKLOADS[id]);
  log(`raw gemm for ${id} (${(flops / 1e9).toFixed(2)} GFLOP)`);
  const timeoutSec = 900;
  const r = await run('cargo', ['run', '--release', '-q', '-p', 'snu-core', '--example', 'gemm_peak', '--', String(flops)], { timeoutSec, onJson: (j) => (results.gemm[id] = { ...j, flops }) });
  if (!results.gemm[id]) results.gemm[id] = { gflops: null, flops, note: failure(r, timeoutSec) };
}

// Peers: one process per peer with all workloads (each peer script forks one process per
// workload itself and skips a workload whose first call runs past 120 s).
for (const name of peers) {
  const peer = PEERS[name];
  const entry = (results.peers[name] = { workloads: {} });
  const missing = peer.missing();
  if (missing) {
    log(`${name}: ${missing}`);
    entry.note = missing;
    for (const id of ids) entry.workloads[id] = { samplesPerSec: null, note: missing };
    continue;
  }
  const [cmd, ...args] = peer.cmd();
  log(`${name}: ${ids.join(', ')}`);
  // Per workload: up to 120 s for a first call the peer then gives up on, up to 30 timed calls
  // of at most budget/3 s each, plus library start-up (torch's CUDA build loads slowly).
  const timeoutSec = Math.round(ids.length * (240 + 3 * budget));
  const r = await run(cmd, [...args, ...ids, `--budget=${budget}`], { timeoutSec, onJson: (j) => j.workload && (entry.workloads[j.workload] = j) });
  for (const id of ids) {
    if (!entry.workloads[id]) entry.workloads[id] = { samplesPerSec: null, note: r.ok ? 'no result printed' : failure(r, timeoutSec) };
  }
}

// ---------------------------------------------------------------------------------------
// Report.
function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {}
  return os.cpus()[0]?.model ?? 'unknown CPU';
}
function gitCommit() {
  const r = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}
const machine = {
  cpu: cpuModel(),
  logicalCpus: os.cpus().length,
  memoryGB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  commit: gitCommit(),
  date: started.toISOString(),
  cpuBusyAtStart: busyAtStart == null ? null : Number(busyAtStart.toFixed(2)),
};

/** About three significant figures, without exponents. */
function fmt(x) {
  if (x == null || !Number.isFinite(x)) return '–';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}
const ratio = (p, q) => (p > 0 && q > 0 ? `${fmt(p / q)}x` : '–');
/** A short cell for a missing result; the full reason goes into the notes under the table. */
function shortReason(note = '') {
  if (note.startsWith('not installed')) return 'not installed';
  if (note.startsWith('skipped-too-slow')) return 'too slow';
  if (note.startsWith('timed out')) return 'timed out';
  if (note.includes('could not compile')) return 'build failed';
  if (note.startsWith('crashed')) return 'crashed';
  if (note.startsWith('native build failed')) return 'build failed';
  return 'failed';
}

const header = ['workload', 'snu samples/s', 'snu GFLOP/s', 'gemm GFLOP/s', 'snu/gemm', ...peers.flatMap((p) => [`${p} samples/s`, `snu/${p}`])];
const rows = [];
const notes = [];
for (const id of ids) {
  const s = results.snu[id];
  const g = results.gemm[id];
  const row = [id];
  if (s.samplesPerSec != null) row.push(fmt(s.samplesPerSec), fmt(s.gflops));
  else {
    row.push(shortReason(s.note), '–');
    notes.push(`snu ${id}: ${s.note}`);
  }
  if (g.gflops != null) row.push(`${fmt(g.gflops)} (n=${g.n})`);
  else {
    row.push(shortReason(g.note));
    notes.push(`gemm ${id}: ${g.note}`);
  }
  row.push(ratio(s.gflops, g.gflops));
  for (const p of peers) {
    const r = results.peers[p].workloads[id];
    if (r.samplesPerSec != null) row.push(fmt(r.samplesPerSec), ratio(s.samplesPerSec, r.samplesPerSec));
    else {
      row.push(shortReason(r.note), '–');
      // One note per peer for a missing install, not one per workload.
      if (!results.peers[p].note) notes.push(`${p} ${id}: ${r.note}`);
    }
  }
  rows.push(row);
}
for (const p of peers) if (results.peers[p].note) notes.push(`${p}: ${results.peers[p].note}`);

// Aligned pipe table: readable as plain text and valid Markdown.
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
const table = [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');

const mb = (x) => (x != null ? `${x.toFixed(0)} MB` : null);
// Peak RSS against torch's for the workloads where memory matters (the largest dense layer, the
// conv network), with each process's RSS before its first call.
const withBaseline = (r) => (r.peakRssMB != null ? `${mb(r.peakRssMB)}${r.baselineRssMB != null ? ` (${mb(r.baselineRssMB)} before the first call)` : ''}` : shortReason(r.note));
const rssLines = ['b-4096', 'e']
  .filter((id) => ids.includes(id))
  .map((id) => {
    const t = results.peers.torch?.workloads[id];
    return `Peak RSS, ${id}: snu ${withBaseline(results.snu[id])}, torch ${t ? withBaseline(t) : 'not run'}`;
  });

const text = [
  `snu benchmarks, ${machine.date}`,
  '',
  `- Machine: ${machine.cpu}, ${machine.logicalCpus} logical CPUs, ${machine.memoryGB} GB, ${machine.os}`,
  ...(busyAtStart == null ? [] : [`- CPUs busy at start: ${(100 * busyAtStart).toFixed(0)} %${busyAtStart > 0.2 ? ' (not idle: expect slower, noisier numbers)' : ''}`]),
  `- Node ${machine.node}, snu ${machine.commit}; peers: ${budget} s of timed calls per workload; snu: snu-bench.ts's own (about 3 s, at least 5 calls)`,
  '- GFLOP/s are dense-equivalent: 2·T·B·Σ(m·n) per forward pass, 3x that with the backward pass, whatever work snu skips. gemm: one n x n product of the same FLOPs through snu_core::linalg::gemm. Ratios > 1x: snu is faster.',
  '',
  table,
  ...(rssLines.length ? ['', ...rssLines] : []),
  ...(notes.length ? ['', 'Notes:', ...notes.map((n) => `- ${n}`)] : []),
].join('\n');

console.log(text);
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.md'), `# ${text}\n`);
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify({ machine, options: { workloads: ids, peers, budget, quick }, results, table: text }, null, 2)}\n`);
log(`wrote benchmarks/results/latest.json and latest.md (${((Date.now() - started.getTime()) / 60000).toFixed(1)} min)`);
