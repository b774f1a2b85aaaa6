// Child process of properties.test.ts: fast-check drives the public TypeScript API with generated
// arguments (layer configs, options, shapes, typed arrays of every kind and length, NaN, infinities,
// huge and negative numbers, wrong types, unknown keys). The property of every call: it returns a
// finite result, or throws (or rejects with) an Error whose message starts by naming an argument
// of that call. Run apart from the test runner so that a crash or an abort shows as this process
// dying; before each call it writes the call's description to the file named by argv[3], so the
// parent can say which call killed it.
//
//   node --import=tsx __test__/children/api-properties.mts <runs per property> <last-call file>
//   (SNU_PROPERTIES_SEED=<seed> repeats the run of that seed; SNU_PROPERTIES_SAMPLES=1 adds an error sample per function)
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  adam,
  cosineDecay,
  deltaEncode,
  dense,
  directEncoder,
  embedding,
  encodedDataset,
  exponentialDecay,
  latencyEncoder,
  oneHot,
  poissonEncoder,
  quantizeWeights,
  rateEncoder,
  Sequential,
  sequenceDataset,
  sequential,
  sgd,
  snu,
} from '../../ts/index.js';

const runs = Number(process.argv[2] ?? 200);
const lastCallFile = process.argv[3];
// A new seed each run (more of the space over time); SNU_PROPERTIES_SEED repeats a run.
const seed = Number(process.env.SNU_PROPERTIES_SEED ?? Math.floor(Math.random() * 2 ** 31));
fc.configureGlobal({ seed });

type Outcome = 'finite result' | 'clear error' | 'unclear error' | 'non-finite result';
const outcomes: Record<Outcome, number> = { 'finite result': 0, 'clear error': 0, 'unclear error': 0, 'non-finite result': 0 };
const failures: string[] = [];
/** Per function called (the first word of a call's description): results and errors. */
const byFunction: Record<string, { results: number; errors: number; sample?: string }> = {};

/** A generated value as it reads in a report. */
function show(v: unknown, depth = 0): string {
  if (typeof v === 'symbol') return 'Symbol()';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number>;
    return `${v.constructor.name}(${a.length})${a.length <= 6 ? `[${Array.from(a, (x) => show(x)).join(', ')}]` : ''}`;
  }
  if (Array.isArray(v)) return depth > 2 ? '[…]' : `[${v.slice(0, 6).map((x) => show(x, depth + 1)).join(', ')}${v.length > 6 ? ', …' : ''}]`;
  if (v && typeof v === 'object') {
    if (depth > 2) return '{…}';
    return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${show(x, depth + 1)}`).join(', ')} }`;
  }
  return JSON.stringify(v) ?? String(v);
}

/** Whether every number reachable in a result is finite. */
function finite(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v instanceof Float32Array || v instanceof Float64Array) return v.every(Number.isFinite);
  if (ArrayBuffer.isView(v) || v === null || v === undefined || typeof v !== 'object' || depth > 4) return true;
  if (v instanceof Sequential) return true;
  return Object.values(v).every((x) => finite(x, depth + 1));
}

/**
 * Runs one call and records its outcome. `names`: what the call's arguments are called in its
 * messages (the function, its options, their fields); a clear error starts with one of them.
 * A call that breaks the property is recorded (the run goes on, so that one run reports all).
 */
