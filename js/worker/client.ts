/**
 * Sessions that run in a Web Worker, so the page never blocks on a model. `WorkerSession` has
 * the methods of `Session` (asynchronous where `Session`'s are not); inputs are transferred to
 * the worker rather than copied, errors arrive as `KindlingError`s with their `code`, queued
 * requests are cancellable with an `AbortSignal`. Inside the worker each session runs on the
 * module its options ask for: CPU (`kindling/web`, its relaxed-SIMD build where the browser has
 * relaxed SIMD), CPU threads (`kindling/threads`, when the page is cross-origin isolated) or
 * WebGPU (`kindling/webgpu/web`).
 *
 * ```js
 * import { WorkerSession } from 'kindling/worker';
 * const session = await WorkerSession.load('/model/', { onProgress: console.log });
 * const prediction = await session.predict(input, 1);
 * session.dispose(); // terminates its worker
 * ```
 *
 * Several sessions can share one worker (`new KindlingWorker()`, passed as `options.worker`);
 * a session's `dispose()` then frees it there and the worker keeps running.
 */
import type { DeviceName, LikelyError, LoadOptions, LoadProgress, Manifest, Prediction } from '../web/kindling.js';
import type { LocalHeadFit, LocalHeadOptions, SessionInfo, TextNgramOptions, WireFetchOptions, WorkerRequest, WorkerResponse } from './protocol.js';

export type { LocalHeadFit, LocalHeadOptions, LocalLearner, TextNgramOptions } from './protocol.js';
export { webgpuAdapterPresent } from './adapter.js';
export { cpuBuild, cpuWasmUrl, relaxedSimdSupported, threadsWasmUrl, type CpuBuild } from './cpu-wasm.js';

/** Distributes `Omit` over a union (each request type keeps its own fields). */
type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Options of `WorkerSession.load`: those of `Session.load`, and the worker to use. */
export interface WorkerLoadOptions extends LoadOptions {
  /**
   * The worker to load in: a `KindlingWorker` (shared with other sessions, which it outlives),
   * or a `Worker` running this package's `kindling/worker/entry.js`. Default: a new worker,
   * terminated by this session's `dispose()`.
   */
  worker?: KindlingWorker | Worker;
}

/** Options of `WorkerSession.replaceHead`. */
export interface WorkerFetchOptions extends WireFetchOptions {
  onProgress?: (event: LoadProgress) => void;
}

/** Options of the prediction methods. */
export interface WorkerPredictOptions {
  /** How many classes to list per item (default 5). */
  topK?: number;
  /** Aborting it rejects the prediction with code `ABORTED` if it has not started yet. */
  signal?: AbortSignal;
}

/** Options of `WorkerSession.trainTextNgram`. */
export interface WorkerTrainOptions extends TextNgramOptions {
  /** As for `WorkerSession.load`. */
  worker?: KindlingWorker | Worker;
}

/** Options of `likelyErrors`. */
export interface LikelyErrorsOptions {
  /** Out-of-fold heads (default 5). */
  folds?: number;
  /**
   * Also rank by neighbour agreement (default `true`): for embeddings; pass `false` when the
   * features are class probabilities.
   */
  neighbours?: boolean;
  /** The worker to rank in (default: a new one, terminated when done). */
  worker?: KindlingWorker | Worker;
}

/** Options of `new KindlingWorker()`. */
export interface KindlingWorkerOptions {
  /** A worker running this package's `kindling/worker/entry.js` (default: one is started). */
  worker?: Worker;
  /** The CPU module (`kindling_bg.wasm`) compiled by this page, shared with the worker. */
  cpuModule?: WebAssembly.Module;
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

/** A worker running this package's `entry.js`: sessions load in it with `options.worker`. */
export class KindlingWorker {
  /** The underlying `Worker`. */
  readonly worker: Worker;
  private next = 1;
  private nextSession = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: Error | null = null;
  private static readonly wrapped = new WeakMap<Worker, KindlingWorker>();

