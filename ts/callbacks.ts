// Callbacks of `fit` that watch a metric from epoch to epoch: stop early, keep the best
// checkpoint, lower the learning rate on a plateau (as Keras names them).
import { checkBoolean, checkInteger, checkKeys, checkNumber, checkObject, checkOneOf, checkString } from './checks.js';
import { MAX_LR } from './generated/limits.js';
import type { Callback, EpochLogs } from './loops.js';

/**
 * The epoch metrics a callback can watch: keys of `EpochLogs`.
 * @example
 * ```ts
 * MONITORS.includes('valLoss'); // true
 * ```
 */
export const MONITORS = ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const;
/** One of `MONITORS`. */
export type Monitor = (typeof MONITORS)[number];

/** Options shared by the callbacks that watch a metric. */
export interface MonitorOptions {
  /** The metric watched. Default `'valLoss'`. */
  monitor?: Monitor;
  /** `'min'` (lower is better), `'max'`, or `'auto'` (default: `max` for accuracies, `min` for losses). */
  mode?: 'min' | 'max' | 'auto';
  /** The least change that counts as an improvement. Default 0. */
  minDelta?: number;
}

/** The watched value of an epoch, and whether a value improves on the best so far. */
function watcher(what: string, o: MonitorOptions) {
  const monitor = checkOneOf(`${what}.monitor`, o.monitor ?? 'valLoss', MONITORS);
  const mode = checkOneOf(`${what}.mode`, o.mode ?? 'auto', ['min', 'max', 'auto'] as const);
  const minDelta = checkNumber(`${what}.minDelta`, o.minDelta ?? 0, { min: 0 });
  const higherIsBetter = mode === 'max' || (mode === 'auto' && monitor.toLowerCase().endsWith('accuracy'));
  return {
    monitor,
    value(logs: EpochLogs): number {
      const v = logs[monitor];
      if (v === undefined) {
        const hint = monitor.startsWith('val') ? 'give fit validationData or validationSplit' : 'accuracy is measured for softmax cross-entropy losses only';
        throw new Error(`${what}: the epoch's logs have no ${monitor} (${hint})`);
      }
      return v;
    },
    /** Whether `v` beats `best` by more than minDelta (any finite value beats none). */
    improves(v: number, best: number | undefined): boolean {
      if (best === undefined) return true;
      return higherIsBetter ? v > best + minDelta : v < best - minDelta;
    },
  };
}

/**
 * Stops training when the monitored metric has not improved for `patience` epochs; with
 * `restoreBestWeights`, the model ends with the weights of its best epoch (not its optimizer state).
 *
 * @example
 * ```ts
 * await model.fit(train, { epochs: 100, batchSize: 64, validationSplit: 0.1, callbacks: [earlyStopping({ patience: 3, restoreBestWeights: true })] });
 * ```
 */
export function earlyStopping(options: MonitorOptions & { patience?: number; restoreBestWeights?: boolean } = {}): Callback {
  const o = checkObject('earlyStopping', options, true);
  checkKeys('earlyStopping', o, ['monitor', 'mode', 'minDelta', 'patience', 'restoreBestWeights']);
  const watch = watcher('earlyStopping', o);
  const patience = checkInteger('earlyStopping.patience', o.patience ?? 0, 0);
  const restore = checkBoolean('earlyStopping.restoreBestWeights', o.restoreBestWeights, false);
  let best: number | undefined;
  let bestWeights: Record<string, Float32Array> | undefined;
  let waited = 0;
  return {
    onEpochEnd(logs, { model, stop }) {
      const v = watch.value(logs);
      if (watch.improves(v, best)) {
        best = v;
        waited = 0;
        if (restore) bestWeights = model.getWeights();
      } else if (++waited > patience) stop();
    },
    onTrainEnd({ model }) {
      if (bestWeights) model.setWeights(bestWeights);
    },
  };
}

/**
 * Saves the model after each epoch to `path` (`{epoch}` in it becomes the 1-based epoch), or
 * with `saveBestOnly` (default true) only when the monitored metric improves: the file then
 * holds the best model so far, as `snu train`'s best.snu does.
 *
 * @example
 * ```ts
 * await model.fit(train, { epochs: 20, batchSize: 64, validationData: test, callbacks: [modelCheckpoint({ path: 'best.snu' })] });
 * const best = await Sequential.load('best.snu');
 * ```
 */
export function modelCheckpoint(options: MonitorOptions & { path: string; saveBestOnly?: boolean }): Callback {
  const o = checkObject('modelCheckpoint', options);
  checkKeys('modelCheckpoint', o, ['path', 'monitor', 'mode', 'minDelta', 'saveBestOnly']);
  const path = checkString('modelCheckpoint.path', o.path);
  const bestOnly = checkBoolean('modelCheckpoint.saveBestOnly', o.saveBestOnly, true);
  const watch = bestOnly ? watcher('modelCheckpoint', o) : undefined;
  let best: number | undefined;
  return {
    async onEpochEnd(logs, { model }) {
      if (watch) {
        const v = watch.value(logs);
        if (!watch.improves(v, best)) return;
        best = v;
      }
      await model.save(path.replaceAll('{epoch}', String(logs.epoch + 1)));
    },
  };
}

/**
 * Multiplies the learning rate by `factor` when the monitored metric has not improved for
 * `patience` epochs, down to `minLr`; then waits `cooldown` epochs before watching again.
 *
 * @example
 * ```ts
 * await model.fit(train, { epochs: 30, batchSize: 64, validationData: test, callbacks: [reduceLrOnPlateau({ factor: 0.5, patience: 2 })] });
 * ```
 */
export function reduceLrOnPlateau(options: MonitorOptions & { factor?: number; patience?: number; cooldown?: number; minLr?: number } = {}): Callback {
  const o = checkObject('reduceLrOnPlateau', options, true);
  checkKeys('reduceLrOnPlateau', o, ['monitor', 'mode', 'minDelta', 'factor', 'patience', 'cooldown', 'minLr']);
  const watch = watcher('reduceLrOnPlateau', o);
  const factor = checkNumber('reduceLrOnPlateau.factor', o.factor ?? 0.1, { above: 0, below: 1 });
  const patience = checkInteger('reduceLrOnPlateau.patience', o.patience ?? 10, 0);
  const cooldown = checkInteger('reduceLrOnPlateau.cooldown', o.cooldown ?? 0, 0);
  const minLr = checkNumber('reduceLrOnPlateau.minLr', o.minLr ?? 0, { min: 0, max: MAX_LR });
  let best: number | undefined;
  let waited = 0;
  let cooling = 0;
  return {
    setsLearningRate: true,
    onEpochEnd(logs, { model }) {
      const v = watch.value(logs);
      if (cooling > 0) cooling--;
      if (watch.improves(v, best)) {
        best = v;
        waited = 0;
      } else if (cooling === 0 && ++waited > patience) {
        model.setLearningRate(Math.max(minLr, logs.lr * factor));
        waited = 0;
        cooling = cooldown;
      }
    },
  };
}
