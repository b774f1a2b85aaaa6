// Optimizer builders (PyTorch's update rules; see crates/snu-core/src/optim.rs).
import { checkBoolean, checkKeys, checkNumber, checkObject, checkOneOf } from './checks.js';
import { OPTIMIZERS } from './generated/spec.js';
import type { OptimizerSpec } from './spec.js';

/**
 * The spec of optimizer `kind` from a builder's options: unknown options are refused, each
 * number must be finite (the engine checks its range and fills in the defaults of OPTIMIZERS).
 */
function optimizer(kind: keyof typeof OPTIMIZERS, options: unknown, optional = true): OptimizerSpec {
  const o = checkObject(kind, options, optional);
  const fields = Object.keys(OPTIMIZERS[kind]).filter((f) => f !== 'kind');
  checkKeys(kind, o, kind === 'sgd' ? ['lr', ...fields] : fields);
  const spec: Record<string, unknown> = { kind };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    spec[k] = k === 'nesterov' ? checkBoolean(`${kind}.${k}`, v, false) : checkNumber(`${kind}.${k}`, v);
  }
  if (kind === 'sgd' && spec.lr === undefined) throw new TypeError('sgd.lr: expected a finite number, got undefined (SGD has no default learning rate)');
  return spec as OptimizerSpec;
}

/**
 * Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.
 *
 * @example
 * ```ts
 * model.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 0.1, momentum: 0.9, nesterov: true }) });
 * ```
 */
export function sgd(o: { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }): OptimizerSpec {
  return optimizer('sgd', o, false);
}

/** @internal An optimizer spec given as an object (`compile({ optimizer: { kind: 'sgd', lr: 0.1 } })`), checked as its builder checks it. */
export function checkOptimizer(value: unknown): OptimizerSpec {
  const o = checkObject('optimizer', value);
  const kind = checkOneOf('optimizer.kind', o.kind, Object.keys(OPTIMIZERS) as (keyof typeof OPTIMIZERS)[]);
  const { kind: _, ...rest } = o;
  return optimizer(kind, rest, false);
}

/**
 * Adam (Kingma & Ba); `weightDecay` is an L2 term added to the gradient. Default lr 1e-3.
 *
 * @example
 * ```ts
 * model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 3e-3 }) });
 * ```
 */
export function adam(o: { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number } = {}): OptimizerSpec {
  return optimizer('adam', o);
}

/**
 * AdamW: Adam with decoupled weight decay (default 0.01).
 *
 * @example
 * ```ts
 * model.compile({ loss: 'softmaxCrossEntropy', optimizer: adamW({ lr: 1e-3, weightDecay: 0.05 }) });
 * ```
 */
export function adamW(o: { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number } = {}): OptimizerSpec {
  return optimizer('adamW', o);
}

/**
 * RMSprop with optional momentum. Default lr 1e-3, rho 0.9.
 *
 * @example
 * ```ts
 * model.compile({ loss: 'mse', optimizer: rmsprop({ lr: 1e-3, momentum: 0.9 }) });
 * ```
 */
export function rmsprop(o: { lr?: number; rho?: number; eps?: number; momentum?: number; weightDecay?: number } = {}): OptimizerSpec {
  return optimizer('rmsprop', o);
}
