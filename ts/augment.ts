// Random distortions of training images, computed natively (snu-core `augment`): elastic
// distortions (Simard et al. 2003) and random shifts, drawn from the batch's seed, so each
// epoch of `fit` sees fresh ones and the same seeds give the same run.
import { checkInteger, checkKeys, checkNumber, checkObject, describe } from './checks.js';
import { DEFAULT_ELASTIC_ALPHA, DEFAULT_ELASTIC_SIGMA, MAX_SEED, MAX_WIDTH } from './generated/limits.js';
import { native } from './native.js';

/**
 * Turns a batch of samples `[batch, features]` into distorted copies; `encodedDataset({ augment })`
 * applies it to the training samples of every batch before encoding.
 *
 * @example
 * ```ts
 * const augment: Augmenter = elasticDistortion({ shape: [1, 28, 28] });
 * const distorted = augment.apply(new Float32Array(2 * 784), 2, 7);
 * ```
 */
export interface Augmenter {
  apply(x: Float32Array, batch: number, seed: number): Float32Array;
}

/**
 * Elastic distortion of images `[C, H, W]` (Simard, Steinkraus and Platt 2003): a random
 * displacement field, uniform in [-1, 1] per pixel and axis, smoothed by a Gaussian of width
 * `sigma`, scaled by `alpha`, moves every pixel (bilinear resampling, 0 outside the image);
 * then, with `shift`, a random whole-pixel shift of up to `shift` along each axis. Defaults
 * `alpha` 34 and `sigma` 4 (Simard's for MNIST), `shift` 0; `alpha: 0` gives shifts only.
 * The equations are in docs/equations.md.
 *
 * @example
 * ```ts
 * const { images, labels } = loadMnist('train');
 * const train = encodedDataset({ x: images, y: oneHot(labels, 10), features: 784, encoder: rateEncoder({ steps: 30 }), augment: elasticDistortion({ shape: [1, 28, 28] }) });
 * ```
 */
export function elasticDistortion(options: { shape: readonly [number, number, number]; alpha?: number; sigma?: number; shift?: number }): Augmenter {
  const o = checkObject('elasticDistortion', options);
  checkKeys('elasticDistortion', o, ['shape', 'alpha', 'sigma', 'shift']);
  if (!Array.isArray(o.shape) || o.shape.length !== 3) throw new TypeError(`elasticDistortion.shape: expected [channels, height, width], got ${describe(o.shape)}`);
  const shape = o.shape.map((v, i) => checkInteger(`elasticDistortion.shape[${i}]`, v, 1, MAX_WIDTH)) as [number, number, number];
  const alpha = checkNumber('elasticDistortion.alpha', o.alpha ?? DEFAULT_ELASTIC_ALPHA, { min: 0, max: 1000 });
  const sigma = checkNumber('elasticDistortion.sigma', o.sigma ?? DEFAULT_ELASTIC_SIGMA, { above: 0, max: 1000 });
  const shift = checkInteger('elasticDistortion.shift', o.shift ?? 0, 0, MAX_WIDTH);
  const len = shape[0] * shape[1] * shape[2];
  return {
    apply(x, batch, seed) {
      checkInteger('batch', batch, 1, MAX_WIDTH);
      checkInteger('seed', seed, 0, MAX_SEED);
      if (!(x instanceof Float32Array) || x.length !== batch * len) {
        throw new RangeError(`x: expected ${batch} images of [${shape.join(', ')}] = ${batch * len} values, got ${x instanceof Float32Array ? x.length : describe(x)}`);
      }
      return native.distortImages(x, batch, shape, alpha, sigma, shift, seed);
    },
  };
}
