// The paper's hardware experiment in simulation (issue 5, docs/design.md §3): JSB chorales on an
// 88-150-88 network whose two weight matrices live on simulated phase-change memory, 2 devices
// per weight (52,800 devices).
//
//   npx snu train --config configs/jsb-snu-88-150-88.json  --out runs/jsb-snu-88-150-88
//   npx snu train --config configs/jsb-ssnu-88-150-88.json --out runs/jsb-ssnu-88-150-88
//   npx tsx examples/jsb-pcm.ts [--devices 5] [--loop-epochs 30] [--loop-lr 0.5] [--loop-range 2] [--out runs/jsb-pcm.json]
//
// For each network (SNU, sSNU): 1. the software baseline (best.snu of the run above);
// 2. that model programmed onto devices, test NLL at 1 s, 1 h, 1 day and 1 month after
// programming, with and without global drift compensation (mean and spread over `--devices`
// device seeds); 3. the same network trained from scratch with the devices in the loop
// (forward on the devices, backward in software, mixed-precision updates), with its pulse
// counts; 4. the software model with its weights quantised to 2, 3, 4, 6 and 8 bits.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { jsbDataset, loadJsb, quantizeWeights, Sequential, type Dataset, type ModelSpec } from '../ts/index.js';
import { jsbPath } from '../ts/cli/task-jsb.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '5' },
    out: { type: 'string', default: 'runs/jsb-pcm.json' },
    'loop-lr': { type: 'string', default: '0.5' },
    'loop-epochs': { type: 'string', default: '30' },
    parts: { type: 'string', default: 'programmed,loop,quantised' },
    'loop-range': { type: 'string', default: '2' },
  },
});
// Training in the loop uses plain SGD, as mixed-precision training does (Nandakumar et al.
// 2018): the device updates follow the gradient. Adam's sign-like steps move every weight at
// every step and wear the devices out in pulses and refreshes.
const LOOP_LR = Number(args['loop-lr']);
const LOOP_EPOCHS = Number(args['loop-epochs']);
const PARTS = new Set(args.parts!.split(','));
// Trained weights reach several times the initial Glorot range (max|W| 0.16 -> 2-6 here): the
// devices start with room up to this weight.
const LOOP_RANGE = Number(args['loop-range']);
const DEVICE_SEEDS = Number(args.devices);
const TIMES: [string, number][] = [['1 s', 1], ['1 h', 3600], ['1 day', 86_400], ['1 month', 30 * 86_400]];
const BITS = [2, 3, 4, 6, 8];
const EVAL_BATCH = 64;

const splits = loadJsb(jsbPath(undefined, process.env, process.cwd()));
const sets = { train: jsbDataset(splits.train), valid: jsbDataset(splits.valid), test: jsbDataset(splits.test) };
/** The best checkpoint of `npx snu train --config configs/X.json --out runs/X`. */
const checkpointOf = (configFile: string) => configFile.replace('configs/', 'runs/').replace('.json', '/best.snu');
const nll = async (m: Sequential, d: Dataset) => (await m.evaluate(d, { batchSize: EVAL_BATCH })).loss;
const stats = (v: number[]) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { mean, sd, runs: v };
};

async function programmedOverTime(checkpoint: string) {
  const rows: Record<string, { compensated: ReturnType<typeof stats>; uncompensated: ReturnType<typeof stats> }> = {};
  for (const [label, t] of TIMES) {
    const byMode = { compensated: [] as number[], uncompensated: [] as number[] };
    for (let seed = 0; seed < DEVICE_SEEDS; seed++) {
      const model = await Sequential.load(checkpoint);
      model.analog.program('all', { seed: 1000 + 10 * seed }); // the same devices for every time
      model.analog.setTime(t);
      for (const on of [true, false]) {
        model.analog.setDriftCompensation(on);
        byMode[on ? 'compensated' : 'uncompensated'].push(await nll(model, sets.test));
      }
    }
    rows[label] = { compensated: stats(byMode.compensated), uncompensated: stats(byMode.uncompensated) };
    console.log(`  ${label}: NLL ${rows[label]!.compensated.mean.toFixed(3)} ± ${rows[label]!.compensated.sd.toFixed(3)} compensated, ${rows[label]!.uncompensated.mean.toFixed(3)} ± ${rows[label]!.uncompensated.sd.toFixed(3)} without`);
  }
  return rows;
}

