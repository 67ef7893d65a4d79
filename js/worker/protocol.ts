/**
 * Messages between the page (`client.ts`: `KindlingWorker`, `WorkerSession`, `likelyErrors`)
 * and the worker (`entry.ts`). A worker holds any number of sessions, each under the number
 * the page gave it; requests run one at a time in arrival order.
 */
import type { DeviceName, LikelyError, LoadProgress, Manifest, Prediction } from '../web/kindling.js';

/** Options of `Session.load` that cross to the worker (callbacks stay on the page). */
export interface WireLoadOptions {
  device?: 'auto' | 'webgpu' | 'cpu';
  dtype?: 'f32' | 'f16';
  cache?: boolean;
  headers?: Record<string, string>;
  threads?: number;
}

/** Options of `Session.replaceHead` that cross to the worker. */
export interface WireFetchOptions {
  cache?: boolean;
  headers?: Record<string, string>;
}

/**
 * Options of `Session.trainLocalHead`. An option the chosen learner does not read is refused
 * (`INVALID_ARGUMENT`).
 */
export interface LocalHeadOptions {
  /** `'svm'` (photo backbones' default: one-vs-rest linear SVMs) or `'softmax'` (text backbones' default). */
  learner?: LocalLearner;
  /** SVMs: the hinge losses' weight against the L2 penalty (default 3e-4; smaller: more regularized). */
  c?: number;
  /** SVMs: logits are the decision values times this (default 5). */
  temperature?: number;
  /** Softmax regression and the words head: optimizer steps (default 100; a refit from the previous head needs fewer). */
  steps?: number;
  /** Softmax regression: Adam's learning rate (default 0.02). */
  learningRate?: number;
  /** Softmax regression: L2 penalty (default 1e-3). */
  weightDecay?: number;
}

/** How a local head is fitted: one-vs-rest linear SVMs or softmax regression on the vectors. */
export type LocalLearner = 'svm' | 'softmax';

/** What `trainLocalHead` fitted. */
export interface LocalHeadFit {
  /** Labeled items it learned from. */
  trainedOn: number;
  /** Time the fit took, in the worker. */
  ms: number;
  /** It reads a text's words too. */
  words: boolean;
  /** The learner that fitted it (`'words'`: the head over a text's words and vector). */
  learner: LocalLearner | 'words';
}

/** Options of `Session.trainTextNgram`. */
export interface TextNgramOptions {
  /** Added to every n-gram's count in each class (default 0.3; must be positive). */
  smoothing?: number;
  /** Hash buckets of the n-gram table (default 65,536). */
  buckets?: number;
}

/**
 * What every request carries: an `id` the answer repeats, and whether a `cancel` may follow it
 * (the page gave a signal): only then does the worker let pending messages arrive before it
 * starts the request, a turn of its event loop that the others do not pay.
 */
interface Envelope { id: number; cancellable?: boolean }

/** A request about one session (`session`: the number the page gave it when it made it). */
type About<T> = T & Envelope & { session: number };

/** What the page asks; every request has an `id` the answer repeats. */
export type WorkerRequest =
  /** Make session `session` from a bundle. */
  | About<{ type: 'load'; source: string | ArrayBuffer | Uint8Array; options: WireLoadOptions }>
  /** Make session `session` by training a `text_ngram` here. */
  | About<{ type: 'trainTextNgram'; texts: string[]; labels: Uint32Array; classNames: string[]; options: TextNgramOptions }>
  | About<{ type: 'predict'; input: Float32Array; batchSize: number; topK?: number }>
  | About<{ type: 'predictEmbeddings'; embeddings: Float32Array; batchSize: number; topK?: number }>
  | About<{ type: 'predictLocal'; embeddings: Float32Array; batchSize: number; topK?: number }>
  | About<{ type: 'embed'; input: Float32Array; batchSize: number }>
  | About<{ type: 'trainLocalHead'; embeddings: Float32Array; labels: Uint32Array; options: LocalHeadOptions }>
  | About<{ type: 'clearLocalHead' }>
  | About<{ type: 'replaceHead'; source: string | ArrayBuffer | Uint8Array; options: WireFetchOptions }>
  | About<{ type: 'preprocessImage'; rgba: Uint8Array | Uint8ClampedArray; width: number; height: number }>
  /** One input item from a decoded image (transferred; closed after use). */
  | About<{ type: 'preprocessImageBitmap'; bitmap: ImageBitmap }>
  | About<{ type: 'encodeTexts'; texts: string[] }>
  /** Free session `session` (the worker keeps running). */
  | About<{ type: 'dispose' }>
  /** The module function `likelyErrors`, on no session. */
  | (Envelope & { type: 'likelyErrors'; features: Float32Array; size: number; given: Uint32Array; classes: number; folds?: number; neighbours?: boolean })
  /** The CPU module compiled by the page: the worker's CPU sessions instantiate it. */
  | (Envelope & { type: 'cpuModule'; module: WebAssembly.Module })
  /** Drop request `target` if it has not started. */
  | { id: number; type: 'cancel'; target: number };

/** What a session reports when it is made, and after its head changes. */
export interface SessionInfo {
  device: DeviceName;
  fallbackReason: string | null;
  threads: number;
  threadsFallbackReason: string | null;
  manifest: Manifest;
  inputLength: number;
  embeddingSize: number | null;
  vectorSize: number | null;
}

/** The worker answers. */
export type WorkerResponse =
  | { id: number; type: 'progress'; event: LoadProgress }
  | { id: number; type: 'loaded'; info: SessionInfo }
  | { id: number; type: 'predicted'; prediction: Prediction }
  | { id: number; type: 'values'; values: Float32Array }
  | ({ id: number; type: 'fitted' } & LocalHeadFit)
  | { id: number; type: 'ranked'; ranked: LikelyError[] }
  | { id: number; type: 'done' }
  | { id: number; type: 'error'; code: string; message: string };
