// Child process of bad-input.test.ts, run under a 2 GB limit of virtual memory (`ulimit -v`):
// calls whose buffers the limit refuses must each end in a JS error instead of aborting the
// process, and the network must compute afterwards as if the call had not been made (no
// state carried over from it, by BPTT, OSTL or with carried state). Prints what happened as
// JSON. Plain JS on the binding: tsx's WebAssembly lexer alone reserves more than the limit.
import { createRequire } from 'node:module';

const native = createRequire(import.meta.url)('../../native/index.cjs');
// One input, 2^20 hidden units: 2,047 steps need an 8 GiB buffer for the hidden layer.
// sSNU (sigmoid output, g identity): outputs that show the state a call starts from.
const SOFT = { dense: {}, snu: { output: 'sigmoid', g: { kind: 'identity' } } };
const spec = (hidden) =>
  JSON.stringify({
    inputSize: 1,
    layers: [{ type: hidden, units: 2 ** 20, ...SOFT[hidden] }, { type: hidden, units: 1, ...SOFT[hidden] }],
    readout: 'sequence',
    loss: { kind: 'mse' },
    seed: 1,
  });
const steps = 2047;
const big = { x: new Float32Array(steps).fill(0.5), y: new Float32Array(steps), steps, batch: 1 };
const small = { x: Float32Array.from([0.25, 1, 2]), steps: 3, batch: 1 };
const predict = (net) => Array.from(net.predict(small).output);
const failure = async (call) => {
  try {
    await call();
    return 'no error';
  } catch (e) {
    return e.message;
  }
};

// Dense layers by BPTT: every entry point, sync and async.
const net = new native.Network(spec('dense'));
const errors = [];
for (const call of [() => net.predict(big), () => net.trainStep(big), () => net.predictAsync(big), () => net.trainStepAsync(big)]) {
  errors.push(await failure(call));
}
const dense = { errors, after: predict(net), fresh: predict(new native.Network(spec('dense'))) };

// SNU layers by OSTL, which carries state from window to window inside the call.
const online = new native.Network(spec('snu'));
online.setTrainingMethod('ostl');
const ostl = { error: await failure(() => online.trainStep({ ...big })), after: [predict(online), predict(online)], fresh: predict(new native.Network(spec('snu'))) };

// State carried between calls: reset by the failure, and said so.
const carrying = new native.Network(spec('snu'));
carrying.setCarryState(true);
predict(carrying);
const error = await failure(() => carrying.predict(big));
const fresh = new native.Network(spec('snu'));
fresh.setCarryState(true);
const carried = { error, after: [predict(carrying), predict(carrying)], fresh: [predict(fresh), predict(fresh)] };

console.log(JSON.stringify({ dense, ostl, carried }));
