// Penn Treebank word-level language modelling: the corpus is cut into `batchSize` streams read in
// consecutive windows (`lmBatches`), in order, with each SNU layer's state carried from one window
// to the next (truncated BPTT at window starts) and reset at the start of every pass. `fit` would
// shuffle the windows and break the carried state, so the loop here drives `trainOnBatchAsync`.
// The metric is perplexity: exp of the mean loss per token, each window weighted by its tokens.
import type { Batch, Dataset } from '../data.js';
import { lmBatches, loadPtb, type PtbCorpus } from '../datasets/ptb.js';
import type { Sequential } from '../model.js';
import { findData } from './paths.js';
import { expectModel, lastLayer, type LoadContext, type LoadedTask, type Task } from './task.js';
import { boolean, ConfigError, integer, object, optional, string } from './validate.js';

/** The `data` section of the ptb task. */
export interface PtbData {
  /** Steps per window (the truncation of BPTT), e.g. 35. */
  window: number;
  /** Streams in evaluation (the batch of valid and test), e.g. 10. */
  evalBatchSize: number;
  /** Train on the first `limit` tokens only. */
  limit?: number;
  /** Measure on the first `testLimit` tokens of valid and test only. */
  testLimit?: number;
  /** The folder holding ptb.{train,valid,test}.txt. */
  path?: string;
  verify: boolean;
}

const HOW_TO_GET = "the files are data/ptb.{train,valid,test}.txt of Mikolov's http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz";

function validateData(raw: unknown, path: string): PtbData {
  const o = object(path, raw, ['window', 'evalBatchSize', 'limit', 'testLimit', 'path', 'verify']);
  const data: PtbData = {
    window: integer(`${path}.window`, o.window, 1),
    evalBatchSize: optional(o.evalBatchSize, (v) => integer(`${path}.evalBatchSize`, v, 1), 10),
    verify: optional(o.verify, (v) => boolean(`${path}.verify`, v), true),
  };
  const limit = optional(o.limit, (v) => integer(`${path}.limit`, v, 2));
  const testLimit = optional(o.testLimit, (v) => integer(`${path}.testLimit`, v, 2));
  const dir = optional(o.path, (v) => string(`${path}.path`, v));
  if (limit !== undefined) data.limit = limit;
  if (testLimit !== undefined) data.testLimit = testLimit;
  if (dir !== undefined) data.path = dir;
  return data;
}

/** The default folder of the corpus: `$SNU_DATA_DIR/ptb`, else `../shared/data/ptb` from `cwd`. */
export function ptbDir(given: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  return findData({ given, relative: 'ptb', what: 'Penn Treebank', env, cwd, howToGet: HOW_TO_GET });
}

/** Windows as a dataset of one window per sample, read in order by `Sequential.evaluate`. */
function windowDataset(windows: Batch[]): Dataset {
  return {
    size: windows.length,
    batch: (indices) => {
      if (indices.length !== 1) throw new Error('ptb windows: evaluate them one at a time, in order');
      return windows[indices[0]!]!;
    },
  };
}

/** `lmBatches` with the split and option named in its errors. */
function windowsOf(tokens: Int32Array, batch: number, window: number, split: string, hint: string): Batch[] {
  try {
    return lmBatches(tokens, { batch, window });
  } catch (e) {
    throw new ConfigError(`ptb ${split} split: ${(e as Error).message} (${hint})`);
  }
}

function tokenCount(windows: Batch[]): number {
  return windows.reduce((n, w) => n + w.steps * w.batch, 0);
}

/** The first window of the first `count` streams: token ids and targets are `[steps, batch]`. */
function firstStreams(w: Batch, count: number): Batch {
  const n = Math.min(count, w.batch);
  const rows = (v: Float32Array) => {
    const out = new Float32Array(w.steps * n);
    for (let t = 0; t < w.steps; t++) out.set(v.subarray(t * w.batch, t * w.batch + n), t * n);
    return out;
  };
  return { x: rows(w.x), y: rows(w.y), steps: w.steps, batch: n };
}

