// snu: Spiking Neural Units with a Rust core. Public API.
export { sequential, Sequential } from './model.js';
export type { CompileOptions, EpochLogs, Evaluation, FitOptions, History } from './model.js';
export { snu, dense, embedding } from './layers.js';
export type { SnuConfig, DenseConfig, EmbeddingConfig } from './layers.js';
export { sgd, adam, adamW, rmsprop } from './optimizers.js';
export { sequenceDataset, encodedDataset, oneHot } from './data.js';
export type { Batch, Dataset, Encoder } from './data.js';
export { rateEncoder } from './encoders.js';
export { readIdx, loadMnist } from './datasets/mnist.js';
export type * from './spec.js';
