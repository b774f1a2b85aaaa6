// JSB chorales: next-frame prediction of 88-key piano rolls (the `sequence` readout, padded
// batches with masks). The metric is the frame NLL of docs/design.md §2: binary cross-entropy summed over
// the 88 keys, averaged over the real frames, which is exactly the engine's `binaryCrossEntropy`
// loss averaged over the masked rows (`Sequential.evaluate` weighs each batch by its real frames).
import { jsbDataset, loadJsb, PIANO_KEYS, type Chorale } from '../datasets/jsb.js';
import { findData } from './paths.js';
import { expectModel, expectNoEmbedding, firstSamples, fitEpoch, type LoadContext, type LoadedTask, type Task } from './task.js';
import { boolean, integer, object, optional, string } from './validate.js';

/** The `data` section of the jsb task. */
export interface JsbData {
  /** Crop training chorales to their first `maxSteps` predictions (evaluation always uses whole chorales). */
  maxSteps?: number;
  /** Train on the first `limit` chorales only. */
  limit?: number;
  /** Measure on the first `testLimit` chorales of valid and test only. */
  testLimit?: number;
  /** Chorales per evaluation batch (the result does not depend on it). */
  evalBatchSize: number;
  /** The JSON file (or its folder). */
  path?: string;
  verify: boolean;
}

const RELATIVE = 'jsb/jsb-chorales-quarter.json';
const HOW_TO_GET = 'the file is jsb-chorales-quarter.json from https://github.com/czhuang/JSB-Chorales-dataset';

function validateData(raw: unknown, path: string): JsbData {
  const o = object(path, raw, ['maxSteps', 'limit', 'testLimit', 'evalBatchSize', 'path', 'verify']);
  const data: JsbData = {
    evalBatchSize: optional(o.evalBatchSize, (v) => integer(`${path}.evalBatchSize`, v, 1), 64),
    verify: optional(o.verify, (v) => boolean(`${path}.verify`, v), true),
  };
  const maxSteps = optional(o.maxSteps, (v) => integer(`${path}.maxSteps`, v, 1));
  const limit = optional(o.limit, (v) => integer(`${path}.limit`, v, 1));
  const testLimit = optional(o.testLimit, (v) => integer(`${path}.testLimit`, v, 1));
  const file = optional(o.path, (v) => string(`${path}.path`, v));
  if (maxSteps !== undefined) data.maxSteps = maxSteps;
  if (limit !== undefined) data.limit = limit;
  if (testLimit !== undefined) data.testLimit = testLimit;
  if (file !== undefined) data.path = file;
  return data;
}

/** The default place of the JSB file: `$SNU_DATA_DIR/jsb/…`, else `../shared/data/jsb/…` from `cwd`. */
export function jsbPath(given: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  return findData({ given, relative: RELATIVE, what: 'JSB chorales', env, cwd, howToGet: HOW_TO_GET });
}

/** The JSB chorales task. */
export const jsbTask: Task<JsbData> = {
  name: 'jsb',
  title: 'JSB chorales',
  metric: 'nll',
  higherIsBetter: false,
  unit: 'samples',
  defaultConfig: 'jsb-snu',
  inputSize: PIANO_KEYS,
  validateData,
  checkModel(model, path) {
    expectNoEmbedding(model, path, 'jsb', '88-key piano-roll frames');
    expectModel(model, path, 'jsb', {
      loss: ['binaryCrossEntropy'],
      readouts: ['sequence'],
      outputs: { units: PIANO_KEYS, why: 'one probability per piano key' },
    });
  },
  load(data: JsbData, ctx: LoadContext): LoadedTask {
    const file = jsbPath(ctx.dataPath ?? data.path, ctx.env, ctx.cwd);
    const splits = loadJsb(file, { verify: data.verify });
    const cut = (list: Chorale[], n: number | undefined) => list.slice(0, n ?? list.length);
    const train = cut(splits.train, data.limit);
    const valid = cut(splits.valid, data.testLimit);
    const test = cut(splits.test, data.testLimit);
    const trainSet = jsbDataset(train, data.maxSteps === undefined ? {} : { maxSteps: data.maxSteps });
    const sets = { valid: jsbDataset(valid), test: jsbDataset(test) };
    const frames = (list: Chorale[]) => list.reduce((n, c) => n + c.steps - 1, 0);
    return {
      summary: `JSB chorales (${file}): ${train.length} train / ${valid.length} valid / ${test.length} test chorales, ${frames(test)} test frames to predict`,
      dataPath: file,
      hasValidation: true,
      epochSize: train.length,
      checkModel() {},
      trainEpoch: (model, o) => fitEpoch(model, trainSet, o),
      async evaluate(model, split) {
        const r = await model.evaluate(sets[split], { batchSize: data.evalBatchSize });
        return { nll: r.loss };
      },
      samples: (split, count) => firstSamples(sets[split], count, 0),
    };
  },
};