/** The Penn Treebank task. */
export const ptbTask: Task<PtbData> = {
  name: 'ptb',
  title: 'Penn Treebank',
  metric: 'perplexity',
  higherIsBetter: false,
  unit: 'tokens',
  defaultConfig: 'ptb-ssnu-tied',
  inputSize: 1,
  validateData,
  checkModel(model, path) {
    const first = model.layers[0]!;
    if (first.type !== 'embedding') {
      throw new ConfigError(`${path}.layers[0]: expected an embedding layer first for ptb (the inputs are word ids), got a ${first.type} layer`);
    }
    expectModel(model, path, 'ptb', { loss: ['sparseSoftmaxCrossEntropy'], readouts: ['sequence'] });
  },
  load(data: PtbData, ctx: LoadContext): LoadedTask {
    const dir = ptbDir(ctx.dataPath ?? data.path, ctx.env, ctx.cwd);
    const corpus: PtbCorpus = loadPtb(dir, { verify: data.verify });
    const vocab = corpus.vocab.length;
    const cut = (t: Int32Array, n: number | undefined) => t.subarray(0, Math.min(t.length, n ?? t.length));
    const train = cut(corpus.train, data.limit);
    const evalSets = {
      valid: windowsOf(cut(corpus.valid, data.testLimit), data.evalBatchSize, data.window, 'valid', 'lower data.evalBatchSize or raise data.testLimit'),
      test: windowsOf(cut(corpus.test, data.testLimit), data.evalBatchSize, data.window, 'test', 'lower data.evalBatchSize or raise data.testLimit'),
    };
    const trainWindows = ctx.evalOnly ? [] : windowsOf(train, ctx.train.batchSize, data.window, 'train', 'lower train.batchSize or raise data.limit');
    return {
      summary:
        `Penn Treebank (${dir}): ${vocab} words; ${ctx.evalOnly ? '' : `${train.length} train tokens in ${ctx.train.batchSize} streams, `}` +
        `${tokenCount(evalSets.valid)} valid / ${tokenCount(evalSets.test)} test tokens predicted, windows of ${data.window}`,
      dataPath: dir,
      hasValidation: true,
      epochSize: tokenCount(trainWindows),
      checkModel(model, path) {
        const first = model.layers[0]!;
        if (first.type === 'embedding' && first.vocabSize !== vocab) {
          throw new ConfigError(`${path}.layers[0].vocabSize: expected ${vocab} (the vocabulary of ${dir}/ptb.train.txt), got ${first.vocabSize}`);
        }
        const [at, last] = lastLayer(model, path);
        const units = 'units' in last ? last.units : undefined;
        if (units !== vocab) throw new ConfigError(`${at}.units: expected ${vocab} (one output per word) for the last layer of ptb, got ${units ?? `a ${last.type} layer`}`);
      },
      async trainEpoch(model: Sequential, o) {
        model.setCarryState(true); // (re)starts every stream from zero state
        let lossSum = 0;
        let done = 0;
        for (const w of trainWindows) {
          if (o.signal.aborted) return { loss: lossSum / done, units: done, aborted: true };
          const loss = await model.trainOnBatchAsync(w);
          const tokens = w.steps * w.batch;
          lossSum += loss * tokens;
          done += tokens;
          o.onStep(done, loss);
        }
        return { loss: lossSum / done, units: done, aborted: false };
      },
      async evaluate(model: Sequential, split) {
        model.setCarryState(true);
        try {
          // One window per call, in order: evaluate() weighs each window's mean loss by its tokens.
          const r = await model.evaluate(windowDataset(evalSets[split]), { batchSize: 1 });
          return { perplexity: Math.exp(r.loss), loss: r.loss };
        } finally {
          model.resetState();
        }
      },
      samples: (split, count) => firstStreams(evalSets[split][0]!, count),
    };
  },
};