  /**
   * Starts a worker (or takes one that runs `kindling/worker/entry.js`: pass it, or
   * `{ worker }`). `cpuModule`: the CPU module (`kindling_bg.wasm`) already compiled by this
   * page, for the worker's CPU sessions to instantiate instead of fetching and compiling it
   * again (a `WebAssembly.Module` crosses to a worker without a copy).
   */
  constructor(options: Worker | KindlingWorkerOptions = {}) {
    const { worker, cpuModule } = options instanceof Worker ? { worker: options, cpuModule: undefined } : options;
    this.worker = worker ?? new Worker(new URL('./entry.js', import.meta.url), { type: 'module', name: 'kindling' });
    KindlingWorker.wrapped.set(this.worker, this);
    this.worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    this.worker.onerror = (event) => this.close(kindlingError('WORKER_FAILED', `the worker failed: ${event.message || 'could not start (is entry.js served?)'}`));
    // First in the worker's queue: every session's request comes after it.
    if (cpuModule) this.call({ type: 'cpuModule', module: cpuModule }).catch(() => {});
  }

  /** The `KindlingWorker` of `w` (one per `Worker`), or a new one. @internal */
  static of(w: KindlingWorker | Worker | undefined): KindlingWorker {
    if (w instanceof KindlingWorker) return w;
    return (w && KindlingWorker.wrapped.get(w)) ?? new KindlingWorker(w);
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

  /** A number for a new session in this worker. @internal */
  newSession(): number {
    return this.nextSession++;
  }

  /**
   * Sends a request; resolves to its answer. `signal` cancels it while it waits in the queue.
   * @internal
   */
  call(body: Body<WorkerRequest>, transfer: Transferable[] = [], onProgress?: (e: LoadProgress) => void, signal?: AbortSignal): Promise<WorkerResponse> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(kindlingError('ABORTED', 'aborted before it was sent'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      signal?.addEventListener('abort', () => {
        if (this.pending.has(id)) this.worker.postMessage({ id: this.next++, type: 'cancel', target: id } satisfies WorkerRequest);
      }, { once: true });
      this.worker.postMessage({ ...body, id, ...(signal ? { cancellable: true } : {}) } as WorkerRequest, transfer);
    });
  }

  /** Rejects everything pending and every later call with `err`. */
  private close(err: Error): void {
    this.closedWith ??= err;
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
  }

  /** Ends the worker: its sessions' pending and later calls reject with `SESSION_DISPOSED`. */
  terminate(): void {
    this.close(kindlingError('SESSION_DISPOSED', 'the worker was terminated; load the bundle again with WorkerSession.load()'));
    this.worker.terminate();
  }
}

function expect<T extends WorkerResponse['type']>(answer: WorkerResponse, type: T): Extract<WorkerResponse, { type: T }> {
  if (answer.type !== type) throw kindlingError('INTERNAL', `unexpected answer ${answer.type}`);
  return answer as Extract<WorkerResponse, { type: T }>;
}

/**
 * A bundle source as the worker can read it: a URL resolved against this page (the worker would
 * resolve it against its own script), or the bytes as given.
 */
function fromPage(source: string | ArrayBuffer | Uint8Array): string | ArrayBuffer | Uint8Array {
  return typeof source === 'string' ? new URL(source, globalThis.location?.href).href : source;
}

/** The buffer to transfer for bytes given as an `ArrayBuffer` or a view. */
function bufferOf(bytes: string | ArrayBuffer | Uint8Array): Transferable[] {
  if (typeof bytes === 'string') return [];
  return [bytes instanceof ArrayBuffer ? bytes : bytes.buffer as ArrayBuffer];
}

/** A model loaded in a Web Worker. */
export class WorkerSession {
  private info: SessionInfo;
  private trained = 0;
  private disposed = false;

  private constructor(
    private readonly host: KindlingWorker,
    private readonly id: number,
    info: SessionInfo,
    /** Whether `dispose` terminates the worker (this session started it). */
    private readonly owns: boolean,
  ) {
    this.info = info;
  }