/** Trains the config's network from its initial weights with both matrices on devices. */
async function hardwareInTheLoop(configFile: string) {
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { train: { lrDecay: number; seed: number; batchSize: number } };
  // The software run's network (its spec from its checkpoint), with fresh initial weights.
  const spec: ModelSpec = (await Sequential.load(checkpointOf(configFile))).spec;
  const model = new Sequential(spec.layers, { inputSize: spec.inputSize }).compile({
    loss: spec.loss,
    optimizer: { kind: 'sgd', lr: LOOP_LR, momentum: 0, nesterov: false, weightDecay: 0 },
    readout: spec.readout,
    seed: config.train.seed,
  });
  model.analog.program('all', { seed: 7, weightRange: LOOP_RANGE });
  const started = Date.now();
  let best = { epoch: 0, valid: Infinity, test: Infinity };
  let pulses = 0;
  for (let epoch = 1; epoch <= LOOP_EPOCHS; epoch++) {
    model.setLearningRate(LOOP_LR * config.train.lrDecay ** (epoch - 1));
    await model.fit(sets.train, {
      epochs: 1,
      batchSize: config.train.batchSize,
      seed: config.train.seed + epoch,
      onBatchEnd: () => {
        const u = model.analog.lastUpdate;
        pulses += u.pulsesPlus + u.pulsesMinus;
      },
    });
    const valid = await nll(model, sets.valid);
    if (valid < best.valid) best = { epoch, valid, test: await nll(model, sets.test) };
  }
  const layers = model.analog.layers();
  const devices = layers.map((l) => model.analog.stats(l));
  const result = {
    best,
    seconds: (Date.now() - started) / 1000,
    pulses,
    devices: devices.reduce((n, s) => n + s.devices, 0),
    refreshes: devices.reduce((n, s) => n + s.refreshes, 0),
    pulsesPerDevice: pulses / devices.reduce((n, s) => n + s.devices, 0),
    maxPulsesOnOneDevice: Math.max(...devices.flatMap((s) => [Math.max(...s.pulsesPlus), Math.max(...s.pulsesMinus)])),
  };
  console.log(`  in the loop: test NLL ${best.test.toFixed(3)} (best on validation, epoch ${best.epoch} of ${LOOP_EPOCHS}, SGD lr ${LOOP_LR}, weight range ±${LOOP_RANGE}); ${pulses} SET pulses on ${result.devices} devices (${result.pulsesPerDevice.toFixed(1)} per device, at most ${result.maxPulsesOnOneDevice}), ${result.refreshes} refreshes; ${result.seconds.toFixed(0)} s`);
  return result;
}

async function quantised(checkpoint: string) {
  const rows: Record<number, number> = {};
  for (const bits of BITS) {
    const model = await Sequential.load(checkpoint);
    model.setWeights(quantizeWeights(model.getWeights(), bits));
    rows[bits] = await nll(model, sets.test);
  }
  console.log(`  weights quantised: ${BITS.map((b) => `${b} bits ${rows[b]!.toFixed(3)}`).join(', ')}`);
  return rows;
}

const results: Record<string, unknown> = { loopEpochs: LOOP_EPOCHS, loopLr: LOOP_LR, loopRange: LOOP_RANGE, deviceSeeds: DEVICE_SEEDS, node: process.version };
for (const [name, configFile] of [['SNU', 'configs/jsb-snu-88-150-88.json'], ['sSNU', 'configs/jsb-ssnu-88-150-88.json']] as const) {
  const checkpoint = checkpointOf(configFile);
  const software = await nll(await Sequential.load(checkpoint), sets.test);
  console.log(`${name} 88-150-88: software test NLL ${software.toFixed(3)} (${checkpoint})`);
  results[name] = {
    software,
    programmed: PARTS.has('programmed') ? await programmedOverTime(checkpoint) : null,
    inTheLoop: PARTS.has('loop') ? await hardwareInTheLoop(configFile) : null,
    quantised: PARTS.has('quantised') ? await quantised(checkpoint) : null,
  };
}
await writeFile(args.out!, JSON.stringify(results, null, 2));
console.log(`wrote ${args.out}`);
