// Optimizer builders (PyTorch's update rules; see crates/snu-core/src/optim.rs).
import type { OptimizerSpec } from './spec.js';

/**
 * Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.
 *
 * @example
 * ```ts
 * model.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ lr: 0.1, momentum: 0.9, nesterov: true }) });
 * ```
 */
export function sgd(o: { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }): OptimizerSpec {
  return { kind: 'sgd', ...o };
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
  return { kind: 'adam', ...o };
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
  return { kind: 'adamW', ...o };
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
  return { kind: 'rmsprop', ...o };
}
