// One process trains a run folder at a time. `snu train` and `snu train --resume` hold
// `<run>/training.lock` (the holder's pid and host) while they write there, so that a second
// command started on the same folder (a resume while the run still goes, two runs given the same
// --out) is refused instead of interleaving its checkpoints and metrics with the first's.
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** The lock file's name inside a run folder. */
export const LOCK_FILE = 'training.lock';

/** What a lock file holds. */
interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** True if a process with this pid exists on this machine (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const l = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return Number.isSafeInteger(l.pid) && typeof l.host === 'string' && typeof l.since === 'string' ? (l as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock file; false if it exists already. */
function tryCreate(path: string, info: LockInfo): boolean {
  try {
    writeFileSync(path, `${JSON.stringify(info)}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CliError(`cannot create ${path} (${(e as Error).message})`);
  }
}

/**
 * Takes the lock of the run folder `dir` (which must exist) and returns the function that
 * releases it; it is also released when the process exits, however it exits. A lock left by a
 * process that no longer runs on this machine (killed, crashed) is taken over.
 * @example
 * ```ts
 * const release = lockRun('runs/jsb');
 * try {
 *   // … train, writing runs/jsb/checkpoint.snu and metrics.json …
 * } finally {
 *   release();
 * }
 * ```
 */
export function lockRun(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  if (!tryCreate(path, mine)) {
    const held = readLock(path);
    const stale = held !== undefined && held.host === mine.host && !alive(held.pid);
    if (!stale) {
      throw new CliError(
        held === undefined
          ? `${dir} is locked by ${path}, which is not a snu lock file; if no snu command trains there, delete it`
          : held.host === mine.host
            ? `${dir} is being trained by process ${held.pid} (since ${held.since}); wait for it to finish, or stop it with Ctrl-C and then resume`
            : `${dir} is being trained by process ${held.pid} on ${held.host} (since ${held.since}); if it no longer runs, delete ${path}`,
      );
    }
    unlinkSync(path);
    // Another process taking over the same stale lock at this moment wins the create; we lose.
    if (!tryCreate(path, mine)) throw new CliError(`${dir} was just locked by another process (${path})`);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own lock: never one another process took over.
    const now = readLock(path);
    if (now?.pid === mine.pid && now.since === mine.since) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return release;
}

/**
 * True if a process holds the lock of the run folder `dir`: one alive on this machine, or one on
 * another machine (which cannot be checked from here); a lock file that is not snu's counts as
 * held, as `lockRun` refuses it. A lock its process left behind is not held.
 * @example
 * ```ts
 * if (!isLocked('runs/jsb')) console.log('nothing trains runs/jsb now');
 * ```
 */
export function isLocked(dir: string): boolean {
  const path = join(dir, LOCK_FILE);
  if (!existsSync(path)) return false;
  const held = readLock(path);
  // A lock file that is not snu's holds the folder, as lockRun treats it.
  return held === undefined || held.host !== hostname() || alive(held.pid);
}

/**
 * `lockRun` for a folder that may not exist: a missing folder (or a file) is not locked, and
 * the no-op release returned lets the caller report that folder's own, clearer error.
 *
 * @example
 * ```ts
 * const release = lockRunIfExists('runs/maybe-missing');
 * release();
 * ```
 */
export function lockRunIfExists(dir: string): () => void {
  return isDirectory(dir) ? lockRun(dir) : () => {};
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