let lastError = '';
async function judge(what: string, names: readonly string[], call: () => unknown): Promise<void> {
  if (lastCallFile) writeFileSync(lastCallFile, what);
  let outcome: Outcome;
  let detail = '';
  try {
    let r = call();
    if (r instanceof Promise) r = await r;
    outcome = finite(r) ? 'finite result' : 'non-finite result';
    if (outcome !== 'finite result') detail = `returned ${show(r)}`;
  } catch (e) {
    const message = e instanceof Error ? e.message : '';
    const named = e instanceof Error && names.some((n) => [':', '.', '[', ' ', '('].some((after) => message.startsWith(`${n}${after}`)));
    outcome = named ? 'clear error' : 'unclear error';
    if (!named) detail = `threw ${e instanceof Error ? `${e.name}: ${message}` : show(e)}`;
    lastError = message;
  }
  outcomes[outcome]++;
  const fn = (byFunction[/^[\w.]+/.exec(what)?.[0] ?? what] ??= { results: 0, errors: 0 });
  if (outcome === 'finite result') fn.results++;
  else fn.errors++;
  if (outcome !== 'finite result' && process.env.SNU_PROPERTIES_SAMPLES) fn.sample = `${what.slice(0, 160)} => ${lastError.slice(0, 160)}`;
  if (outcome === 'unclear error' || outcome === 'non-finite result') {
    if (failures.length < 20) failures.push(`${what}: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generated values: each argument is valid most of the time and, some of the time, one of its
// parts is replaced by anything, an unknown key is added, or a required key is dropped, so that
// both the happy path and every check are reached.

const SPECIAL = [undefined, null, Number.NaN, Infinity, -Infinity, -1, 0, -0, 0.5, 1, 2, 1e12, 2 ** 31, 2 ** 53, 1e308, Number.MIN_VALUE, '', '3', 'relu', true, false, [], {}, [1, 2], { kind: 'x' }, 10n, Symbol('s'), () => 1];
/** Any value: specials, numbers, strings, small arrays and objects, typed arrays. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.double(),
  fc.integer({ min: -10, max: 100 }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer({ min: -3, max: 5 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom(new Float64Array(3), new Int8Array(2), new Uint8Array(0), new Float32Array(0)),
);
const UNKNOWN_KEYS = ['unitz', 'decya', 'lR', 'foo', 'constructor', '__proto__'];

/** `valid` as generated, or with one change: a value replaced by anything, an unknown key, a key dropped, or the whole value replaced. */
function mutated<T extends Record<string, unknown>>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.constantFrom('none', 'none', 'none', 'replace', 'replace', 'unknown', 'drop', 'whole'), fc.nat(), anything, fc.constantFrom(...UNKNOWN_KEYS)).map(([v, how, i, other, unknownKey]) => {
    const keys = Object.keys(v);
    const o: Record<string, unknown> = { ...v };
    if (how === 'replace' && keys.length) o[keys[i % keys.length]!] = other;
    else if (how === 'unknown') Object.defineProperty(o, unknownKey, { value: 1, enumerable: true, configurable: true, writable: true });
    else if (how === 'drop' && keys.length) delete o[keys[i % keys.length]!];
    else if (how === 'whole') return other;
    return o;
  });
}
/** A value from `valid` most of the time, else anything. */
const mostly = <T,>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: anything });

const unit = fc.double({ min: 0, max: 0.95, noNaN: true });
const SURROGATE_NAMES = ['tanh', 'fastSigmoid', 'rectangular', 'sigmoid'] as const;
const snuConfig = fc.record(
  {
    units: fc.integer({ min: 1, max: 12 }),
    output: fc.constantFrom('step', 'sigmoid'),
    g: fc.constantFrom('relu', 'identity', 'leakyRelu', { kind: 'leakyRelu', alpha: 0.2 }),
    recurrent: fc.boolean(),
    decay: unit,
    trainableDecay: fc.boolean(),
    surrogate: fc.oneof(fc.constantFrom(...SURROGATE_NAMES), fc.record({ kind: fc.constantFrom('fastSigmoid', 'sigmoid'), slope: fc.double({ min: 0.1, max: 50, noNaN: true }) })),
    detachReset: fc.boolean(),
    lateralInhibition: fc.boolean(),
    initialBias: fc.double({ min: -2, max: 1, noNaN: true }),
    dropout: unit,
    name: fc.constantFrom('hidden', 'a', 'snu_x'),
  },
  { requiredKeys: ['units'] },
);
const denseConfig = fc.record(
  { units: fc.integer({ min: 1, max: 12 }), activation: fc.constantFrom('none', 'relu', 'sigmoid', 'tanh'), useBias: fc.boolean(), dropout: unit, name: fc.constantFrom('out', 'd') },
  { requiredKeys: ['units'] },
);
const embeddingConfig = fc.record({ vocabSize: fc.integer({ min: 1, max: 20 }), units: fc.integer({ min: 1, max: 8 }), initRange: fc.double({ min: 0.01, max: 2, noNaN: true }), name: fc.constant('words') }, { requiredKeys: ['vocabSize', 'units'] });

/** A typed array (of any kind, Float32Array most often) of `length` values, now and then not all finite or in [0, 1]. */
const arrayOf = (length: number): fc.Arbitrary<unknown> =>
  fc
    .tuple(
      fc.constantFrom('Float32Array', 'Float32Array', 'Float32Array', 'Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'Array'),
      fc.array(fc.oneof({ weight: 30, arbitrary: fc.constantFrom(0, 1) }, { weight: 10, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -1, 2, 1e30) }), { minLength: length, maxLength: length }),
    )
    .map(([kind, values]) => (kind === 'Array' ? values : (globalThis[kind as 'Float32Array'] as unknown as { from(v: number[]): unknown }).from(values)));
/** `n` most of the time, else a nearby or degenerate length. */
const lengthNear = (n: number) => fc.oneof({ weight: 6, arbitrary: fc.constant(n) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, Math.max(0, n - 1), n + 1, 2 * n) });
/** A one-hot target array `[rows, classes]` of `length` values. */
const targets = (rows: number, classes: number, length: number) =>
  fc.array(fc.nat(classes - 1), { minLength: rows, maxLength: rows }).map((labels) => {
    const y = new Float32Array(length);
    labels.forEach((c, r) => {
      if (r * classes + c < length) y[r * classes + c] = 1;
    });
    return y;
  });

// The model the method properties use: 4 inputs, 3 classes.
const small = () => sequential([snu({ units: 6 }), dense({ units: 3 })], { inputSize: 4 }).compile({ loss: 'softmaxCrossEntropy', seed: 1 });
const fcRun = { numRuns: runs, endOnFailure: true };
const asyncRun = { numRuns: Math.max(20, Math.floor(runs / 4)), endOnFailure: true };

// ---------------------------------------------------------------------------------------------
// The properties.

// Layer builders.
await fc.assert(
  fc.asyncProperty(fc.oneof(fc.tuple(fc.constant('snu'), mutated(snuConfig)), fc.tuple(fc.constant('dense'), mutated(denseConfig)), fc.tuple(fc.constant('embedding'), mutated(embeddingConfig))), async ([type, config]) => {
    const build = { snu, dense, embedding }[type] as (c: unknown) => unknown;
    await judge(`${type}(${show(config)})`, [type], () => build(config));
  }),
  fcRun,
);

// sequential(...).compile(...) with generated stacks and options.
const compileOptions = fc.record(
  {
    loss: fc.constantFrom('softmaxCrossEntropy', 'mse', 'binaryCrossEntropy', { kind: 'binaryCrossEntropy', fromLogits: true }),
    optimizer: fc.oneof(fc.constant(adam({ lr: 0.01 })), fc.constant(sgd({ lr: 0.1, momentum: 0.9 })), fc.record({ kind: fc.constant('adam'), lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }) })),
    readout: fc.constantFrom('sum', 'mean', 'last', 'sequence'),
    clipNorm: fc.double({ min: 0.1, max: 10, noNaN: true }),
    tbptt: fc.integer({ min: 1, max: 5 }),
    seed: fc.nat(1000),
  },
  { requiredKeys: ['loss'] },
);
await fc.assert(
  fc.asyncProperty(fc.array(mutated(snuConfig), { minLength: 1, maxLength: 3 }), mostly(fc.integer({ min: 1, max: 6 })), mutated(compileOptions), async (layers, inputSize, options) => {
    await judge(`sequential(${show(layers)}, { inputSize: ${show(inputSize)} }).compile(${show(options)})`, ['snu', 'layers', 'inputSize', 'compile', 'loss', 'readout', 'clipNorm', 'tbptt', 'seed', 'optimizer'], () =>
      sequential(layers.map((l) => snu(l as never)), { inputSize: inputSize as number }).compile(options as never),
    );
  }),
  fcRun,
);

// Optimizer and schedule builders.
const optimizerOptions = {
  sgd: fc.record({ lr: fc.double({ min: 1e-4, max: 1, noNaN: true }), momentum: unit, nesterov: fc.boolean(), weightDecay: unit }, { requiredKeys: ['lr'] }),
  adam: fc.record({ lr: fc.double({ min: 1e-5, max: 0.1, noNaN: true }), beta1: unit, beta2: unit, eps: fc.double({ min: 1e-10, max: 1e-3, noNaN: true }), weightDecay: unit }, { requiredKeys: [] }),
  exponentialDecay: fc.record({ lr: fc.double({ min: 1e-4, max: 1, noNaN: true }), decay: fc.double({ min: 0.5, max: 1, noNaN: true }) }),
  cosineDecay: fc.record({ lr: fc.double({ min: 1e-4, max: 1, noNaN: true }), epochs: fc.integer({ min: 1, max: 50 }) }),
};
await fc.assert(
  fc.asyncProperty(fc.constantFrom('sgd', 'adam', 'exponentialDecay', 'cosineDecay'), fc.nat(), async (kind, i) => {
    const o = fc.sample(mutated(optimizerOptions[kind] as fc.Arbitrary<Record<string, unknown>>), { numRuns: 1, seed: i })[0];
    const f = { sgd, adam, exponentialDecay, cosineDecay }[kind] as (o: unknown) => unknown;
    await judge(`${kind}(${show(o)})`, [kind], () => {
      const r = f(o);
      return typeof r === 'function' ? [0, 1, 2].map(r as (e: number) => number) : r;
    });
  }),
  fcRun,
);

// Every method that takes a batch, on the small model.
const batchArb = fc.record({ steps: fc.integer({ min: 1, max: 6 }), batch: fc.integer({ min: 1, max: 5 }), masked: fc.boolean() }).chain(({ steps, batch, masked }) =>
  fc.record({
    steps: mostly(fc.constant(steps)),
    batch: mostly(fc.constant(batch)),
    x: lengthNear(steps * batch * 4).chain(arrayOf),
    y: fc.oneof({ weight: 8, arbitrary: lengthNear(batch * 3).chain((n) => targets(batch, 3, n)) }, { weight: 1, arbitrary: anything }),
    // A mask of real steps then padding for each sample (1 then 0), or anything.
    mask: masked
      ? fc.oneof(
          { weight: 5, arbitrary: fc.array(fc.integer({ min: 1, max: steps }), { minLength: batch, maxLength: batch }).map((lengths) => Float32Array.from({ length: steps * batch }, (_, i) => (Math.floor(i / batch) < lengths[i % batch]! ? 1 : 0))) },
          { weight: 1, arbitrary: lengthNear(steps * batch).chain(arrayOf) },
        )
      : fc.constant(undefined),
  }),
);
const methods = ['predict', 'predictWithLayers', 'predictAsync', 'loss', 'gradients', 'trainOnBatch', 'trainOnBatchAsync'] as const;
await fc.assert(
  fc.asyncProperty(fc.constantFrom(...methods), batchArb, async (method, batch) => {
    const model = small();
    await judge(`${method}(${show(batch)})`, [method], () => {
      if (method.startsWith('predict')) return (model[method] as (x: unknown, s: unknown) => unknown)(batch.x, batch);
      return (model[method] as (b: unknown) => unknown)(batch);
    });
  }),
  fcRun,
);

// fit and evaluate: generated datasets and options.
const fitOptions = fc.record(
  {
    epochs: fc.integer({ min: 0, max: 2 }),
    initialEpoch: fc.integer({ min: 0, max: 1 }),
    batchSize: fc.integer({ min: 1, max: 5 }),
    shuffle: fc.boolean(),
    seed: fc.nat(100),
    lrSchedule: fc.constantFrom(cosineDecay({ lr: 0.01, epochs: 2 }), exponentialDecay({ lr: 0.01, decay: 0.5 }), () => Number.NaN),
    onBatchEnd: fc.constant(() => {}),
  },
  { requiredKeys: ['epochs', 'batchSize'] },
);
await fc.assert(
  fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.constantFrom('rate', 'direct', 'sequence'), mostly(fc.constant(4)), mutated(fitOptions), mutated(fc.record({ batchSize: fc.integer({ min: 1, max: 4 }), seed: fc.nat(9) }, { requiredKeys: [] })), async (n, kind, features, options, evalOptions) => {
    const model = small();
    await judge(`fit/evaluate on a ${kind} dataset of ${n} (features ${show(features)}) with ${show(options)} / ${show(evalOptions)}`, ['fit', 'evaluate', 'epochs', 'initialEpoch', 'batchSize', 'shuffle', 'seed', 'lrSchedule', 'onBatchEnd', 'features', 'x', 'y'], async () => {
      const x = new Float32Array(n * 4).fill(0.5);
      const y = oneHot(Array.from({ length: n }, (_, i) => i % 3), 3);
      const data =
        kind === 'sequence'
          ? sequenceDataset({ x, y, steps: 1, features: features as number })
          : encodedDataset({ x, y, features: features as number, encoder: kind === 'rate' ? rateEncoder({ steps: 3 }) : directEncoder({ steps: 2 }) });
      // A generated epoch count may be huge (2^31 is a valid request): a signal ends such a run.
      const o = typeof options === 'object' && options !== null && !('signal' in options) ? { ...options, signal: AbortSignal.timeout(300) } : options;
      const h = await model.fit(data, o as never);
      return { losses: h.epochs.map((e) => [e.loss, e.lr]), evaluation: await model.evaluate(data, evalOptions as never) };
    });
  }),
  asyncRun,
);

// Encoders: generated options, inputs and seeds.
const encoderOptions = {
  rateEncoder: fc.record({ steps: fc.integer({ min: 1, max: 8 }), maxSpikes: fc.double({ min: 0, max: 8, noNaN: true }) }, { requiredKeys: ['steps'] }),
  poissonEncoder: fc.record({ steps: fc.integer({ min: 1, max: 8 }), maxRate: fc.double({ min: 0, max: 500, noNaN: true }), dt: fc.double({ min: 1e-4, max: 0.01, noNaN: true }) }, { requiredKeys: ['steps'] }),
  latencyEncoder: fc.record({ steps: fc.integer({ min: 1, max: 8 }), code: fc.constantFrom('linear', 'log'), threshold: fc.double({ min: 0.01, max: 0.9, noNaN: true }), tau: fc.double({ min: 0.1, max: 10, noNaN: true }), normalize: fc.boolean() }, { requiredKeys: ['steps'] }),
  directEncoder: fc.record({ steps: fc.integer({ min: 1, max: 8 }) }),
  deltaEncode: fc.record({ steps: fc.constant(2), batch: fc.constant(1), features: fc.integer({ min: 1, max: 3 }), threshold: fc.double({ min: 0.01, max: 1, noNaN: true }), onOff: fc.boolean(), skipFirst: fc.boolean() }, { requiredKeys: ['steps', 'batch', 'features'] }),
};
await fc.assert(
  fc.asyncProperty(fc.constantFrom('rateEncoder', 'poissonEncoder', 'latencyEncoder', 'directEncoder', 'deltaEncode'), fc.nat(), fc.integer({ min: 1, max: 3 }).chain((b) => fc.tuple(fc.constant(b), lengthNear(b * 3).chain(arrayOf))), mostly(fc.nat(2 ** 32 - 1)), async (kind, i, [batch, x], seed) => {
    const o = fc.sample(mutated(encoderOptions[kind] as fc.Arbitrary<Record<string, unknown>>), { numRuns: 1, seed: i })[0] as Record<string, unknown>;
    await judge(`${kind}(${show(o)}) on ${show(x)} (batch ${batch}) seed ${show(seed)}`, [kind, 'steps', 'maxSpikes', 'maxRate', 'dt', 'code', 'threshold', 'tau', 'normalize', 'x', 'batch', 'seed', 'features', 'onOff', 'skipFirst'], () => {
      if (kind === 'deltaEncode') return deltaEncode(x as Float32Array, o as never);
      const enc = { rateEncoder, poissonEncoder, latencyEncoder, directEncoder }[kind](o as never);
      return [enc.encode(x as Float32Array, batch, seed as number), enc.withSteps?.(3).encode(x as Float32Array, batch, 1)];
    });
  }),
  fcRun,
);

// Small functions of the data and the weights.
await fc.assert(
  fc.asyncProperty(
    fc.constantFrom('oneHot', 'quantizeWeights', 'setWeights', 'setLearningRate', 'setCarryState'),
    fc.array(mostly(fc.integer({ min: 0, max: 5 })), { maxLength: 6 }),
    mostly(fc.integer({ min: 1, max: 8 })),
    mutated(fc.record({ smoothing: unit }, { requiredKeys: [] })),
    async (fn, values, n, o) => {
      const model = small();
      // A Float32Array holds numbers only: other generated values become NaN in it.
      const floats = () => Float32Array.from(values, (v) => (typeof v === 'number' ? v : Number.NaN));
      await judge(`${fn}(${show(values)}, ${show(n)}, ${show(o)})`, [fn, 'labels', 'classes', 'smoothing', 'weights', 'bits', 'on', 'lr'], () => {
        if (fn === 'oneHot') return oneHot(values as number[], n as number, o as never);
        if (fn === 'quantizeWeights') return quantizeWeights({ 'snu_0.W': floats(), 'snu_0.b': new Float32Array(2) }, n as number);
        if (fn === 'setWeights') return model.setWeights({ 'snu_0.b': floats() });
        if (fn === 'setLearningRate') return model.setLearningRate(typeof n === 'number' ? n / 100 : (n as number));
        return model.setCarryState(values.length % 2 === 0);
      });
    },
  ),
  fcRun,
);

// The crossbars.
await fc.assert(
  fc.asyncProperty(
    fc.constantFrom('program', 'setTime', 'stats'),
    mostly(fc.constantFrom('all', 'snu_0', 'dense_1', 'nope', ['snu_0'], [])),
    mutated(fc.record({ seed: fc.nat(100), weightRange: fc.double({ min: 0.1, max: 5, noNaN: true }), config: fc.constantFrom({ device: { gMax: 10 } }, {}, { periphery: { adcBits: 4 } }) }, { requiredKeys: [] })),
    mostly(fc.oneof(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.integer({ min: 1, max: 100 }))),
    async (fn, layers, options, n) => {
      const model = small();
      model.analog.program('all', { seed: 1 });
      await judge(`analog.${fn}(${show(layers)}, ${show(options)}, ${show(n)})`, [`analog.${fn}`, 'program', 'layers', 'config', 'seed', 'weightRange', 'seconds', 'stats', 'bins', 'layer', 'pcm'], () => {
        if (fn === 'program') return model.analog.program(layers as never, options as never);
        if (fn === 'setTime') return [model.analog.setTime(n as number), model.predict(new Float32Array(8).fill(1), { steps: 1, batch: 2 })];
        return model.analog.stats(layers as string, n as number);
      });
    },
  ),
  asyncRun,
);

// Checkpoint bytes: random bytes, and a real checkpoint truncated, bit-flipped, extended, or
// edited and re-sealed with a valid checksum.
function fnv1a(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}
function reseal(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 8) new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(bytes.length - 8, fnv1a(bytes.subarray(0, bytes.length - 8)), true);
  return bytes;
}
const good = small().toBytes();
await fc.assert(
  fc.asyncProperty(
    fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.tuple(fc.nat(good.length - 1), fc.nat(7), fc.boolean()).map(([at, bit, sealed]) => {
        const b = Uint8Array.from(good, (v, i) => (i === at ? v ^ (1 << bit) : v));
        return sealed ? reseal(b) : b;
      }),
      fc.tuple(fc.nat(good.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, bytes]) => {
        const b = Uint8Array.from(good);
        b.set(bytes.subarray(0, Math.min(bytes.length, b.length - 8 - at)), Math.min(at, b.length - 9));
        return reseal(b);
      }),
      fc.nat(good.length).map((n) => good.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => Uint8Array.from([...good, ...tail])),
    ),
    async (bytes) => {
      await judge(`Sequential.fromBytes(${bytes.length} bytes)`, ['Sequential.fromBytes'], () => {
        const m = Sequential.fromBytes(bytes);
        return m.predict(new Float32Array(8).fill(1), { steps: 1, batch: 2 });
      });
    },
  ),
  fcRun,
);

const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ seed, total, outcomes, byFunction, failures }));
