/**
 * The worker behind `KindlingWorker` / `WorkerSession`: any number of sessions, each on the
 * module its options ask for — `kindling/web` (CPU, one thread; its relaxed-SIMD build where
 * the engine has relaxed SIMD), `kindling/threads` (CPU on a pool of threads, when the page is
 * cross-origin isolated) or `kindling/webgpu/web` — each module fetched and started the first
 * time a session needs it. Requests run one at a time in arrival order; a request cancelled
 * before it starts is answered `ABORTED`. Results go back transferred (not copied).
 */
/// <reference lib="webworker" />
import type * as Cpu from '../web/kindling.js';
import { webgpuAdapterPresent } from './adapter.js';
import { cpuWasmUrl, threadsWasmUrl } from './cpu-wasm.js';
import type { SessionInfo, WireLoadOptions, WorkerRequest, WorkerResponse } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

/** The API every module of the package exports (`kindling/threads` adds `initThreads`). */
type Module = typeof Cpu;
type Session = Cpu.Session;

/** Modules started so far, by kind. */
const modules = new Map<'cpu' | 'threads' | 'webgpu', Promise<Module>>();
/** The CPU module compiled by the page, when it sent one (`KindlingWorker`'s `cpuModule`). */
let givenCpuModule: WebAssembly.Module | undefined;

function started(kind: 'cpu' | 'threads' | 'webgpu'): Promise<Module> {
  let m = modules.get(kind);
  if (!m) {
    // Literal specifiers, so that bundlers (Vite, webpack) bundle each module as its own chunk.
    const imported: Promise<Module> =
      kind === 'cpu' ? import('../web/kindling.js')
        : kind === 'threads' ? (import(/* webpackChunkName: "kindling-threads" */ '../threads/kindling.js') as Promise<unknown> as Promise<Module>)
          : (import(/* webpackChunkName: "kindling-webgpu" */ '../webgpu/web/kindling.js') as Promise<unknown> as Promise<Module>);
    // The CPU modules: the page's compiled copy, else this browser's build (relaxed SIMD where
    // it validates); the WebGPU module has one build.
    const source = kind === 'cpu' ? givenCpuModule ?? cpuWasmUrl() : kind === 'threads' ? threadsWasmUrl() : undefined;
    m = imported.then(async (module) => {
      await module.default(source ? { module_or_path: source } : undefined);
      return module;
    });
    // A module that failed to start may start on a later try (it was offline, say).
    m.catch(() => modules.delete(kind));
    modules.set(kind, m);
  }
  return m;
}

/**
 * A CPU module: the threaded one unless one thread is asked for or the page is not
 * cross-origin isolated (the plain module's sessions then say why they run on one thread).
 */
async function cpuModule(threads: number | undefined): Promise<Module> {
  if (threads !== 1 && self.crossOriginIsolated) {
    try {
      return await started('threads');
    } catch (err) {
      console.warn('kindling: the threaded module did not start, using one thread:', err);
    }
  }
  return started('cpu');
}

/**
 * The module for a session's options: `cpu` → a CPU module; `webgpu` → the WebGPU module;
 * `auto` (default) → the WebGPU module when an adapter is present and the module starts, else
 * a CPU module (whose `auto` sessions report why not WebGPU).
 */
async function moduleFor(options: WireLoadOptions): Promise<Module> {
  const device = options.device ?? 'auto';
  if (device === 'cpu' || (device === 'auto' && !(await webgpuAdapterPresent()))) return cpuModule(options.threads);
  try {
    return await started('webgpu');
  } catch (err) {
    if (device === 'webgpu') throw err;
    return cpuModule(options.threads);
  }
}

/** The module for work that belongs to no session: one already started, else the plain CPU one. */
function anyModule(): Promise<Module> {
  return modules.get('cpu') ?? modules.get('threads') ?? modules.get('webgpu') ?? started('cpu');
}

const sessions = new Map<number, Session>();
/** Requests cancelled before they ran. */
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();
/** Lets messages already sent (more requests, cancels) arrive before the next request starts. */
const turn = new MessageChannel();
let wake: (() => void) | null = null;
turn.port1.onmessage = () => wake?.();
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    wake = resolve;
    turn.port2.postMessage(null);
  });
}

