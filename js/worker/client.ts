/**
 * `WorkerSession`: a session that runs in a Web Worker, so the page never blocks on a model.
 * The same typed methods as `Session` (asynchronous where `Session`'s are not), inputs
 * transferred to the worker rather than copied, errors arriving as `KindlingError`s with their
 * `code`, queued predictions cancellable with an `AbortSignal`, and `dispose()` that terminates
 * the worker.
 *
 * ```js
 * import { WorkerSession } from 'kindling/worker';
 * const session = await WorkerSession.load('/model/', { onProgress: console.log });
 * const prediction = await session.predict(input, 1);
 * ```
 */
import type { DeviceName, LoadOptions, LoadProgress, Manifest, Prediction } from '../web/kindling.js';
import type { SessionInfo, WireLoadOptions, WorkerRequest, WorkerResponse } from './protocol.js';

/** Distributes `Omit` over a union (each request type keeps its own fields). */
type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Options of `WorkerSession.load`: those of `Session.load` (but `threads`), and the worker to use. */
export interface WorkerLoadOptions extends Omit<LoadOptions, 'threads'> {
  /** A worker running this package's `kindling/worker/entry.js` (default: one is started). */
  worker?: Worker;
}

/** Options of `WorkerSession.predict`. */
export interface WorkerPredictOptions {
  /** How many classes to list per item (default 5). */
  topK?: number;
  /** Aborting it rejects the prediction with code `ABORTED` if it has not started yet. */
  signal?: AbortSignal;
}

/** An `Error` with a stable `code`, as the package's other errors. */
function kindlingError(code: string, message: string): Error & { code: string } {
  const err = new Error(message) as Error & { code: string };
  err.name = 'KindlingError';
  err.code = code;
  return err;
}

interface Pending {
  resolve: (msg: WorkerResponse) => void;
  reject: (err: Error) => void;
  onProgress?: (event: LoadProgress) => void;
}

/** Request/response over `postMessage`, one id per request. */
class Channel {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    worker.onerror = (event) => this.close(kindlingError('WORKER_FAILED', `the worker failed: ${event.message || 'could not start (is entry.js served?)'}`));
  }

  private receive(msg: WorkerResponse): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.event);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(kindlingError(msg.code, msg.message));
    else p.resolve(msg);
  }

  /** Sends a request; resolves to its answer. `signal` cancels it while it waits in the queue. */
  call(body: Body<WorkerRequest>, transfer: Transferable[] = [], onProgress?: (e: LoadProgress) => void, signal?: AbortSignal): Promise<WorkerResponse> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(kindlingError('ABORTED', 'aborted before it was sent'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      signal?.addEventListener('abort', () => {
        if (this.pending.has(id)) this.worker.postMessage({ id: this.next++, type: 'cancel', target: id } satisfies WorkerRequest);
      }, { once: true });
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }

  /** Rejects everything pending and every later call with `err`. */
  close(err: Error): void {
    this.closedWith ??= err;
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
  }
}

/** A model loaded in a Web Worker. */
export class WorkerSession {
  /** What actually runs the session: `'webgpu'`, `'cpu-simd'` or `'cpu'`. */
  readonly device: DeviceName;
  /** Why `device: 'auto'` did not get WebGPU, when it did not. */
  readonly fallbackReason: string | null;
  /** The bundle's manifest. */
  readonly manifest: Manifest;
  /** Number of `f32` values one input item has. */
  readonly inputLength: number;
  /** Size of the embeddings `embed` returns, `null` for a model without a backbone. */
  readonly embeddingSize: number | null;

  private constructor(private readonly channel: Channel, info: SessionInfo) {
    this.device = info.device;
    this.fallbackReason = info.fallbackReason;
    this.manifest = info.manifest;
    this.inputLength = info.inputLength;
    this.embeddingSize = info.embeddingSize;
  }

  /**
   * Starts a worker and loads a bundle in it, like `Session.load` (a URL, relative to this
   * page, or archive bytes, which are transferred). Rejects with the worker's `KindlingError` and terminates the worker.
   */
  static async load(source: string | Uint8Array | ArrayBuffer, options: WorkerLoadOptions = {}): Promise<WorkerSession> {
    const { worker, onProgress, ...rest } = options;
    // The worker fetches relative to its own script: resolve against this page first.
    const from = typeof source === 'string' ? new URL(source, globalThis.location?.href).href : source;
    const channel = new Channel(worker ?? new Worker(new URL('./entry.js', import.meta.url), { type: 'module', name: 'kindling' }));
    const wire: WireLoadOptions = rest;
    const transfer = typeof from === 'string' ? [] : [from instanceof ArrayBuffer ? from : from.buffer];
    try {
      const answer = await channel.call({ type: 'load', source: from, options: wire }, transfer, onProgress);
      if (answer.type !== 'loaded') throw kindlingError('INTERNAL', `unexpected answer ${answer.type}`);
      return new WorkerSession(channel, answer.info);
    } catch (err) {
      channel.close(err as Error);
      channel.worker.terminate();
      throw err;
    }
  }

  /**
   * Predicts `batchSize` items laid out back to back in `input`, like `Session.predict`.
   * `input`'s buffer is transferred to the worker: it is empty afterwards (pass `input.slice()`
   * to keep it).
   */
  async predict(input: Float32Array, batchSize: number, options: WorkerPredictOptions = {}): Promise<Prediction> {
    const answer = await this.channel.call({ type: 'predict', input, batchSize, topK: options.topK }, [input.buffer], undefined, options.signal);
    if (answer.type !== 'predicted') throw kindlingError('INTERNAL', `unexpected answer ${answer.type}`);
    return answer.prediction;
  }

  /** The backbone's embeddings of `batchSize` items (`input` is transferred), like `Session.embed`. */
  async embed(input: Float32Array, batchSize: number): Promise<Float32Array> {
    return this.values(await this.channel.call({ type: 'embed', input, batchSize }, [input.buffer]));
  }

  /** One input item from RGBA pixels (`ImageData.data`), like `Session.preprocessImage` (copied). */
  async preprocessImage(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<Float32Array> {
    return this.values(await this.channel.call({ type: 'preprocessImage', rgba, width, height }));
  }

  /** Input items of a text model, like `Session.encodeTexts`. */
  async encodeTexts(texts: string[]): Promise<Float32Array> {
    return this.values(await this.channel.call({ type: 'encodeTexts', texts }));
  }

  private values(answer: WorkerResponse): Float32Array {
    if (answer.type !== 'values') throw kindlingError('INTERNAL', `unexpected answer ${answer.type}`);
    return answer.values;
  }

  /** Terminates the worker; calls pending or later reject with code `SESSION_DISPOSED`. */
  dispose(): void {
    this.channel.close(kindlingError('SESSION_DISPOSED', 'this session was disposed; load the bundle again with WorkerSession.load()'));
    this.channel.worker.terminate();
  }
}
