// Elastic distortions and shifts from the TypeScript side: seeded, fresh per batch seed, applied
// by encodedDataset before encoding (the statistics are checked in crates/snu-core/tests/augment.rs).
import test from 'ava';
import { directEncoder, elasticDistortion, encodedDataset, oneHot } from '../ts/index.js';
import { seededRandom } from '../ts/random.js';

const rand = seededRandom(1);
const images = Float32Array.from({ length: 4 * 784 }, () => rand());

test('elasticDistortion: seeded, different per seed, the identity without alpha or shift', (t) => {
  const d = elasticDistortion({ shape: [1, 28, 28] });
  const a = d.apply(images, 4, 5);
  t.deepEqual(a, d.apply(images, 4, 5));
  t.notDeepEqual(a, d.apply(images, 4, 6));
  t.notDeepEqual(a, images);
  t.true(a.every((v) => v >= 0 && v <= 1), 'bilinear values stay within the pixels range');
  t.deepEqual(elasticDistortion({ shape: [1, 28, 28], alpha: 0 }).apply(images, 4, 5), images);
  const shifted = elasticDistortion({ shape: [1, 28, 28], alpha: 0, shift: 3 }).apply(images, 4, 5);
  const values = (x: Float32Array) => new Set(Array.from(x).filter((v) => v !== 0));
  t.true([...values(shifted)].every((v) => values(images).has(v)), 'a shift moves pixels, it does not blend them');
});

test('encodedDataset applies the distortion to every batch from its seed, before encoding', (t) => {
  const y = oneHot([0, 1, 2, 3], 4);
  const plain = encodedDataset({ x: images, y, features: 784, encoder: directEncoder({ steps: 1 }) });
  const augmented = encodedDataset({ x: images, y, features: 784, encoder: directEncoder({ steps: 1 }), augment: elasticDistortion({ shape: [1, 28, 28], alpha: 20, sigma: 3 }) });
  const [p, a1, a2, a1again] = [plain.batch([0, 1], 7), augmented.batch([0, 1], 7), augmented.batch([0, 1], 8), augmented.batch([0, 1], 7)];
  t.notDeepEqual(a1.x, p.x);
  t.notDeepEqual(a1.x, a2.x, 'another batch seed (another epoch in fit): another distortion');
  t.deepEqual(a1.x, a1again.x);
  t.deepEqual(a1.y, p.y, 'targets unchanged');
});

test('bad distortion options are refused, naming them', (t) => {
  t.throws(() => elasticDistortion({ shape: [1, 28] as never }), { message: 'elasticDistortion.shape: expected [channels, height, width], got an array' });
  t.throws(() => elasticDistortion({ shape: [1, 28, 28], sigma: 0 }), { message: 'elasticDistortion.sigma: expected a number in (0, 1000], got 0' });
  t.throws(() => elasticDistortion({ shape: [1, 28, 28], alhpa: 3 } as never), { message: /^elasticDistortion: unknown option 'alhpa' \(did you mean 'alpha'\?\)/ });
  t.throws(() => elasticDistortion({ shape: [1, 28, 28] }).apply(images, 3, 1), { message: 'x: expected 3 images of [1, 28, 28] = 2352 values, got 3136' });
});
