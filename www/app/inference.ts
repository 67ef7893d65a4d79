/**
 * The page's side of the inference worker: load a model version (with progress), predict
 * items; one prediction job at a time, its batches streamed back as they finish.
 */
import type { DeviceChoice, LikelyError } from 'kindling';
import type { FromWorker, ItemRef, LabelRef, LoadedModel, LocalLabel, PredictItem, ToWorker, WorkerPrediction } from './protocol';
import { SupersededError } from './errors';

export { SupersededError };
export type { LoadedModel };

/** The inference worker. */
export class Inference {
  private readonly worker: Worker;
  private job = 0;
  /** Items whose content the worker holds (sent once; the worker lives as long as this). */
  private readonly sent = new Set<string>();
  private onBatch: ((results: WorkerPrediction[], version: string) => void) | null = null;
  private onFitted: ((trainedOn: number, ms: number) => void) | null = null;
  private finishJob: ((err?: Error) => void) | null = null;
  private onRanked: ((msg: Extract<FromWorker, { type: 'ranked' }>) => void) | null = null;
  private loading: { resolve: (m: LoadedModel) => void; reject: (e: Error) => void; onProgress: (loaded: number, total: number) => void } | null = null;
  /** The model in use, once one has loaded. */
  model: LoadedModel | null = null;
  /** Resolves when the worker has set up its message handler (after its wasm loads). */
  private readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor() {
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { name: 'kindling-inference' });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
  }

  private receive(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.markReady();
        break;
      case 'progress':
        this.loading?.onProgress(msg.loaded, msg.total);
        break;
      case 'loaded':
        this.model = { version: msg.version, device: msg.device, fallbackReason: msg.fallbackReason, threads: msg.threads, threadsFallbackReason: msg.threadsFallbackReason, labels: msg.labels, backbone: msg.backbone };
        this.loading?.resolve(this.model);
        this.loading = null;
        break;
      case 'local-fitted':
        if (msg.job === this.job) this.onFitted?.(msg.trainedOn, msg.ms);
        break;
      case 'predicted':
        if (msg.job !== this.job) break;
        this.onBatch?.(msg.results, msg.version);
        if (msg.done) this.finishJob?.();
        break;
      case 'ranked':
        if (msg.job === this.job) this.onRanked?.(msg);
        break;
      case 'error': {
        const err = Object.assign(new Error(msg.message), { code: msg.code });
        if (msg.job === -1) {
          this.loading?.reject(err);
          this.loading = null;
        } else if (msg.job === this.job) {
          this.finishJob?.(err);
        }
        break;
      }
    }
  }

  private send(msg: ToWorker): void {
    void this.ready.then(() => this.worker.postMessage(msg));
  }

  /** Loads `version` from `base` (`/api/v1/projects/{p}/models/{v}/`). */
  load(base: string, token: string, device: DeviceChoice, version: string, onProgress: (loaded: number, total: number) => void): Promise<LoadedModel> {
    this.loading?.reject(new SupersededError('superseded by a newer model'));
    return new Promise((resolve, reject) => {
      this.loading = { resolve, reject, onProgress };
      this.send({ type: 'load', base, token, device, version });
    });
  }

  /**
   * Predicts `items`, calling `onBatch` as batches finish; resolves when all are done. A newer
   * call cancels the older one's remaining callbacks.
   */
  predict(items: PredictItem[], onBatch: (results: WorkerPrediction[], version: string) => void): Promise<void> {
    return this.run((job) => ({ type: 'predict', job, items: this.refs(items) }), onBatch, null);
  }

  /** The items as references: contents the worker was already sent are left out. */
  private refs(items: PredictItem[]): ItemRef[] {
    return items.map((i) => {
      if (this.sent.has(i.id)) return { id: i.id, content: null, type: i.type };
      this.sent.add(i.id);
      return i;
    });
  }

  private labelRefs(labeled: LocalLabel[]): LabelRef[] {
    const items = this.refs(labeled.map((l) => l.item));
    return labeled.map((l, i) => ({ item: items[i]!, label: l.label }));
  }

  /**
   * Fits the local head on `labeled` and predicts `items` with it (version `local:<v>`), like
   * `predict`; `onFitted` hears how many labels it learned from and how long it took.
   */
  local(
    labeled: LocalLabel[],
    items: PredictItem[],
    onFitted: (trainedOn: number, ms: number) => void,
    onBatch: (results: WorkerPrediction[], version: string) => void,
  ): Promise<void> {
    return this.run((job) => ({ type: 'local', job, labeled: this.labelRefs(labeled), items: this.refs(items) }), onBatch, onFitted);
  }

  /**
   * For a text project without a model: trains a `text_ngram` in the worker on `labeled` and
   * predicts `items` with it (version `local:scratch`), like `local`.
   */
  scratch(
    labeled: LocalLabel[],
    items: PredictItem[],
    classes: string[],
    onFitted: (trainedOn: number, ms: number) => void,
    onBatch: (results: WorkerPrediction[], version: string) => void,
  ): Promise<void> {
    return this.run(
      (job) => ({ type: 'scratch', job, labeled: this.labelRefs(labeled), items: this.refs(items), classes }),
      onBatch,
      onFitted,
    );
  }

  /**
   * Ranks labeled items for review, most likely wrong first (the worker's `likely-errors` job):
   * resolves to each ranked item's id with its `LikelyError`, and which features it used.
   */
  likelyErrors(labeled: LocalLabel[]): Promise<{ ranked: (LikelyError & { id: string })[]; features: 'embeddings' | 'probabilities' }> {
    return new Promise((resolve, reject) => {
      const finished = this.run((job) => ({ type: 'likely-errors', job, labeled: this.labelRefs(labeled) }), () => {}, null);
      this.onRanked = (msg) => {
        this.onRanked = null;
        resolve({ ranked: msg.ranked.map((r) => ({ ...r, id: msg.ids[r.index]! })), features: msg.features });
        this.finishJob?.();
      };
      finished.catch(reject);
    });
  }

  private run(
    message: (job: number) => ToWorker,
    onBatch: (results: WorkerPrediction[], version: string) => void,
    onFitted: ((trainedOn: number, ms: number) => void) | null,
  ): Promise<void> {
    this.finishJob?.(new SupersededError('superseded by a newer prediction'));
    const job = ++this.job;
    return new Promise((resolve, reject) => {
      this.onBatch = onBatch;
      this.onFitted = onFitted;
      this.finishJob = (err) => {
        if (this.job === job) {
          this.finishJob = null;
          this.onBatch = null;
        }
        if (err) reject(err);
        else resolve();
      };
      this.send(message(job));
    });
  }
}
