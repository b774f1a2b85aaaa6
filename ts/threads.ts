// How many threads the engine computes on. Its pool (rayon's, which also runs the matrix
// products) fixes its size when first used, so the count can be set once per process, before
// the first training or prediction call.
import { MAX_THREADS } from './generated/limits.js';
import { checkInteger } from './checks.js';
import { native } from './native.js';

/**
 * Sets the number of threads the engine computes on (default: `RAYON_NUM_THREADS`, or one per
 * core). Call it before the first training or prediction call of the process: afterwards the
 * pool is running and cannot be resized, and it throws, naming the running count. Useful to
 * run two jobs side by side on a small machine without their threads fighting for the cores.
 *
 * @example
 * ```ts
 * import { setThreads, threadCount } from 'snu';
 * setThreads(1);
 * threadCount(); // 1
 * ```
 */
export function setThreads(threads: number): void {
  const n = checkInteger('threads', threads, 1, MAX_THREADS);
  native.startThreadPool(n);
}

/**
 * The number of threads the engine computes on. Starts its pool if it is not running yet, so
 * call `setThreads` first if you mean to.
 *
 * @example
 * ```ts
 * import { threadCount } from 'snu';
 * console.log(`computing on ${threadCount()} threads`);
 * ```
 */
export function threadCount(): number {
  return native.threadCount();
}
