// Fuzz-style hardening (issue 6): thousands of calls to every method of the native binding
// and every native encoder, each with at least one malformed argument (wrong type, wrong
// length, NaN or infinities, negative, zero or huge sizes, detached buffers, bad JSON). Each
// call must end in a JS Error (a thrown one, or a rejected Promise), and afterwards the same
// network still works and the process is alive.
import test from 'ava';
import { native } from '../ts/native.js';
import { seededRandom } from '../ts/random.js';

const SPEC = JSON.stringify({
  inputSize: 3,
  layers: [
    { type: 'snu', name: 'hidden', units: 4 },
    { type: 'dense', name: 'out', units: 2 },
  ],
  readout: 'sum',
  loss: { kind: 'softmaxCrossEntropy' },
  seed: 1,
});
const [STEPS, BATCH] = [5, 2];
const X = Float32Array.from({ length: STEPS * BATCH * 3 }, (_, i) => (i % 3 === 0 ? 1 : 0));
const Y = Float32Array.from([1, 0, 0, 1]);

function detached(): Float32Array {
  const f = new Float32Array(4);
  structuredClone(f.buffer, { transfer: [f.buffer] });
  return f;
}

/** Convolutions whose sizes wrapped 64-bit products, or whose im2col columns outgrow any memory. */
const WRAPPING_CONV_SPECS = [
  [784, [1, 28, 28], { kernelSize: [2 ** 32, 2 ** 32], dilation: [2 ** 32 + 1, 2 ** 32 + 1] }],
  [2 ** 20, [1, 1024, 1024], { kernelSize: [256, 256], stride: [2, 2], padding: [639, 639] }],
].map(([inputSize, inputShape, conv]) =>
  JSON.stringify({ inputSize, inputShape, layers: [{ type: 'conv2d', filters: 1, ...(conv as object) }, { type: 'flatten' }, { type: 'dense', units: 2 }], loss: { kind: 'mse' } }),
);
const nanArray = (n: number) => new Float32Array(n).fill(NaN);
const common = [undefined, null, {}, [], 'text', true, Symbol('s'), () => 0, 10n];
/** Values that are wrong for each kind of argument (none of them is acceptable there). */
const BAD: Record<string, () => unknown[]> = {
  x: () => [...common, 3, new Float32Array(7), new Float32Array(0), nanArray(X.length), Float64Array.from(X), Uint8Array.from(X), detached(), Float32Array.from(X, () => Infinity)],
  y: () => [...common, 1, new Float32Array(3), nanArray(4), Float32Array.from([2, -1, 0, 0]), detached(), Float64Array.from(Y)],
  batch: () => [...common, 3, { x: X }, { x: X, y: Y, steps: STEPS }, { x: Y, y: X, steps: STEPS, batch: BATCH }, { x: X, y: Y, steps: '5', batch: BATCH }],
  int: () => [...common, 0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 40, 1e300, '5'],
  mask: () => [{}, 'text', 3, true, new Float32Array(3), Float32Array.from({ length: STEPS * BATCH }, () => 2), nanArray(STEPS * BATCH), detached(), Float32Array.from({ length: STEPS * BATCH }, (_, i) => (i < BATCH ? 0 : 1))],
  flag: () => [{}, 'yes', 1, [], Symbol('s')],
  name: () => [undefined, null, {}, 42, '', 'nope', 'hidden.Q', Symbol('s')],
  lr: () => [...common, NaN, -1, Infinity, -Infinity, '0.1'],
  value: () => [...common, new Float32Array(3), nanArray(12), detached()],
  seconds: () => [...common, -1, NaN, Infinity, -Infinity, '10'],
  layer: () => [undefined, null, {}, 42, '', 'nope'],
  config: () => [42, {}, [], true, '{', '{"device":{"gMax":-1}}', '{"noSuchField":1}', '{"periphery":{"adcBits":0}}', 'null x'],
  seed: () => [...common, -1, 1.5, NaN, Infinity, 2 ** 60, '3'],
  range: () => [{}, 'big', 0, -1, NaN, Infinity],
  bins: () => [{}, 'x', 0, -3, 1.5, NaN, 2 ** 40],
  bytes: () => [...common, 3, new Uint8Array(0), new Uint8Array(64).fill(7), new Float32Array(4)],
  spec: () => [...common, 3, '', '{', '{}', '{"inputSize":0,"layers":[]}', '{"inputSize":3,"layers":[{"type":"snu","units":-4}]}', '{"inputSize":3,"layers":[{"type":"warp","units":4}]}', '{"inputSize":1e12,"layers":[{"type":"snu","units":4}]}', JSON.stringify({ inputSize: 3, layers: [{ type: 'snu', units: 4, decay: 7 }] }), ...WRAPPING_CONV_SPECS],
  float: () => [...common, NaN, Infinity, -Infinity, '0.5'],
  code: () => [...common, 'exponential', 7],
};

