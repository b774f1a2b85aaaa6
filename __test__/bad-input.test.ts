// Bad input through the public API, as an adversary tried it (issue 18): every call must throw
// (or reject) a clear Error whose message names the argument; the count of calls and their
// outcomes is printed. None may pass silently or crash the process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { adam, dense, oneHot, quantizeWeights, sequenceDataset, sequential, snu } from '../ts/index.js';
import type { Dataset, LayerSpec } from '../ts/index.js';
import { randomBatch } from './helpers.js';

const model = () => sequential([snu({ units: 4 }), dense({ units: 2 })], { inputSize: 3 }).compile({ loss: 'softmaxCrossEntropy', seed: 1 });
const data = sequenceDataset({ x: new Float32Array(4 * 5 * 3).fill(1), y: oneHot([0, 1, 1, 0], 2), steps: 5, features: 3 });
const fitOptions = { epochs: 1, batchSize: 2 };
const withSize = (size: unknown): Dataset => ({ size, batch: data.batch.bind(data) }) as unknown as Dataset;
const b = randomBatch(1, 5, 2, 3, 2);

/** [what was tried, the call, the message it must give]. */
const CASES: [string, () => unknown, RegExp][] = [
  ['misspelt snu option', () => snu({ units: 8, decya: 0.5 } as never), /^snu: unknown option 'decya' \(did you mean 'decay'\?\)/],
  ['misspelt dense option', () => dense({ units: 8, activaton: 'relu' } as never), /^dense: unknown option 'activaton' \(did you mean 'activation'\?\)/],
  ['detachReset: null', () => snu({ units: 8, detachReset: null } as never), /^snu\.detachReset: expected a boolean, got null/],
  ['unknown g option', () => snu({ units: 8, g: { kind: 'leakyRelu', alpah: 0.1 } } as never), /^snu\.g: unknown option 'alpah' \(did you mean 'alpha'\?\)/],
  ['layer name with a dot', () => snu({ units: 8, name: 'a.b' }), /^snu\.name: expected a non-empty name without '\.'/],
  ['units above the engine limit', () => snu({ units: 2 ** 21 }), /^snu\.units: expected an integer from 1 to 1048576/],
  ['unknown adam option', () => adam({ lr: 1e-3, betas: 0.9 } as never), /^adam: unknown option 'betas' \(did you mean 'beta1'\?\)/],
  ['NaN lr', () => adam({ lr: Number.NaN }), /^adam\.lr: expected a finite number, got number NaN/],
  ['eps 0', () => model().compile({ loss: 'mse', optimizer: adam({ eps: 0 }) }), /optimizer\.eps: expected a number in \(0, 1\], got 0/],
  ['lr given to compile', () => model().compile({ loss: 'mse', lr: 1 } as never), /^compile: unknown option 'lr'/],
  ['compile() without options', () => model().compile(undefined as never), /^compile: expected an options object, got undefined/],
  ['compile({}) without a loss', () => model().compile({} as never), /^compile: expected options with a loss/],
  ['unknown loss option', () => model().compile({ loss: { kind: 'mse', foo: 1 } as never }), /^loss: unknown option 'foo'/],
  ['clipNorm NaN', () => model().compile({ loss: 'mse', clipNorm: Number.NaN }), /^clipNorm: expected a number > 0, got number NaN/],
  ['clipNorm 0', () => model().compile({ loss: 'mse', clipNorm: 0 }), /^clipNorm: expected a number > 0, got 0/],
  ['optimizer of an unknown kind', () => model().compile({ loss: 'mse', optimizer: { kind: 'adagrad' } as never }), /^optimizer\.kind: expected one of/],
  ['fit with a misspelt option', () => model().fit(data, { ...fitOptions, validationSplt: 0.1 } as never), /^fit: unknown option 'validationSplt' \(did you mean 'validationSplit'\?\); options: epochs, .*validationData/],
  ['validationSplit holding out nothing', () => model().fit(data, { ...fitOptions, validationSplit: 0.1 }), /^validationSplit: 0\.1 of 4 samples holds out 0; expected at least 1 and fewer than all$/],
  ['fit(data) without options', () => model().fit(data, undefined as never), /^fit: options: expected an options object, got undefined/],
  ['fit(null)', () => model().fit(null as never, fitOptions), /^fit: data: expected a dataset \{ size, batch\(indices, seed\) \}, got null/],
  ['dataset size 0', () => model().fit(withSize(0), fitOptions), /^fit: data\.size: expected an integer from 1/],
  ['dataset size NaN', () => model().fit(withSize(Number.NaN), fitOptions), /^fit: data\.size: expected an integer[^,]*, got number NaN/],
  ["dataset size '40'", () => model().fit(withSize('40'), fitOptions), /^fit: data\.size: expected an integer[^,]*, got the string '40'/],
  ['dataset size -5', () => model().fit(withSize(-5), fitOptions), /^fit: data\.size: expected an integer from 1/],
  ['dataset size 1e12', () => model().fit(withSize(1e12), fitOptions), /^fit: data\.size: expected an integer from 1 to 2147483647, got 1000000000000/],
  ['dataset {}', () => model().fit({} as never, fitOptions), /^fit: data\.size: expected an integer[^,]*, got undefined/],
  ['evaluate on an empty dataset', () => model().evaluate(withSize(0)), /^evaluate: data\.size: expected an integer from 1/],
  ['batch() with more rows than asked', () => model().fit({ size: 4, batch: () => data.batch([0, 1, 2, 3], 0) }, fitOptions), /^fit: data\.batch\(\): asked for 2 samples, the dataset returned a batch of 4/],
  ['signal: 42', () => model().fit(data, { ...fitOptions, signal: 42 } as never), /^signal: expected an AbortSignal, got number 42/],
  ["onBatchEnd: 'x'", () => model().fit(data, { ...fitOptions, onBatchEnd: 'x' } as never), /^onBatchEnd: expected a function, got the string 'x'/],
  ['shuffle: 1', () => model().fit(data, { ...fitOptions, shuffle: 1 } as never), /^shuffle: expected a boolean, got number 1/],
  ['predict(x) without the shape', () => model().predict(b.x, undefined as never), /^predict: expected the shape \{ steps, batch, mask\? \}/],
  ['trainOnBatch(null)', () => model().trainOnBatch(null as never), /^trainOnBatch: expected a batch/],
  ['trainOnBatch without y', () => model().trainOnBatch({ ...b, y: undefined } as never), /^trainOnBatch: y: expected a Float32Array, got undefined/],
  ['setWeights(null)', () => model().setWeights(null as never), /^setWeights: expected a record of parameter name to Float32Array/],
  ['oneHot(null)', () => oneHot(null as never, 3), /^labels: expected an array or typed array of class ids, got null/],
  ['quantizeWeights(null)', () => quantizeWeights(null as never, 4), /^weights: expected a record/],
  ['quantizeWeights with a NaN weight', () => quantizeWeights({ 'snu_0.W': Float32Array.of(1, Number.NaN) }, 4), /^weights\['snu_0\.W'\]: value at index 1 is NaN/],
  ['gMax 1e30', () => model().analog.program('all', { config: { device: { gMax: 1e30 } } }), /gMax/],
  // A NaN used to reach the engine as JSON null ('invalid type: null, expected f64').
  ['gMax NaN', () => model().analog.program('all', { config: { device: { gMax: Number.NaN } } }), /^config\.device\.gMax: expected a finite number, got number NaN$/],
  ['a misspelt program option', () => model().analog.program('all', { sed: 1 } as never), /^program: options: unknown option 'sed' \(did you mean 'seed'\?\)/],
  ['compile({ optimizer: { kind: adam, lr: NaN } })', () => model().compile({ loss: 'mse', optimizer: { kind: 'adam', lr: Number.NaN } }), /^adam\.lr: expected a finite number, got number NaN$/],
  ['a layer that is not a layer', () => sequential([{ type: 'snu' } as LayerSpec], { inputSize: 3 }).compile({ loss: 'mse' }), /units/],
];