  /** What actually runs the session: `'webgpu'`, `'cpu-simd'` or `'cpu'`. */
  get device(): DeviceName { return this.info.device; }
  /** Why `device: 'auto'` did not get WebGPU, when it did not. */
  get fallbackReason(): string | null { return this.info.fallbackReason; }
  /** How many threads this session's CPU work runs on. */
  get threads(): number { return this.info.threads; }
  /** Why one thread where more could have helped (not cross-origin isolated, …), else `null`. */
  get threadsFallbackReason(): string | null { return this.info.threadsFallbackReason; }
  /** The bundle's manifest (the new head's after `replaceHead`). */
  get manifest(): Manifest { return this.info.manifest; }
  /** Number of `f32` values one input item has. */
  get inputLength(): number { return this.info.inputLength; }
  /** Size of the embeddings `embed` returns, `null` for a model without a backbone. */
  get embeddingSize(): number | null { return this.info.embeddingSize; }
  /**
   * Values at the start of each embedding that form its vector (what distances and the local
   * head read): `embeddingSize`, except for a text backbone that carries each text's hashed
   * word ids after its sentence embedding; `null` without a backbone.
   */
  get vectorSize(): number | null { return this.info.vectorSize; }
  /** Labeled items the local head was fitted on (0: none). */
  get localHeadTrainedOn(): number { return this.trained; }

  /** Makes a session in `options.worker` (or a new worker) with request `body`. */
  private static async make(
    body: (session: number) => Body<WorkerRequest>,
    transfer: Transferable[],
    worker: KindlingWorker | Worker | undefined,
    onProgress?: (e: LoadProgress) => void,
  ): Promise<WorkerSession> {
    const host = KindlingWorker.of(worker);
    const id = host.newSession();
    try {
      const answer = expect(await host.call(body(id), transfer, onProgress), 'loaded');
      return new WorkerSession(host, id, answer.info, worker === undefined);
    } catch (err) {
      if (worker === undefined) host.terminate();
      throw err;
    }
  }

  /**
   * Loads a bundle in a worker, like `Session.load` (a URL, relative to this page, or archive
   * bytes, which are transferred). Rejects with the worker's `KindlingError` (and terminates a
   * worker it started).
   */
  static load(source: string | Uint8Array | ArrayBuffer, options: WorkerLoadOptions = {}): Promise<WorkerSession> {
    const { worker, onProgress, ...wire } = options;
    const from = fromPage(source);
    return WorkerSession.make((session) => ({ type: 'load', session, source: from, options: wire }), bufferOf(from), worker, onProgress);
  }

  /**
   * Trains a `text_ngram` model in a worker on labeled texts, like `Session.trainTextNgram`
   * (`labels` is copied).
   */
  static trainTextNgram(texts: string[], labels: Uint32Array, classNames: string[], options: WorkerTrainOptions = {}): Promise<WorkerSession> {
    const { worker, ...train } = options;
    return WorkerSession.make((session) => ({ type: 'trainTextNgram', session, texts, labels, classNames, options: train }), [], worker);
  }

  private call(body: Body<WorkerRequest>, transfer: Transferable[] = [], onProgress?: (e: LoadProgress) => void, signal?: AbortSignal): Promise<WorkerResponse> {
    if (this.disposed) return Promise.reject(kindlingError('SESSION_DISPOSED', 'this session was disposed; load the bundle again with WorkerSession.load()'));
    return this.host.call(body, transfer, onProgress, signal);
  }

  /**
   * Predicts `batchSize` items laid out back to back in `input`, like `Session.predict`.
   * `input`'s buffer is transferred to the worker: it is empty afterwards (pass `input.slice()`
   * to keep it).
   */
  async predict(input: Float32Array, batchSize: number, options: WorkerPredictOptions = {}): Promise<Prediction> {
    const answer = await this.call({ type: 'predict', session: this.id, input, batchSize, topK: options.topK }, [input.buffer], undefined, options.signal);
    return expect(answer, 'predicted').prediction;
  }

  /** Predicts from embeddings with the published head, like `Session.predictEmbeddings` (`embeddings` is transferred). */
  async predictEmbeddings(embeddings: Float32Array, batchSize: number, options: WorkerPredictOptions = {}): Promise<Prediction> {
    const answer = await this.call({ type: 'predictEmbeddings', session: this.id, embeddings, batchSize, topK: options.topK }, [embeddings.buffer], undefined, options.signal);
    return expect(answer, 'predicted').prediction;
  }

