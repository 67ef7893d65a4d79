/** Messages between the page and the inference worker (`worker.ts`). */
import type { ClassScore, DeviceChoice, LikelyError, Uncertainty } from 'kindling';
import type { ItemContent } from './store';

/** The page asks the worker. */
export type ToWorker =
  /** Load a model version from `base` (`…/models/{v}/`), downloading it unless cached. */
  | { type: 'load'; base: string; token: string; device: DeviceChoice; version: string }
  /** Predict these items (images as encoded bytes); answered batch by batch. */
  | { type: 'predict'; job: number; items: ItemRef[] }
  /**
   * Fit the local head on the embeddings of `labeled` items (`[item, class index]`, embedded
   * first where needed), then predict `items` with it, answered like `predict` under the version
   * `local:<published version>`. Only for a model with a backbone.
   */
  | { type: 'local'; job: number; labeled: LabelRef[]; items: ItemRef[] }
  /**
   * A text project with no model yet: train a `text_ngram` here on the texts of `labeled`
   * (classes named `classes`), then predict `items` with it, under the version `local:scratch`.
   */
  | { type: 'scratch'; job: number; labeled: LabelRef[]; items: ItemRef[]; classes: string[] }
  /**
   * Rank `labeled` items for review, most likely wrong first: features are the backbone's
   * embeddings (else the model's class probabilities), out-of-fold heads give each item a
   * prediction that never saw its label (`likelyErrors`).
   */
  | { type: 'likely-errors'; job: number; labeled: LabelRef[] };

/** A labeled item for the local head: the item (its content, in case it must be embedded) and its class index. */
export interface LocalLabel { item: PredictItem; label: number; }

/** An item to predict: a text or an encoded image (items of another kind than the model reads are skipped). */
export interface PredictItem { id: string; content: ItemContent; type: string; }

/**
 * An item as a message carries it: its content only the first time the page sends it (`null`
 * afterwards: the worker keeps what it was sent), so a refit after every label does not copy
 * every held photo into the worker again.
 */
export interface ItemRef { id: string; content: ItemContent | null; type: string; }

/** A labeled item as a message carries it. */
export interface LabelRef { item: ItemRef; label: number; }

/** One item's prediction. */
export interface WorkerPrediction { id: string; topK: ClassScore[]; uncertainty: Uncertainty; }

/** The worker answers. */
export type FromWorker =
  /** The worker's module (and its wasm) is initialized: messages sent before this are lost. */
  | { type: 'ready' }
  | { type: 'progress'; version: string; loaded: number; total: number }
  | { type: 'loaded'; version: string; device: string; fallbackReason: string | null; threads: number; threadsFallbackReason: string | null; labels: string[]; backbone: string | null }
  /** The local head was fitted on `trainedOn` labeled items in `ms` milliseconds. */
  | { type: 'local-fitted'; job: number; trainedOn: number; ms: number }
  | { type: 'predicted'; job: number; version: string; results: WorkerPrediction[]; done: boolean; latencyMs: number }
  /** The review order of a `likely-errors` job: `ids[i]` is the item of `ranked[i]`. */
  | { type: 'ranked'; job: number; ids: string[]; ranked: LikelyError[]; features: 'embeddings' | 'probabilities' }
  | { type: 'error'; job: number; code: string; message: string };

/** A loaded model as the worker reports it. */
export interface LoadedModel {
  version: string;
  device: string;
  fallbackReason: string | null;
  /** CPU threads the model runs on, and why one when so (not cross-origin isolated, …). */
  threads: number;
  threadsFallbackReason: string | null;
  labels: string[];
  /** The backbone's hash for a model with one (embeddings, a local head), else null. */
  backbone: string | null;
}
