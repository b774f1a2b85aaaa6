//! The engine's size limits and naming rule, in one place: the binding, the generated TypeScript constants
//! (`ts/generated/limits.ts`) and every check derive from these.

/// Largest number of values one input, target or output array may hold: 2^31 - 1, the
/// longest JS typed array the binding can hand over on every platform.
pub const MAX_VALUES: usize = i32::MAX as usize;

/// Largest time-step count or batch size of one call (2^24): far above any real batch, low
/// enough that `steps x batch` products stay exact in f32 and JS numbers.
pub const MAX_DIM: usize = 1 << 24;

/// Largest number of units or inputs of one layer (2^20).
pub const MAX_WIDTH: usize = 1 << 20;

/// Largest number of parameters a model may hold in all (2^31 - 1): each parameter must fit
/// one JS typed array when read back, and the weights, gradients and optimizer moments of a
/// model this size already need 32 GB.
pub const MAX_PARAMS: usize = i32::MAX as usize;

/// Largest seed: every integer a JS number holds exactly (2^53 - 1).
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// Largest thread count of the engine's pool: far above any machine, low enough to refuse typos.
pub const MAX_THREADS: usize = 1024;

/// Largest learning rate (in a spec, `setLearningRate` or a schedule): far above any rate that
/// trains, low enough that `lr x gradient` of an ordinary gradient stays within float32.
pub const MAX_LR: f32 = 1e6;

/// Deepest nesting of graphs in a NIR graph (subgraphs within subgraphs): far beyond the
/// graphs the NIR libraries write, low enough to refuse a file whose links loop back.
pub const MAX_NIR_DEPTH: usize = 16;

/// Most nodes of a NIR graph, nested graphs' nodes included (2^12): NIR's nodes are layers and
/// their parts, so this is far beyond any network's, and low enough that a file whose groups
/// are linked many times over is refused quickly instead of unfolded.
pub const MAX_NIR_NODES: usize = 1 << 12;

/// Most values the datasets of one NIR file may hold in all (2^28), nested graphs included:
/// each number of an array, each string (a node's type, a text entry, an edge's two ends). A
/// network of 268 million parameters, far beyond the spiking networks NIR carries, and low
/// enough that reading a small file whose datasets unfold into huge arrays (chunks never
/// written read as zeros; HDF5 links repeat one array) stays within about 2 GB of memory.
pub const MAX_NIR_VALUES: usize = 1 << 28;

/// What joins a layer's name to its tensor's in a parameter name (`snu_0.W`), and so what a
/// layer name may not contain.
pub const NAME_SEPARATOR: char = '.';
