/** Messages between a `WorkerSession` (the page) and its worker (`entry.ts`). */
import type { DeviceName, LoadProgress, Manifest, Prediction } from '../web/kindling.js';

/** Options of `Session.load` that cross to the worker (callbacks stay on the page). */
export interface WireLoadOptions {
  device?: 'auto' | 'webgpu' | 'cpu';
  dtype?: 'f32' | 'f16';
  cache?: boolean;
  headers?: Record<string, string>;
}

/** What the page asks; every request has an `id` the answer repeats. */
export type WorkerRequest =
  | { id: number; type: 'load'; source: string | ArrayBuffer | Uint8Array; options: WireLoadOptions }
  | { id: number; type: 'predict'; input: Float32Array; batchSize: number; topK?: number }
  | { id: number; type: 'embed'; input: Float32Array; batchSize: number }
  | { id: number; type: 'preprocessImage'; rgba: Uint8Array | Uint8ClampedArray; width: number; height: number }
  | { id: number; type: 'encodeTexts'; texts: string[] }
  /** Drop request `target` if it has not started. */
  | { id: number; type: 'cancel'; target: number };

/** What a loaded session reports back. */
export interface SessionInfo {
  device: DeviceName;
  fallbackReason: string | null;
  manifest: Manifest;
  inputLength: number;
  embeddingSize: number | null;
}

/** The worker answers. */
export type WorkerResponse =
  | { id: number; type: 'progress'; event: LoadProgress }
  | { id: number; type: 'loaded'; info: SessionInfo }
  | { id: number; type: 'predicted'; prediction: Prediction }
  | { id: number; type: 'values'; values: Float32Array }
  | { id: number; type: 'error'; code: string; message: string };
