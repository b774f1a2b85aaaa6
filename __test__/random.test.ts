// The seeds fit and snu train derive: their values are what fixed-seed runs train on, so they are
// pinned here (the values of the two mixers before they moved into ts/random.ts).
import test from 'ava';
import { batchSeed, epochSeed } from '../ts/random.js';

test('batchSeed and epochSeed keep their values', (t) => {
  t.deepEqual(
    [[4, 0, -1], [4, 1, 7], [0, -1, 0], [4294967295, 23, 99]].map(([s, e, b]) => batchSeed(s!, e!, b!)),
    [3044806321, 8141574, 3394304613, 627044682],
  );
  // seed_e = (seed + e * 0x9e3779b1) mod 2^32
  t.deepEqual([epochSeed(1, 0), epochSeed(1, 1), epochSeed(4294967295, 5)], [1, 2654435762, (4294967295 + 5 * 0x9e3779b1) % 2 ** 32]);
  t.is(epochSeed(4294967295, 5), 387276916);
});
