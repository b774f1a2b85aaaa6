// The model as plain data: the canonical JSON the native engine parses. The types are generated
// from the engine's serde types (crates/snu-core/src/spec.rs, pcm/config.rs) into
// ts/generated/types.ts, with their Rust doc comments; nothing here is written by hand.
export type * from './generated/types.js';
