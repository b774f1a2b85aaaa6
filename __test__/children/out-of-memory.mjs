// Child process of bad-input.test.ts, run under a 2 GB limit of virtual memory (`ulimit -v`):
// calls whose buffers the limit refuses must each end in a JS error instead of aborting the
// process, and the network must still compute afterwards. Plain JS on the binding: tsx's
// WebAssembly lexer alone reserves more than the limit.
import { createRequire } from 'node:module';

const native = createRequire(import.meta.url)('../../native/index.cjs');
// One input, 2^20 hidden units: 2,047 steps need an 8 GiB buffer for the hidden layer.
const spec = JSON.stringify({
  inputSize: 1,
  layers: [{ type: 'dense', units: 2 ** 20 }, { type: 'dense', units: 1 }],
  readout: 'sequence',
  loss: { kind: 'mse' },
  seed: 1,
});
const net = new native.Network(spec);
const steps = 2047;
const big = { x: new Float32Array(steps).fill(0.5), y: new Float32Array(steps), steps, batch: 1 };
const errors = [];
for (const call of [() => net.predict(big), () => net.trainStep(big), () => net.predictAsync(big), () => net.trainStepAsync(big)]) {
  try {
    await call();
    errors.push('no error');
  } catch (e) {
    errors.push(e.message);
  }
}
const small = { x: Float32Array.from([0.25, -1, 2]), steps: 3, batch: 1 };
const after = Array.from(net.predict(small).output);
const fresh = Array.from(new native.Network(spec).predict(small).output);
console.log(JSON.stringify({ errors, after, fresh }));
