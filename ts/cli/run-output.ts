// The output folder of a training run: checkpoint.snu, best.snu, config.json and metrics.json,
// each written atomically, and the machine description stored with the metrics.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { TEMPORARY_SUFFIX, writeFileAtomic } from '../io.js';
import { threadCount } from '../threads.js';
import { CliError } from './errors.js';
import { PACKAGE_ROOT, packageVersion } from './paths.js';

/** What machine and code produced a result. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  /** The threads the engine computed on (absent from runs before snu recorded it). */
  threads?: number;
  node: string;
  platform: string;
  snuVersion: string;
  /** The git commit of the snu sources, when running from a clone. */
  snuCommit?: string;
}

let commit: string | null | undefined;

/** HEAD of the package's own clone (never of a repository the package is installed inside). */
function gitCommit(): string | undefined {
  if (commit === undefined) {
    commit = null;
    if (existsSync(join(PACKAGE_ROOT, '.git'))) {
      try {
        commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 }).trim() || null;
      } catch {
        // no git on the PATH: leave it out
      }
    }
  }
  return commit ?? undefined;
}

/**
 * The machine and code description stored in metrics.json.
 * @example
 * ```ts
 * machineInfo(); // { cpu: 'AMD EPYC 7B13', cores: 8, threads: 8, node: 'v20.11.0', platform: 'linux-x64', snuVersion: '0.1.0', snuCommit: '1cdf90d…' }
 * ```
 */
export function machineInfo(): MachineInfo {
  const info: MachineInfo = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    threads: threadCount(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    snuVersion: packageVersion(),
  };
  const c = gitCommit();
  if (c) info.snuCommit = c;
  return info;
}

/** `runs/<task>-YYYYMMDD-HHMMSS` under `cwd`, with `-2`, `-3`… if that exists already. */
export function defaultOutDir(task: string, cwd: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const base = resolve(cwd, 'runs', `${task}-${stamp}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** The files of a run folder. */
export interface RunFiles {
  dir: string;
  checkpoint: string;
  best: string;
  config: string;
  metrics: string;
}

/**
 * The files of the run folder `dir`.
 * @example
 * ```ts
 * runFiles('runs/jsb').checkpoint; // 'runs/jsb/checkpoint.snu'
 * ```
 */
export function runFiles(dir: string): RunFiles {
  return {
    dir,
    checkpoint: join(dir, 'checkpoint.snu'),
    best: join(dir, 'best.snu'),
    config: join(dir, 'config.json'),
    metrics: join(dir, 'metrics.json'),
  };
}

/**
 * Creates the run folder (and its parents); refuses one that holds a run already, so that a
 * finished run is never overwritten by accident.
 */
export function prepareOutDir(dir: string): RunFiles {
  const files = runFiles(dir);
  if (existsSync(files.checkpoint) || existsSync(files.metrics)) {
    throw new CliError(`${dir} already holds a run (checkpoint.snu or metrics.json); pass another --out or remove it`);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create the output folder ${dir} (${(e as Error).message})`);
  }
  return files;
}

/**
 * Removes the temporary files a killed run left in its folder (`metrics.json.tmp-<pid>-<ms>`,
 * ...); call it holding the run's lock, so that no other process is writing them. Returns the
 * names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const stale = readdirSync(dir).filter((name) => TEMPORARY_SUFFIX.test(name));
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale;
}

/** Writes `value` as indented JSON, atomically. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}
