// GENERATED from crates/snu-core/src/limits.rs (and augment.rs's defaults) by crates/snu-core/tests/generated_ts.rs; do not edit.
// Regenerate: SNU_WRITE_GENERATED=1 cargo test -p snu-core --test generated_ts

/** Largest number of values one input, target or output array may hold. */
export const MAX_VALUES = 2147483647;

/** Largest time-step count or batch size of one call. */
export const MAX_DIM = 16777216;

/** Largest number of units or inputs of one layer. */
export const MAX_WIDTH = 1048576;

/** Largest number of parameters of one model. */
export const MAX_PARAMS = 2147483647;

/** Largest seed: every integer a JS number holds exactly. */
export const MAX_SEED = 9007199254740991;

/** Largest thread count of the engine's pool. */
export const MAX_THREADS = 1024;

/** Largest learning rate (spec, setLearningRate, schedules). */
export const MAX_LR = 1000000;

/** Deepest nesting of graphs within a NIR graph. */
export const MAX_NIR_DEPTH = 16;

/** Most nodes of a NIR graph, nested graphs' nodes included. */
export const MAX_NIR_NODES = 4096;

/** Most values (numbers and strings) the datasets of a NIR file may hold in all. */
export const MAX_NIR_VALUES = 268435456;

/** What joins a layer's name to its tensor's (`snu_0.W`), so never part of a layer name. */
export const NAME_SEPARATOR = ".";

/** Elastic distortion's `alpha` when none is given (Simard et al.'s for MNIST). */
export const DEFAULT_ELASTIC_ALPHA = 34;

/** Elastic distortion's `sigma` when none is given (Simard et al.'s for MNIST). */
export const DEFAULT_ELASTIC_SIGMA = 4;
