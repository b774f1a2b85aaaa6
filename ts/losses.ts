// The `loss` of `compile` (and of a config file's model) as the engine's spec: a name or a
// `{ kind, ... }` object, checked against the engine's list of losses.
import { checkBoolean, checkKeys, checkObject, checkOneOf } from './checks.js';
import { LOSSES } from './generated/spec.js';
import type { LossSpec } from './spec.js';

/** A loss by name (`'softmaxCrossEntropy'`) or as a spec object (`{ kind: 'binaryCrossEntropy', fromLogits: true }`). */
export type LossOption = LossSpec['kind'] | LossSpec;

/**
 * @internal The spec of a loss option; errors name `at` (`loss`, `model.loss`).
 * @example
 * ```ts
 * lossSpec('loss', 'binaryCrossEntropy'); // { kind: 'binaryCrossEntropy', fromLogits: false }
 * ```
 */
export function lossSpec(at: string, loss: unknown): LossSpec {
  const kinds = LOSSES as readonly LossSpec['kind'][];
  if (typeof loss !== 'object' || loss === null) {
    const kind = checkOneOf(at, loss, kinds);
    return kind === 'binaryCrossEntropy' ? { kind, fromLogits: false } : ({ kind } as LossSpec);
  }
  const o = checkObject(at, loss);
  const kind = checkOneOf(`${at}.kind`, o.kind, kinds);
  checkKeys(at, o, kind === 'binaryCrossEntropy' ? ['kind', 'fromLogits'] : ['kind']);
  return kind === 'binaryCrossEntropy' ? { kind, fromLogits: checkBoolean(`${at}.fromLogits`, o.fromLogits, false) } : ({ kind } as LossSpec);
}
