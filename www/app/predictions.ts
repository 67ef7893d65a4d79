/** What the app's inference (`inference.ts`) takes and gives: items, labels, predictions, the loaded model. */
import type { ClassScore, Uncertainty } from 'kindling';
import type { ItemContent } from './store';

/** A labeled item for the local head: the item (its content, in case it must be embedded) and its class index. */
export interface LocalLabel { item: PredictItem; label: number; }

/** An item to predict: a text or an encoded image (items of another kind than the model reads are skipped). */
export interface PredictItem { id: string; content: ItemContent; type: string; }

/** One item's prediction. */
export interface WorkerPrediction { id: string; topK: ClassScore[]; uncertainty: Uncertainty; }

/** A loaded model as the app describes it. */
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