test(`${CASES.length} bad calls through the public API each end in an Error naming the argument`, async (t) => {
  const outcomes = { 'clear error': 0, 'wrong message': 0, 'no error': 0 };
  for (const [what, call, message] of CASES) {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    if (!(error instanceof Error)) {
      outcomes['no error']++;
      t.fail(`${what}: expected an Error, got none`);
    } else if (!message.test(error.message)) {
      outcomes['wrong message']++;
      t.fail(`${what}: the message ${JSON.stringify(error.message)} does not match ${message}`);
    } else outcomes['clear error']++;
  }
  t.log(`${CASES.length} calls: ${Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  t.is(outcomes['clear error'], CASES.length);
});

test('predictAsync and evaluate while fit runs wait their turn; fit does not fail', async (t) => {
  const m = model();
  const big = sequenceDataset({ x: new Float32Array(64 * 5 * 3).fill(1), y: oneHot(Array.from({ length: 64 }, (_, i) => i % 2), 2), steps: 5, features: 3 });
  const fitting = m.fit(big, { epochs: 3, batchSize: 4 });
  const [history, out, ev] = await Promise.all([fitting, m.predictAsync(b.x, b), m.evaluate(big)]);
  t.is(history.epochs.length, 3);
  t.is(out.length, 4);
  t.true(Number.isFinite(ev.loss));
});

// `ulimit -v` limits a process's address space on Linux only (CI's platform); elsewhere the
// child would not be limited, so the test is skipped there.
const linuxOnly = process.platform === 'linux' ? test : test.skip;

linuxOnly('a call whose buffers the machine cannot allocate is an error that says so, and the network goes on as if it had not been made', (t) => {
  // Under a 2 GB limit of virtual memory, a hidden layer of 2^20 units over 2,047 steps needs
  // 8 GiB: Rust aborted the process on that allocation; the engine now reports it and resets
  // what the failed call left half done (OSTL's carried state, state carried between calls).
  const child = fileURLToPath(new URL('./children/out-of-memory.mjs', import.meta.url));
  const r = spawnSync('bash', ['-c', 'ulimit -v 2000000 && exec "$0" "$1"', process.execPath, child], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1', RAYON_NUM_THREADS: '2' },
  });
  t.is(r.status, 0, `the child ended with ${r.status ?? r.signal}: ${r.stderr}`);
  t.is(r.stderr, '', 'nothing printed by the panic hook');
  const { dense, ostl, carried } = JSON.parse(r.stdout);
  const message = 'not enough memory: a buffer of 8585740288 bytes (8.0 GiB) for the call could not be allocated; use fewer steps or a smaller batch per call';
  t.deepEqual(dense.errors, [message, message, message, message], 'predict, trainStep, predictAsync, trainStepAsync');
  t.deepEqual(dense.after, dense.fresh, 'the weights are untouched: the refused calls failed before any update');
  t.is(ostl.error, message);
  t.deepEqual(ostl.after, [ostl.fresh, ostl.fresh], 'after a failed OSTL step, calls no longer carry state');
  t.is(carried.error, `${message}; the state carried between calls was reset`);
  t.deepEqual(carried.after, carried.fresh, 'the carried state starts again from zero');
  t.notDeepEqual(carried.fresh[0], carried.fresh[1], 'the second call does carry the first one’s state');
});
