// The learning rate of each epoch of a run, from the config's `train` section, through the
// library's schedules (ts/schedules.ts), so that a script and `snu train` share one definition.
import { cosineDecay, exponentialDecay, type LrSchedule } from '../schedules.js';
import type { TrainConfig } from './config.js';

/** What a schedule reads of the `train` section. */
type ScheduleFields = Pick<TrainConfig, 'epochs' | 'lr' | 'lrDecay' | 'lrSchedule'>;

/**
 * The schedule of a run: `cosineDecay` over `train.epochs`, or `exponentialDecay` by `train.lrDecay`
 * (constant with the default `lrDecay` 1).
 * @example
 * ```ts
 * runSchedule({ epochs: 3, lr: 0.004, lrDecay: 1, lrSchedule: 'cosine' })(1); // 0.003
 * ```
 */
export function runSchedule(train: ScheduleFields): LrSchedule {
  return train.lrSchedule === 'cosine' ? cosineDecay({ lr: train.lr, epochs: train.epochs }) : exponentialDecay({ lr: train.lr, decay: train.lrDecay });
}

/** The schedule for the run's header line, e.g. ` x 0.88 per epoch`, ` on a cosine to 0 over 24 epochs`. */
export function describeSchedule(train: ScheduleFields): string {
  if (train.lrSchedule === 'cosine') return ` on a cosine to 0 over ${train.epochs} epoch${train.epochs === 1 ? '' : 's'}`;
  return train.lrDecay !== 1 ? ` x ${train.lrDecay} per epoch` : '';
}