  /** Predicts from embeddings with the local head, like `Session.predictLocal` (`embeddings` is transferred). */
  async predictLocal(embeddings: Float32Array, batchSize: number, options: WorkerPredictOptions = {}): Promise<Prediction> {
    const answer = await this.call({ type: 'predictLocal', session: this.id, embeddings, batchSize, topK: options.topK }, [embeddings.buffer], undefined, options.signal);
    return expect(answer, 'predicted').prediction;
  }

  /** The backbone's embeddings of `batchSize` items (`input` is transferred), like `Session.embed`. */
  async embed(input: Float32Array, batchSize: number, options: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    return expect(await this.call({ type: 'embed', session: this.id, input, batchSize }, [input.buffer], undefined, options.signal), 'values').values;
  }

  /**
   * Fits (or refits) the local head on labeled embeddings, like `Session.trainLocalHead` (both
   * arrays are copied): SVMs on a photo backbone, softmax regression (warm-started) on a text
   * one, unless `options.learner` says otherwise; `words`: it reads a text's words too.
   */
  async trainLocalHead(embeddings: Float32Array, labels: Uint32Array, options: LocalHeadOptions = {}): Promise<LocalHeadFit> {
    const answer = expect(await this.call({ type: 'trainLocalHead', session: this.id, embeddings, labels, options }), 'fitted');
    this.trained = answer.trainedOn;
    return { trainedOn: answer.trainedOn, ms: answer.ms, words: answer.words, learner: answer.learner };
  }

  /** Forgets the local head, like `Session.clearLocalHead`. */
  async clearLocalHead(): Promise<void> {
    expect(await this.call({ type: 'clearLocalHead', session: this.id }), 'done');
    this.trained = 0;
  }

  /** Swaps in the head of another version of this model, like `Session.replaceHead`. */
  async replaceHead(source: string | Uint8Array | ArrayBuffer, options: WorkerFetchOptions = {}): Promise<void> {
    const { onProgress, ...wire } = options;
    const from = fromPage(source);
    this.info = expect(await this.call({ type: 'replaceHead', session: this.id, source: from, options: wire }, bufferOf(from), onProgress), 'loaded').info;
  }

  /** One input item from RGBA pixels (`ImageData.data`), like `Session.preprocessImage` (copied). */
  async preprocessImage(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<Float32Array> {
    return expect(await this.call({ type: 'preprocessImage', session: this.id, rgba, width, height }), 'values').values;
  }

  /**
   * One input item from a decoded image (`createImageBitmap(blob)`), read into pixels in the
   * worker: the bitmap is transferred and closed there.
   */
  async preprocessImageBitmap(bitmap: ImageBitmap): Promise<Float32Array> {
    return expect(await this.call({ type: 'preprocessImageBitmap', session: this.id, bitmap }, [bitmap]), 'values').values;
  }

  /** Input items of a text model, like `Session.encodeTexts`. */
  async encodeTexts(texts: string[]): Promise<Float32Array> {
    return expect(await this.call({ type: 'encodeTexts', session: this.id, texts }), 'values').values;
  }

  /**
   * Frees the session: later calls reject with code `SESSION_DISPOSED`. A session that started
   * its worker terminates it (calls still pending reject the same way); in a shared
   * `KindlingWorker` only this session ends, after the calls it already sent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owns) {
      this.host.terminate();
      return;
    }
    this.host.call({ type: 'dispose', session: this.id }).catch(() => {});
  }
}

/**
 * Ranks labeled items for review, most likely wrong first, like the module's `likelyErrors`,
 * in a worker (`options.worker`, else a new one terminated when done).
 */
export async function likelyErrors(
  features: Float32Array,
  size: number,
  given: Uint32Array,
  classes: number,
  options: LikelyErrorsOptions = {},
): Promise<LikelyError[]> {
  const host = KindlingWorker.of(options.worker);
  try {
    return expect(await host.call({ type: 'likelyErrors', features, size, given, classes, folds: options.folds, neighbours: options.neighbours }), 'ranked').ranked;
  } finally {
    if (options.worker === undefined) host.terminate();
  }
}
