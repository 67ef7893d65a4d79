/**
 * The page's side of the inference worker: load a model version (with progress), predict
 * items; one prediction job at a time, its batches streamed back as they finish.
 */
import type { DeviceChoice } from 'kindling';
import type { FromWorker, PredictItem, ToWorker, WorkerPrediction } from './protocol';

/** A loaded model as the worker reports it. */
export interface LoadedModel { version: string; device: string; fallbackReason: string | null; labels: string[]; }

/** The inference worker. */
export class Inference {
  private readonly worker: Worker;
  private job = 0;
  private onBatch: ((results: WorkerPrediction[], version: string) => void) | null = null;
  private finishJob: ((err?: Error) => void) | null = null;
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
        this.model = { version: msg.version, device: msg.device, fallbackReason: msg.fallbackReason, labels: msg.labels };
        this.loading?.resolve(this.model);
        this.loading = null;
        break;
      case 'predicted':
        if (msg.job !== this.job) break;
        this.onBatch?.(msg.results, msg.version);
        if (msg.done) this.finishJob?.();
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
    this.loading?.reject(new Error('superseded by a newer model'));
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
    this.finishJob?.(new Error('superseded'));
    const job = ++this.job;
    return new Promise((resolve, reject) => {
      this.onBatch = onBatch;
      this.finishJob = (err) => {
        if (this.job === job) {
          this.finishJob = null;
          this.onBatch = null;
        }
        if (err) reject(err);
        else resolve();
      };
      this.send({ type: 'predict', job, items });
    });
  }
}
