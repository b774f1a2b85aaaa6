// Seeds and shuffling on the TypeScript side. Every seed the library and the CLI derive from a
// user's seed is computed here, so a run's randomness has one definition.

/** The largest seed of `fit`, `evaluate` and `snu train`: the mixers below work on 32 bits. */
export const MAX_RUN_SEED = 2 ** 32 - 1;

/** Knuth's multiplicative-hash prime near 2^32 / φ: consecutive multiples spread evenly over 2^32. */
const GOLDEN = 0x9e3779b1;

/**
 * The seed of batch `batch` of epoch `epoch` in `fit` (`batch` -1: the epoch's shuffle; `epoch`
 * -1: `evaluate`), as 32 bits:
 *   h = (seed xor (epoch + 1)·G) mod 2^32,  h = ((h xor (batch + 0x7f4a7c15))·0x85ebca6b) mod 2^32,
 *   result = h xor (h >> 15)
 * with G = 0x9e3779b1. Golden checkpoints pin it: changing it changes what fixed seeds train.
 * @example
 * ```ts
 * batchSeed(4, 0, -1); // the shuffle of epoch 0 of fit({ seed: 4 })
 * ```
 */
export function batchSeed(seed: number, epoch: number, batch: number): number {
  let h = (seed ^ Math.imul(epoch + 1, GOLDEN)) >>> 0;
  h = Math.imul(h ^ (batch + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The seed `snu train` gives `fit` for epoch `epoch` of a run it trains one epoch per call:
 *   seed_e = (seed + e·G) mod 2^32   (G = 0x9e3779b1; epoch 0 keeps `seed`)
 * so each epoch shuffles and encodes differently, and a resumed run repeats its epochs exactly.
 * It pins the CLI's runs as `batchSeed` pins `fit`'s; the two cannot be one formula without
 * changing one of them.
 * @example
 * ```ts
 * epochSeed(1, 0); // 1
 * ```
 */
export function epochSeed(seed: number, epoch: number): number {
  return (seed + Math.imul(epoch, GOLDEN)) >>> 0;
}

/** A uniform generator on [0, 1) from a 32-bit seed (a Weyl step and SplitMix32-style mixing). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** Fisher-Yates shuffle of `0..n-1` with a seed. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}
