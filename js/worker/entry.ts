/**
 * The worker behind `WorkerSession`: the `kindling/web` module and one session, requests run
 * one at a time in arrival order; a request cancelled before it starts is answered `ABORTED`
 * (before each request the worker lets already-sent messages arrive, so a cancel sent right
 * after a burst of predictions reaches the ones still waiting).
 * Results go back transferred (not copied).
 */
/// <reference lib="webworker" />
import init, { Session } from '../web/kindling.js';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

const ready = init();
let session: Session | undefined;
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

function loaded(): Session {
  if (!session) throw Object.assign(new Error('no model is loaded in this worker'), { code: 'SESSION_DISPOSED' });
  return session;
}

async function handle(msg: WorkerRequest): Promise<void> {
  if (msg.type === 'cancel') return;
  await yieldToMessages();
  if (cancelled.delete(msg.id)) {
    post({ id: msg.id, type: 'error', code: 'ABORTED', message: 'cancelled before it ran' });
    return;
  }
  try {
    await ready;
    switch (msg.type) {
      case 'load': {
        const next = await Session.load(msg.source, {
          ...msg.options,
          onProgress: (event) => post({ id: msg.id, type: 'progress', event }),
        });
        session?.dispose();
        session = next;
        post({
          id: msg.id,
          type: 'loaded',
          info: {
            device: next.device,
            fallbackReason: next.fallbackReason ?? null,
            manifest: next.manifest,
            inputLength: next.inputLength,
            embeddingSize: next.embeddingSize ?? null,
          },
        });
        break;
      }
      case 'predict': {
        const prediction = await loaded().predict(msg.input, msg.batchSize, msg.topK === undefined ? {} : { topK: msg.topK });
        post({ id: msg.id, type: 'predicted', prediction }, [prediction.probs.buffer]);
        break;
      }
      case 'embed': {
        const values = await loaded().embed(msg.input, msg.batchSize);
        post({ id: msg.id, type: 'values', values }, [values.buffer]);
        break;
      }
      case 'preprocessImage': {
        const values = loaded().preprocessImage(new Uint8Array(msg.rgba.buffer, msg.rgba.byteOffset, msg.rgba.byteLength), msg.width, msg.height);
        post({ id: msg.id, type: 'values', values }, [values.buffer]);
        break;
      }
      case 'encodeTexts': {
        const values = loaded().encodeTexts(msg.texts);
        post({ id: msg.id, type: 'values', values }, [values.buffer]);
        break;
      }
    }
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
