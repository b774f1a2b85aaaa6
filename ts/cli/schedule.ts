// The learning rate of each epoch, from the config's `train` section. Per epoch rather than per
// step, so that a run resumed at an epoch boundary trains exactly as an uninterrupted one.
import type { TrainConfig } from './config.js';

/** How the learning rate moves from epoch to epoch. */
export const LR_SCHEDULES = ['exponential', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/**
 * The learning rate of 0-based `epoch`:
 * - `exponential`: `lr * lrDecay^epoch` (constant with the default `lrDecay` 1);
 * - `cosine`: `lr * (1 + cos(pi * epoch / epochs)) / 2`, from `lr` in the first epoch down
 *   towards 0 (`lr * sin^2(pi / (2 epochs))` in the last).
 * @example
 * ```ts
 * epochLr({ epochs: 3, batchSize: 32, lr: 0.004, seed: 0, lrDecay: 1, lrSchedule: 'cosine' }, 1); // 0.003
 * ```
 */
export function epochLr(train: TrainConfig, epoch: number): number {
  if (train.lrSchedule === 'cosine') return (train.lr * (1 + Math.cos((Math.PI * epoch) / train.epochs))) / 2;
  return train.lr * train.lrDecay ** epoch;
}

/** The schedule for the run's header line, e.g. ` x 0.88 per epoch`, ` on a cosine to 0 over 24 epochs`. */
export function describeSchedule(train: TrainConfig): string {
  if (train.lrSchedule === 'cosine') return ` on a cosine to 0 over ${train.epochs} epochs`;
  return train.lrDecay !== 1 ? ` x ${train.lrDecay} per epoch` : '';
}
