//! TypeScript declarations for the structured values the API passes (the generated `.d.ts`
//! includes them). The sync protocol's are generated from its Rust types
//! (`generated/sync-types.ts`, kept current by `server/tests/ts_contracts.rs`); the rest are
//! written here, beside the wasm API that makes them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_SYNC_TYPES: &'static str = include_str!("generated/sync-types.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Where a session runs: what was asked for. */
export type DeviceChoice = 'auto' | 'webgpu' | 'cpu';
/** What actually runs a session. */
export type DeviceName = 'webgpu' | 'cpu-simd' | 'cpu';

/**
 * A loading progress event, per file: `initiate` → `progress`… → `done` when downloaded, or
 * `cached` when read from the Cache API; `ready` once the session is set up. For one file
 * `loaded` never goes backwards, and `done`/`cached` have `loaded === total`. `total` is the
 * size the manifest gives, else the response's `Content-Length`, else 0 (unknown) until `done`.
 */
export interface LoadProgress {
  status: 'initiate' | 'progress' | 'done' | 'cached' | 'ready';
  /** The URL being fetched (absent for `ready`). */
  file?: string;
  loaded: number;
  total: number;
}

/** How bundle files are fetched (`Session.load`, `session.replaceHead`). */
export interface FetchOptions {
  /** Called with progress events while the bundle downloads. */
  onProgress?: (event: LoadProgress) => void;
  /** Element type of the backbone file to download: `'f32'` (default) or `'f16'` (half the bytes). */
  dtype?: 'f32' | 'f16';
  /**
   * Read bundle files from the Cache API and keep them there once the bundle verified (default
   * `true`): manifests and archives under their URL, weights and backbones under their sha256.
   * A second load of the same URL makes no request and works offline, so treat bundle URLs as
   * immutable (new version, new URL — or a `?v=` query); `false` always downloads.
   */
  cache?: boolean;
  /** Extra request headers, e.g. `{ Authorization: 'Bearer …' }` for a server that wants a token. */
  headers?: Record<string, string>;
}

/** Options of `Session.load`. */
export interface LoadOptions extends FetchOptions {
  /** Default `'auto'`: WebGPU when an adapter is available, else the CPU. */
  device?: DeviceChoice;
  /**
   * CPU threads (the `kindling/threads` module, in a Web Worker of a cross-origin isolated
   * page): the pool size, default `navigator.hardwareConcurrency`. Elsewhere one thread, and
   * `session.threadsFallbackReason` says why.
   */
  threads?: number;
}

/** Options of `session.predict`. */
export interface PredictOptions {
  /** How many classes to list per item (default 5, at most the number of classes). */
  topK?: number;
}

/** One class and its probability. */
export interface ClassScore { index: number; label: string; probability: number; }

/** Uncertainty of one prediction. */
export interface Uncertainty {
  /** 1 − max p (higher = less certain). */
  leastConfidence: number;
  /** p1 − p2 (lower = less certain). */
  margin: number;
  /** −Σ p ln p, in nats (higher = less certain). */
  entropy: number;
}

/** How `rankQueue` orders items: the least certain first by one measure, or at random. */
export type Strategy = 'least-confidence' | 'margin' | 'entropy' | 'random';

/** The prediction for one item. */
export interface ItemPrediction { topK: ClassScore[]; uncertainty: Uncertainty; }

/** The result of `session.predict`. */
export interface Prediction {
  /** Probabilities, row-major [batch, classes]. */
  probs: Float32Array;
  classes: number;
  items: ItemPrediction[];
  /** Milliseconds spent in the model, including the device read-back. */
  latencyMs: number;
}

/** The `manifest.json` of a bundle (see docs/bundle-format.md). */
export interface Manifest {
  format_version: number;
  name: string;
  version: string;
  /** Format 2: the shared backbone whose embeddings the head (`architecture`) reads. */
  backbone?: {
    name: string;
    architecture: { arch: 'efficientnet_lite0'; image_size: number } | { arch: 'minilm_l6'; max_tokens: number };
    files: WeightsFile[];
  };
  architecture: { arch: 'mlp' | 'cnn'; [key: string]: unknown };
  input:
    | { kind: 'image'; width: number; height: number; channels: number; mean: number[]; std: number[]; light_on_dark: boolean; resize?: 'stretch' | 'center_crop' }
    | { kind: 'tabular'; features: string[]; mean: number[]; std: number[] }
    | { kind: 'text'; tokenizer: 'wordpiece'; max_tokens: number; lowercase: boolean };
  labels: string[];
  metrics?: { accuracy?: number; test_items?: number; [key: string]: unknown };
  weights: WeightsFile;
  created_at: string;
}

/** One weights file of a bundle. */
export interface WeightsFile { path: string; format: string; sha256: string; size: number; dtype?: 'f32' | 'f16'; }

/** How a push failed. */
export type PushFailure = { kind: 'gap'; expected_seq: number; epoch: string } | { kind: 'transient' } | { kind: 'unauthorized' };
/** The fixed-size part of a sync client's state. */
export interface SyncHeader { client_id: string; annotator_id: string; epoch: string; cursor: number; last_seq: number; hlc: Hlc; }
/** What a `SyncClient` call changed: write it in one IndexedDB transaction. */
export interface SyncEffects { header: SyncHeader; outbox_put: SyncOp[]; outbox_delete: string[]; server_put: SyncChange[]; server_cleared: boolean; }

/** Errors thrown by kindling carry a stable `code`. */
export interface KindlingError extends Error { name: 'KindlingError'; code: string; }
"#;
