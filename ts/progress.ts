// The progress of an epoch: on a terminal one line redrawn in place (bar, speed, running loss,
// ETA); in a file or pipe an occasional plain line instead, so logs hold no carriage returns.

/** `75s` -> `1:15`, `4000s` -> `1:06:40`, `9.5s` -> `9.5s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** A speed for humans: 3 significant digits below 100, whole numbers above. */
export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toPrecision(3);
}

/** How a `Progress` draws. */
export interface ProgressOptions {
  /** Start of the line, e.g. `epoch 3/10`. */
  label: string;
  /** Units in the epoch (samples or tokens). */
  total: number;
  /** `samples` or `tokens`. */
  unit: string;
  /** Redraw one line in place (a terminal) or print plain lines now and then. */
  tty: boolean;
  /** Terminal width. */
  columns: number;
  write: (text: string) => void;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Without a terminal, print at least this often (ms) besides every 10 %. Default 10 s. */
  quietInterval?: number;
}

/**
 * Progress of one epoch.
 * @example
 * ```ts
 * const p = new Progress({ label: 'epoch 1/5', total: 60000, unit: 'samples', tty: true, columns: 80, write: (t) => process.stderr.write(t) });
 * p.update(6400, 0.52); // "epoch 1/5 ███░░░… 11% 6400/60000 2345 samples/s loss 0.5200 ETA 0:23"
 * p.end();
 * ```
 */
export class Progress {
  readonly #o: Required<ProgressOptions>;
  readonly #started: number;
  #lossSum = 0;
  #lastDone = 0;
  #lastDraw = -Infinity;
  #lastTenth = 0;
  #drawn = false;

  constructor(o: ProgressOptions) {
    this.#o = { now: () => performance.now(), quietInterval: 10_000, ...o };
    this.#started = this.#o.now();
    this.#lastDraw = this.#o.tty ? -Infinity : this.#started;
  }

  /** Mean loss over the units done so far (each step weighted by its units). */
  get runningLoss(): number {
    return this.#lastDone > 0 ? this.#lossSum / this.#lastDone : NaN;
  }

  /** After a step: `done` units so far in the epoch, `loss` of that step. */
  update(done: number, loss: number): void {
    this.#lossSum += loss * (done - this.#lastDone);
    this.#lastDone = done;
    const now = this.#o.now();
    const tenth = this.#o.total > 0 ? Math.floor((10 * done) / this.#o.total) : 0;
    if (this.#o.tty) {
      // Redrawing costs a terminal write: ten times a second is smooth enough.
      if (now - this.#lastDraw < 100 && done < this.#o.total) return;
      this.#lastDraw = now;
      this.#o.write(`\r${this.#line(now, true)}\x1b[K`);
      this.#drawn = true;
    } else if (tenth > this.#lastTenth || now - this.#lastDraw >= this.#o.quietInterval) {
      if (done >= this.#o.total) return; // the epoch line follows at once
      this.#lastTenth = tenth;
      this.#lastDraw = now;
      this.#o.write(`${this.#line(now, false)}\n`);
    }
  }

  /** Clears the in-place line (on a terminal) so that the next output starts on a clean line. */
  end(): void {
    if (this.#o.tty && this.#drawn) this.#o.write('\r\x1b[K');
    this.#drawn = false;
  }

  #line(now: number, bar: boolean): string {
    const { total, unit, label } = this.#o;
    const done = this.#lastDone;
    const seconds = (now - this.#started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const percent = `${Math.floor(100 * fraction)}%`.padStart(4);
    const eta = rate > 0 ? formatDuration((total - done) / rate) : '?';
    const loss = Number.isFinite(this.runningLoss) ? this.runningLoss.toFixed(4) : '?';
    const tail = `${percent}  ${done}/${total}  ${formatRate(rate)} ${unit}/s  loss ${loss}  ETA ${eta}`;
    if (!bar) return `${label}  ${tail}`;
    const width = Math.max(10, Math.min(30, this.#o.columns - label.length - tail.length - 4));
    const filled = Math.round(fraction * width);
    const line = `${label} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${tail}`;
    // Never wrap: a wrapped line cannot be redrawn in place.
    return line.length >= this.#o.columns ? line.slice(0, Math.max(0, this.#o.columns - 1)) : line;
  }
}
