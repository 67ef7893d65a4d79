/**
 * The demo page: load a bundle, draw a digit or pick an image, see the top-k with bars, the
 * uncertainty, the device that ran and the latency. All text goes through textContent.
 */
import type { DeviceChoice, Prediction, Session } from 'kindling';
import { cpuBuild, WorkerSession, type CpuBuild } from 'kindling/worker';
import { probabilityRow } from '../shared/bars';
import { kindlingFor } from '../shared/kindling-module';
import type { WorkerRequest } from './session-worker';

declare global {
  interface Window {
    /** The demo's live session, for scripts/bench-browser.mjs. */
    kindlingSession?: Session;
    /** The package module for a device (CPU or WebGPU), for the benchmark and test scripts. */
    kindlingModule?: typeof kindlingFor;
    /** The CPU build this browser runs by default (`relaxed` where relaxed SIMD validates). */
    kindlingCpuBuild?: CpuBuild;
    /** Runs a session in a fresh Web Worker (www/demo/session-worker.ts), for the scripts. */
    kindlingInWorker?: (request: WorkerRequest) => Promise<unknown>;
    /** The package's `WorkerSession` as webpack bundles it, for the test scripts. */
    kindlingWorkerSession?: typeof WorkerSession;
  }
}

const MODEL_URL = new URLSearchParams(location.search).get('model') ?? 'models/mnist/';

function el<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

const pad = el<HTMLCanvasElement>('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true })!;
const status = el<HTMLParagraphElement>('status');
const errorBox = el<HTMLParagraphElement>('error');
let session: Session | undefined;
/** Bumped by every load; a load that finishes after a newer one started is discarded. */
let loadGeneration = 0;
let predicting = false;
let pending = false;

function setStatus(state: 'loading' | 'ready' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function showError(err: unknown): void {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  errorBox.textContent = code ? `${code}: ${message}` : message;
}

function clearPad(): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

async function loadSession(device: DeviceChoice): Promise<void> {
  const generation = ++loadGeneration;
  setStatus('loading', 'Loading the model…');
  errorBox.textContent = '';
  session?.dispose();
  session = undefined;
  try {
    const { Session } = await kindlingFor(device);
    const loaded = await Session.load(MODEL_URL, { device });
    if (generation !== loadGeneration) {
      loaded.dispose();
      return;
    }
    session = loaded;
    window.kindlingSession = loaded;
    const m = session.manifest;
    el('model').textContent = `${m.name} v${m.version}`;
    el('device-name').textContent = session.fallbackReason
      ? `${session.device} (WebGPU unavailable: ${session.fallbackReason})`
      : session.device;
    performance.mark('kindling-ready');
    setStatus('ready', `Ready on ${session.device}. Draw a digit.`);
  } catch (err) {
    if (generation !== loadGeneration) return;
    setStatus('error', 'The model could not be loaded.');
    showError(err);
  }
}

function renderPrediction(out: Prediction): void {
  const bars = el('bars');
  bars.replaceChildren();
  const item = out.items[0];
  if (!item) return;
  bars.replaceChildren(...item.topK.map((c) => probabilityRow(c, 'div', 'bar')));
  el('latency').textContent = `${out.latencyMs.toFixed(1)} ms`;
  el('u-lc').textContent = item.uncertainty.leastConfidence.toFixed(3);
  el('u-margin').textContent = item.uncertainty.margin.toFixed(3);
  el('u-entropy').textContent = `${item.uncertainty.entropy.toFixed(3)} nats`;
  el('results').dataset.predictions = String(Number(el('results').dataset.predictions ?? 0) + 1);
}

/** Predicts the pad; coalesces requests that arrive while one runs. */
async function predictPad(): Promise<void> {
  if (!session) return;
  if (predicting) {
    pending = true;
    return;
  }
  predicting = true;
  try {
    const pixels = ctx.getImageData(0, 0, pad.width, pad.height);
    const input = session.preprocessImage(new Uint8Array(pixels.data.buffer), pad.width, pad.height);
    renderPrediction(await session.predict(input, 1, { topK: 5 }));
    errorBox.textContent = '';
  } catch (err) {
    showError(err);
  } finally {
    predicting = false;
    if (pending) {
      pending = false;
      void predictPad();
    }
  }
}

let drawing = false;
function point(e: PointerEvent): [number, number] {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
}
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  const [x, y] = point(e);
  ctx.beginPath();
  ctx.moveTo(x, y);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = point(e);
  ctx.lineTo(x, y);
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.stroke();
});
pad.addEventListener('pointerup', () => {
  drawing = false;
  void predictPad();
});

el('clear').addEventListener('click', clearPad);
el<HTMLSelectElement>('device').addEventListener('change', (e) => {
  void loadSession((e.target as HTMLSelectElement).value as DeviceChoice);
});
el<HTMLInputElement>('file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  // A file that is not an image rejects here: say so instead of failing silently.
  createImageBitmap(file).then((bitmap) => {
    clearPad();
    ctx.drawImage(bitmap, 0, 0, pad.width, pad.height);
    void predictPad();
  }, showError);
});

window.kindlingModule = kindlingFor;
window.kindlingCpuBuild = cpuBuild();
window.kindlingWorkerSession = WorkerSession;
window.kindlingInWorker = (request) => new Promise((resolve) => {
  const worker = new Worker(new URL('./session-worker.ts', import.meta.url), { name: 'demo-session' });
  worker.onmessage = (event) => {
    resolve(event.data);
    worker.terminate();
  };
  worker.postMessage(request);
});
clearPad();
/** `?device=cpu|webgpu|auto` picks the first device (default `auto`). */
const firstDevice = new URLSearchParams(location.search).get('device');
const startOn: DeviceChoice = firstDevice === 'cpu' || firstDevice === 'webgpu' ? firstDevice : 'auto';
el<HTMLSelectElement>('device').value = startOn;
void loadSession(startOn);