type Net = InstanceType<typeof native.Network>;
interface Method {
  name: string;
  /** Kinds of the arguments; `?` marks optional ones (undefined is then acceptable). */
  kinds: string[];
  valid: unknown[];
  call: (net: Net, args: unknown[]) => unknown;
}

const m = (name: string, kinds: string[], valid: unknown[]): Method => ({
  name,
  kinds,
  valid,
  call: (net, args) => (net as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args),
});
/** A method taking one batch object (with targets unless `inputsOnly`); its fields are the arguments corrupted. */
const batchMethod = (name: string, o: { inputsOnly?: boolean; withLayers?: boolean } = {}): Method => {
  const fields = o.inputsOnly ? ['x', 'steps', 'batch', 'mask'] : ['x', 'y', 'steps', 'batch', 'mask'];
  const kinds = fields.map((f) => ({ x: 'x', y: 'y', steps: 'int', batch: 'int', mask: 'mask?' })[f]!);
  const valid: unknown[] = fields.map((f) => ({ x: X, y: Y, steps: STEPS, batch: BATCH, mask: undefined })[f as 'x']);
  if (o.withLayers) {
    kinds.push('flag?');
    valid.push(false);
  }
  return {
    name,
    kinds,
    valid,
    call: (net, args) => {
      const batch = Object.fromEntries(fields.map((f, i) => [f, args[i]]));
      return (net as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(batch, ...args.slice(fields.length));
    },
  };
};
const METHODS: Method[] = [
  batchMethod('predict', { inputsOnly: true, withLayers: true }),
  batchMethod('predictAsync', { inputsOnly: true }),
  batchMethod('loss'),
  batchMethod('evaluate'),
  batchMethod('evaluateAsync'),
  batchMethod('gradients'),
  batchMethod('trainStep'),
  batchMethod('trainStepAsync'),
  // The batch itself as a bad value.
  { name: 'trainStep', kinds: ['batch'], valid: [{ x: X, y: Y, steps: STEPS, batch: BATCH }], call: (net, [b]) => net.trainStep(b as never) },
  { name: 'evaluateAsync', kinds: ['batch'], valid: [{ x: X, y: Y, steps: STEPS, batch: BATCH }], call: (net, [b]) => net.evaluateAsync(b as never) },
  m('paramShape', ['name'], ['hidden.W']),
  m('getParam', ['name'], ['hidden.W']),
  m('setParam', ['name', 'value'], ['out.b', new Float32Array(2)]),
  m('setLearningRate', ['lr'], [0.01]),
  m('setCarryState', ['flag'], [false]),
  m('setAnalog', ['layer', 'config', 'seed', 'range?'], ['out', '{}', 1, undefined]),
  m('setAnalogTime', ['seconds'], [1]),
  m('setDriftCompensation', ['flag'], [true]),
  m('analogStats', ['layer', 'bins?'], ['hidden', undefined]),
];

const E = native as unknown as Record<string, (...a: unknown[]) => unknown>;
const ENCODERS: { name: string; kinds: string[]; valid: unknown[] }[] = [
  { name: 'encodeRate', kinds: ['x', 'int', 'int', 'float', 'seed'], valid: [new Float32Array(6).fill(0.5), 2, 4, 2, 1] },
  { name: 'encodePoisson', kinds: ['x', 'int', 'int', 'float', 'float', 'seed'], valid: [new Float32Array(6).fill(0.5), 2, 4, 100, 0.001, 1] },
  { name: 'encodeLatency', kinds: ['x', 'int', 'int', 'code', 'float', 'float', 'flag?'], valid: [new Float32Array(6).fill(0.5), 2, 4, 'linear', 0.01, 5, false] },
  { name: 'encodeDirect', kinds: ['x', 'int', 'int'], valid: [new Float32Array(6).fill(0.5), 2, 4] },
  { name: 'encodeDelta', kinds: ['x', 'int', 'int', 'int', 'float', 'flag?', 'flag?'], valid: [new Float32Array(24).fill(0.5), 4, 2, 3, 0.1, false, false] },
];

/** Valid arguments with 1 or 2 of them replaced by bad values of their kind. */
function corrupt(kinds: string[], valid: unknown[], rand: () => number): { args: unknown[]; what: string } {
  const args = [...valid];
  const picks = new Set([Math.floor(rand() * kinds.length)]);
  if (rand() < 0.3) picks.add(Math.floor(rand() * kinds.length));
  const what: string[] = [];
  for (const i of picks) {
    const pool = BAD[kinds[i]!.replace('?', '')]!();
    const v = pool[Math.floor(rand() * pool.length)];
    args[i] = v;
    what.push(`arg ${i} (${kinds[i]}) = ${typeof v === 'symbol' ? 'Symbol' : ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as Float32Array).length})` : typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v)}`);
  }
  return { args, what: what.join(', ') };
}

/** Runs `call`, returning the error it threw or rejected with (or undefined if it did neither). */
async function errorOf(call: () => unknown): Promise<unknown> {
  try {
    const r = call();
    if (r instanceof Promise) await r;
  } catch (e) {
    return e;
  }
  return undefined;
}

test('thousands of malformed calls to the network methods each end in a JS error; the network still works', async (t) => {
  const rand = seededRandom(7);
  const net = new native.Network(SPEC);
  net.setAnalog('hidden', '{}', 1);
  let calls = 0;
  for (let i = 0; i < 3000; i++) {
    const method = METHODS[Math.floor(rand() * METHODS.length)]!;
    const { args, what } = corrupt(method.kinds, method.valid, rand);
    const err = await errorOf(() => method.call(net, args));
    if (!(err instanceof Error)) t.fail(`${method.name} with ${what}: expected a JS Error, got ${String(err)}`);
    calls++;
  }
  t.is(calls, 3000);
  // A shared buffer holding a valid input is not malformed: it is read, or refused with an error.
  const shared = new Float32Array(new SharedArrayBuffer(X.byteLength));
  shared.set(X);
  const sharedErr = await errorOf(() => net.predict({ x: shared, steps: STEPS, batch: BATCH }));
  t.true(sharedErr === undefined || sharedErr instanceof Error);
  // Still usable: a valid step and prediction, finite results.
  t.true(Number.isFinite(net.trainStep({ x: X, y: Y, steps: STEPS, batch: BATCH }).loss));
  t.true(net.predict({ x: X, steps: STEPS, batch: BATCH }).output.every(Number.isFinite));
});

test('malformed encoder calls, specs and checkpoints each end in a JS error', (t) => {
  const rand = seededRandom(8);
  for (let i = 0; i < 1500; i++) {
    const enc = ENCODERS[Math.floor(rand() * ENCODERS.length)]!;
    const { args, what } = corrupt(enc.kinds, enc.valid, rand);
    t.throws(() => E[enc.name]!(...args), { instanceOf: Error }, `${enc.name} with ${what}`);
  }
  for (const spec of BAD.spec!()) t.throws(() => new native.Network(spec as string), { instanceOf: Error });
  const good = new native.Network(SPEC).save();
  for (let i = 0; i < 300; i++) {
    // Truncated, bit-flipped and random files.
    const bytes = Uint8Array.from(good);
    const kind = i % 3;
    const cut = kind === 0 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
    if (kind === 1) bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
    const input = kind === 2 ? Uint8Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)) : cut;
    t.throws(() => native.Network.load(input), { instanceOf: Error });
  }
  for (const b of BAD.bytes!()) t.throws(() => native.Network.load(b as Uint8Array), { instanceOf: Error });
});
