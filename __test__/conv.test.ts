// Convolution, pooling and flatten layers through the TypeScript API: a model on images trains,
// its shapes and checkpoints are what the spec says, and every misfit shape is a clear error.
import test from 'ava';
import { adam, avgPool2d, conv2d, dense, encodedDataset, flatten, maxPool2d, oneHot, rateEncoder, Sequential, sequential, snu, snuConv2d, sumPool2d } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

/** 8 x 8 images of a vertical or a horizontal bar at a random place, with noise. */
function bars(count: number, seed: number) {
  const rand = seededRandom(seed);
  const x = new Float32Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const vertical = rand() < 0.5;
    labels[i] = vertical ? 1 : 0;
    const at = Math.floor(rand() * 8);
    for (let p = 0; p < 64; p++) {
      const [r, c] = [Math.floor(p / 8), p % 8];
      x[i * 64 + p] = (vertical ? c === at : r === at) ? 0.9 : 0.1 * rand();
    }
  }
  return encodedDataset({ x, y: oneHot(labels, 2), features: 64, encoder: rateEncoder({ steps: 6 }) });
}

const model = () =>
  sequential([conv2d({ filters: 4, kernelSize: 3, padding: 1, activation: 'relu' }), maxPool2d({ poolSize: 2 }), flatten(), snu({ units: 16 }), dense({ units: 2 })], { inputShape: [1, 8, 8] }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: adam({ lr: 0.02 }),
    seed: 1,
  });

test('a convolutional front end with a spiking hidden layer learns to tell vertical from horizontal bars', async (t) => {
  const m = model();
  const test = bars(200, 2);
  const before = await m.evaluate(test);
  await m.fit(bars(400, 1), { epochs: 6, batchSize: 20, seed: 3 });
  const after = await m.evaluate(test);
  t.true(after.accuracy! > 0.9, `accuracy ${before.accuracy} -> ${after.accuracy}`);
  t.true(after.loss < before.loss);
});

test('a spiking convolution (snuConv2d) with sum pooling learns the bars too', async (t) => {
  const m = sequential([snuConv2d({ filters: 4, kernelSize: 3, padding: 1, decay: 0.8, initialBias: -0.5 }), sumPool2d({ poolSize: 2 }), flatten(), snu({ units: 16 }), dense({ units: 2 })], { inputShape: [1, 8, 8] }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: adam({ lr: 0.02 }),
    seed: 1,
  });
  t.deepEqual(m.paramNames(), ['snuConv2d_0.W', 'snuConv2d_0.b', 'snu_3.W', 'snu_3.b', 'dense_4.W', 'dense_4.b']);
  t.is(m.getWeights()['snuConv2d_0.b']!.length, 4, 'one bias per filter');
  await m.fit(bars(400, 1), { epochs: 6, batchSize: 20, seed: 3 });
  const probe = bars(8, 5).batch([0, 1, 2, 3], 0);
  const spikes = m.predictWithLayers(probe.x, probe).layers[0]!;
  t.true(spikes.every((v) => v === 0 || v === 1) && spikes.some((v) => v === 1), 'the convolution spikes');
  const after = await m.evaluate(bars(200, 2));
  t.true(after.accuracy! > 0.9, `accuracy ${after.accuracy}`);
  t.deepEqual(snuConv2d({ filters: 2, kernelSize: [3, 2] }), {
    type: 'snuConv2d', filters: 2, kernelSize: [3, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1],
    output: 'step', g: { kind: 'relu' }, decay: 0.8, trainableDecay: false, surrogate: { kind: 'tanh' }, detachReset: false, lateralInhibition: false, initialBias: -1,
  });
  t.throws(() => snuConv2d({ filters: 2, kernelSize: 3, recurrent: true } as never), { message: /^snuConv2d: unknown option 'recurrent'/ });
});

test('shapes, parameters and checkpoints of a convolutional model', (t) => {
  const m = model();
  t.deepEqual(m.inputShape, [1, 8, 8]);
  t.is(m.inputSize, 64);
  t.deepEqual(m.layerShapes(), [[4, 8, 8], [4, 4, 4], [64], [16], [2]]);
  t.deepEqual(m.paramNames(), ['conv2d_0.W', 'conv2d_0.b', 'snu_3.W', 'snu_3.b', 'dense_4.W', 'dense_4.b']);
  t.is(m.getWeights()['conv2d_0.W']!.length, 4 * 1 * 3 * 3);
  t.deepEqual(m.spec.layers[0], { type: 'conv2d', filters: 4, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], activation: 'relu', useBias: true, name: null });
  const copy = Sequential.fromBytes(m.toBytes());
  t.deepEqual(copy.inputShape, [1, 8, 8]);
  t.deepEqual(Buffer.from(copy.toBytes()), Buffer.from(m.toBytes()));
  const pools = sequential([avgPool2d({ poolSize: [2, 1] }), sumPool2d({ poolSize: 2, stride: [1, 2] }), flatten(), dense({ units: 3 })], { inputShape: [2, 4, 6] }).compile({ loss: 'mse' });
  t.deepEqual(pools.layerShapes(), [[2, 2, 6], [2, 1, 3], [6], [3]]);
});

test('shapes that do not fit are refused, naming the layer and the sizes', (t) => {
  const compile = (layers: Parameters<typeof sequential>[0], options: Parameters<typeof sequential>[1]) => () => sequential(layers, options).compile({ loss: 'mse' });
  const conv = conv2d({ filters: 2, kernelSize: 3 });
  t.throws(() => sequential([conv], { inputSize: 24, inputShape: [1, 5, 5] }), { message: 'inputSize: 24, but inputShape [1, 5, 5] holds 25 values per step (give one of them)' });
  t.throws(compile([conv], { inputSize: 25 }), { message: /^compile: model spec: layers\[0\]: a conv2d layer takes \[C, H, W\] images, but receives a flat vector of 25 values: give the model an inputShape/ });
  t.throws(compile([conv2d({ filters: 2, kernelSize: [7, 3] })], { inputShape: [1, 5, 5] }), { message: /^compile: model spec: layers\[0\]\.kernelSize: the kernel spans 7 pixels \(kernel 7 x dilation 1\) along the height, more than the padded input's 5/ });
  t.throws(() => conv2d({ filters: 2, kernelSize: 3, stride: 0 }), { instanceOf: RangeError, message: 'conv2d.stride: expected an integer from 1 to 1048576, got 0' });
  t.throws(compile([conv, maxPool2d({ poolSize: 2 })], { inputShape: [1, 5, 5] }), { message: /windows of 2 every 2 pixels do not tile the input's height of 3 \(the last 1 pixels would be dropped\)/ });
  t.throws(compile([conv, dense({ units: 3 })], { inputShape: [1, 5, 5] }), { message: /layers\[1\]: a dense layer takes flat inputs, but receives \[2, 3, 3\] images: put a flatten layer before it/ });
  t.throws(compile([flatten(), dense({ units: 3 })], { inputSize: 25 }), { message: /layers\[0\]: flatten takes \[C, H, W\] images, but its input is already a flat vector of 25 values/ });
  t.throws(() => conv2d({ filters: 2, kernelSize: [3, 3, 3] as never }), { message: 'conv2d.kernelSize: expected a number or [height, width], got an array' });
  t.throws(() => maxPool2d({ poolSize: 2, kind: 'avg' } as never), { message: /^maxPool2d: unknown option 'kind'/ });
});