function post(msg: WorkerResponse, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function kindlingError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function sessionOf(id: number): Session {
  const s = sessions.get(id);
  if (!s) throw kindlingError('SESSION_DISPOSED', 'this session was disposed; load the bundle again with WorkerSession.load()');
  return s;
}

function info(s: Session): SessionInfo {
  return {
    device: s.device,
    fallbackReason: s.fallbackReason ?? null,
    threads: s.threads,
    threadsFallbackReason: s.threadsFallbackReason ?? null,
    manifest: s.manifest,
    inputLength: s.inputLength,
    embeddingSize: s.embeddingSize ?? null,
    vectorSize: s.vectorSize ?? null,
  };
}

/** Keeps `s` as session `id` (replacing one there) and answers with its description. */
function made(msg: { id: number; session: number }, s: Session): void {
  sessions.get(msg.session)?.dispose();
  sessions.set(msg.session, s);
  post({ id: msg.id, type: 'loaded', info: info(s) });
}

/** RGBA pixels of a decoded image. */
function pixels(bitmap: ImageBitmap): { data: Uint8ClampedArray; width: number; height: number } {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw kindlingError('INTERNAL', 'no 2D canvas context in this worker');
  ctx.drawImage(bitmap, 0, 0);
  return { data: ctx.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height };
}

async function run(msg: Exclude<WorkerRequest, { type: 'cancel' }>): Promise<void> {
  const topK = (k: number | undefined) => (k === undefined ? {} : { topK: k });
  switch (msg.type) {
    case 'load': {
      const { Session } = await moduleFor(msg.options);
      made(msg, await Session.load(msg.source, { ...msg.options, onProgress: (event) => post({ id: msg.id, type: 'progress', event }) }));
      return;
    }
    case 'trainTextNgram': {
      // A small model: the plain module (threads pay off for backbones only).
      const { Session } = await started('cpu');
      made(msg, await Session.trainTextNgram(msg.texts, msg.labels, msg.classNames, msg.options));
      return;
    }
    case 'predict': {
      const prediction = await sessionOf(msg.session).predict(msg.input, msg.batchSize, topK(msg.topK));
      post({ id: msg.id, type: 'predicted', prediction }, [prediction.probs.buffer]);
      return;
    }
    case 'predictEmbeddings':
    case 'predictLocal': {
      const s = sessionOf(msg.session);
      const prediction = await (msg.type === 'predictLocal' ? s.predictLocal(msg.embeddings, msg.batchSize, topK(msg.topK)) : s.predictEmbeddings(msg.embeddings, msg.batchSize, topK(msg.topK)));
      post({ id: msg.id, type: 'predicted', prediction }, [prediction.probs.buffer]);
      return;
    }
    case 'embed': {
      const values = await sessionOf(msg.session).embed(msg.input, msg.batchSize);
      post({ id: msg.id, type: 'values', values }, [values.buffer]);
      return;
    }
    case 'trainLocalHead': {
      const fitted = await sessionOf(msg.session).trainLocalHead(msg.embeddings, msg.labels, msg.options);
      post({ id: msg.id, type: 'fitted', trainedOn: fitted.trainedOn, ms: fitted.ms, words: fitted.words, learner: fitted.learner });
      return;
    }
    case 'clearLocalHead':
      sessionOf(msg.session).clearLocalHead();
      post({ id: msg.id, type: 'done' });
      return;
    case 'replaceHead': {
      const s = sessionOf(msg.session);
      await s.replaceHead(msg.source, { ...msg.options, onProgress: (event) => post({ id: msg.id, type: 'progress', event }) });
      post({ id: msg.id, type: 'loaded', info: info(s) });
      return;
    }
    case 'preprocessImage': {
      const values = sessionOf(msg.session).preprocessImage(new Uint8Array(msg.rgba.buffer, msg.rgba.byteOffset, msg.rgba.byteLength), msg.width, msg.height);
      post({ id: msg.id, type: 'values', values }, [values.buffer]);
      return;
    }
    case 'preprocessImageBitmap': {
      try {
        const { data, width, height } = pixels(msg.bitmap);
        const values = sessionOf(msg.session).preprocessImage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height);
        post({ id: msg.id, type: 'values', values }, [values.buffer]);
      } finally {
        msg.bitmap.close();
      }
      return;
    }
    case 'encodeTexts': {
      const values = sessionOf(msg.session).encodeTexts(msg.texts);
      post({ id: msg.id, type: 'values', values }, [values.buffer]);
      return;
    }
    case 'dispose':
      sessions.get(msg.session)?.dispose();
      sessions.delete(msg.session);
      post({ id: msg.id, type: 'done' });
      return;
    case 'cpuModule':
      // Only before the CPU module started: a running one stays.
      givenCpuModule ??= msg.module;
      post({ id: msg.id, type: 'done' });
      return;
    case 'likelyErrors': {
      const { likelyErrors } = await anyModule();
      const ranked = await likelyErrors(msg.features, msg.size, msg.given, msg.classes, msg.folds ?? null, msg.neighbours ?? null);
      post({ id: msg.id, type: 'ranked', ranked });
      return;
    }
  }
}

async function handle(msg: Exclude<WorkerRequest, { type: 'cancel' }>): Promise<void> {
  // A request that may be cancelled: let the messages sent after it (its cancel) arrive first.
  if (msg.cancellable) await yieldToMessages();
  if (cancelled.delete(msg.id)) {
    if (msg.type === 'preprocessImageBitmap') msg.bitmap.close();
    post({ id: msg.id, type: 'error', code: 'ABORTED', message: 'cancelled before it ran' });
    return;
  }
  try {
    await run(msg);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    post({ id: msg.id, type: 'error', code: e.code ?? 'INTERNAL', message: e.message ?? String(err) });
  } finally {
    cancelled.delete(msg.id); // a cancel that came too late
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  if (msg.type === 'cancel') {
    cancelled.add(msg.target);
    return;
  }
  queue = queue.then(() => handle(msg));
};
