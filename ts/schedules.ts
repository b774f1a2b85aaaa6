// Learning-rate schedules: a rate per epoch, which `fit({ lrSchedule })` applies at the start of
// each epoch. Per epoch rather than per step, so that a run resumed at an epoch boundary
// (`fit({ initialEpoch })`) trains exactly as an uninterrupted one.
import { checkInteger, checkKeys, checkNumber, checkObject } from './checks.js';
import { MAX_LR } from './generated/limits.js';


/** The learning rate of each 0-based epoch. `fit` refuses a rate that is not a finite number > 0. */
export type LrSchedule = (epoch: number) => number;

/**
 * `lr * decay^epoch`, `decay` in (0, 1]: a constant rate with `decay` 1, a geometric decay below it.
 *
 * @example
 * ```ts
 * const schedule = exponentialDecay({ lr: 1e-3, decay: 0.88 });
 * await model.fit(train, { epochs: 24, batchSize: 64, lrSchedule: schedule });
 * schedule(2); // 1e-3 * 0.88^2 = 0.0007744
 * ```
 */
export function exponentialDecay(o: { lr: number; decay: number }): LrSchedule {
  checkKeys('exponentialDecay', checkObject('exponentialDecay', o), ['lr', 'decay']);
  const lr = checkNumber('exponentialDecay.lr', o.lr, { above: 0, max: MAX_LR });
  const decay = checkNumber('exponentialDecay.decay', o.decay, { above: 0, max: 1 });
  return (epoch) => lr * decay ** epoch;
}

/**
 * Half a cosine from `lr` in epoch 0 down towards 0 at epoch `epochs`:
 *   lr_e = lr * (1 + cos(pi * e / epochs)) / 2
 * The last epoch (`epochs - 1`) trains at `lr * sin^2(pi / (2 epochs))`, above 0.
 *
 * @example
 * ```ts
 * const schedule = cosineDecay({ lr: 0.004, epochs: 3 });
 * schedule(1); // 0.003
 * await model.fit(train, { epochs: 3, batchSize: 64, lrSchedule: schedule });
 * ```
 */
export function cosineDecay(o: { lr: number; epochs: number }): LrSchedule {
  checkKeys('cosineDecay', checkObject('cosineDecay', o), ['lr', 'epochs']);
  const lr = checkNumber('cosineDecay.lr', o.lr, { above: 0, max: MAX_LR });
  const epochs = checkInteger('cosineDecay.epochs', o.epochs, 1);
  return (epoch) => (lr * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
}
