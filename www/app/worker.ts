/**
 * The inference worker: loads a model version with the package's `Session.load` (byte progress,
 * kept in the Cache API for offline use), and predicts leased items in batches, so the page
 * never blocks on the model.
 */
/// <reference lib="webworker" />
import type { DeviceChoice, LoadProgress, Prediction, Session } from 'kindling';
import { kindlingFor } from '../shared/kindling-module';
import type { FromWorker, ItemRef, LabelRef, LocalLabel, PredictItem, ToWorker, WorkerPrediction } from './protocol';
import { imageBlob } from './store';
import { EmbeddingStore } from './embeddings';

declare const self: DedicatedWorkerGlobalScope;

/** Backbone element type the app downloads: f16 halves the bytes (docs/bundle-format.md). */
const BACKBONE_DTYPE = 'f16';
/** Items per predict call: 32 small images, or 8 photos for a backbone (results arrive sooner). */
const BATCH_SMALL = 32;
const BATCH_PHOTOS = 8;

let session: Session | undefined;
let version = '';
/** The backbone's hash (its f32 file's sha256) of the model in use, or null without one. */
let currentBackbone: string | null = null;
/** Embeddings of items, per backbone: computed once, kept in IndexedDB across reloads. */
const embeddings = new EmbeddingStore();

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

/**
 * Loads a model version through the package: `Session.load` downloads it with the token
 * (byte progress, summed over the files here for one bar), verifies it and keeps it in the
 * Cache API (manifest by URL, weights and the shared backbone by sha256), so a version loads
 * offline and a new head of a backbone project downloads only the head.
 */
async function load(base: string, token: string, device: DeviceChoice, wanted: string): Promise<void> {
  const headers = { Authorization: `Bearer ${token}` };
  const files = new Map<string, { loaded: number; total: number }>();
  const onProgress = (e: LoadProgress) => {
    if (!e.file) return;
    files.set(e.file, { loaded: e.loaded, total: Math.max(e.total, e.loaded) });
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += f.total;
    }
    post({ type: 'progress', version: wanted, loaded, total: total || 1 });
  };
  // The CPU module unless this device may run on WebGPU (www/shared/kindling-module.ts). Wasm
  // threads only for a backbone (EfficientNet-Lite0, MiniLM: 1.3–1.7× faster on 2 threads);
  // the threaded module is slower than the plain one on the small from-scratch models.
  const plain = await kindlingFor('cpu', { threads: 1 });
  const manifest = await plain.Session.fetchManifest(base, { headers });
  const dtype = manifest.backbone?.files.some((f) => f.dtype === BACKBONE_DTYPE) ? BACKBONE_DTYPE : 'f32';
  const { Session } = await kindlingFor(device, { threads: manifest.backbone ? undefined : 1 });
  const loaded = await Session.load(base, { headers, dtype, device, onProgress });
  session?.dispose();
  session = loaded;
  version = wanted;
  currentBackbone = manifest.backbone?.files[0]?.sha256 ?? null;
  post({
    type: 'loaded',
    version,
    device: loaded.device,
    fallbackReason: loaded.fallbackReason ?? null,
    threads: loaded.threads,
    threadsFallbackReason: loaded.threadsFallbackReason ?? null,
    labels: loaded.manifest.labels,
    backbone: currentBackbone,
  });
}

/** RGBA pixels of an encoded image. */
async function pixels(blob: Blob): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: ctx.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height };
}

/** The items of the kind `s` reads (texts for a text model, images for an image model). */
function readableBy(s: Session, items: PredictItem[]): PredictItem[] {
  const text = s.manifest.input.kind === 'text';
  return items.filter((i) => (typeof i.content === 'string') === text);
}

async function predict(job: number, items: PredictItem[]): Promise<void> {
  const s = session;
  if (!s) throw Object.assign(new Error('no model is loaded'), { code: 'NO_MODEL' });
  await streamPredictions(job, version, items, s.embeddingSize === undefined ? BATCH_SMALL : BATCH_PHOTOS, s, async (batch) => {
    if (currentBackbone) {
      const { ids, values } = await embedItems(s, batch);
      return ids.length === 0 ? null : { ids, out: await s.predictEmbeddings(values, ids.length, { topK: 5 }) };
    }
    const readable = readableBy(s, batch);
    if (readable.length === 0) return null;
    return { ids: readable.map((i) => i.id), out: await s.predict(await modelInput(s, readable), readable.length, { topK: 5 }) };
  });
}

/**
 * Predicts `items` batch by batch with `run` (null: nothing in that batch to predict), posting
 * each batch's results under `forVersion`. When `owner` (the session the batches run on) is
 * no longer the loaded one, says `MODEL_REPLACED` and stops: the page predicts again with the
 * new one.
 */
async function streamPredictions(
  job: number,
  forVersion: string,
  items: PredictItem[],
  size: number,
  owner: Session | null,
  run: (batch: PredictItem[]) => Promise<{ ids: string[]; out: Prediction } | null>,
): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    if (owner && session !== owner) {
      post({ type: 'error', job, code: 'MODEL_REPLACED', message: 'a newer model replaced the one predicting' });
      return;
    }
    const done = await run(items.slice(start, start + size));
    if (!done) continue;
    const results: WorkerPrediction[] = done.out.items.map((p, i) => ({ id: done.ids[i]!, topK: p.topK, uncertainty: p.uncertainty }));
    post({ type: 'predicted', job, version: forVersion, results, done: start + size >= items.length, latencyMs: done.out.latencyMs });
  }
  if (items.length === 0) post({ type: 'predicted', job, version: forVersion, results: [], done: true, latencyMs: 0 });
}

/**
 * The embeddings of the items of `items` the model reads (texts for a text model, images for
 * an image model; others are skipped), from the store, else computed and stored, in order,
 * with their ids.
 */
async function embedItems(s: Session, items: PredictItem[]): Promise<{ ids: string[]; values: Float32Array }> {
  const size = s.embeddingSize!;
  const key = currentBackbone!;
  const ids: string[] = [];
  const values = new Float32Array(items.length * size);
  const missing: PredictItem[] = [];
  const readable = readableBy(s, items);
  const known = await embeddings.getMany(key, readable.map((i) => i.id));
  for (const item of readable) {
    const e = known.get(item.id);
    if (e) {
      values.set(e, ids.length * size);
      ids.push(item.id);
    } else {
      missing.push(item);
    }
  }
  if (missing.length > 0) {
    const computed = await s.embed(await modelInput(s, missing), missing.length);
    const fresh = new Map<string, Float32Array>();
    for (const [i, item] of missing.entries()) {
      const e = computed.slice(i * size, (i + 1) * size);
      fresh.set(item.id, e);
      values.set(e, ids.length * size);
      ids.push(item.id);
    }
    await embeddings.putMany(key, fresh);
  }
  return { ids, values: values.subarray(0, ids.length * size) };
}

/** Model input for `items`, all of the kind the model reads: token ids of texts, or pixels. */
async function modelInput(s: Session, items: PredictItem[]): Promise<Float32Array> {
  if (s.manifest.input.kind === 'text') return s.encodeTexts(items.map((i) => i.content as string));
  const n = s.inputLength;
  const input = new Float32Array(items.length * n);
  for (const [i, item] of items.entries()) {
    const { data, width, height } = await pixels(imageBlob(item.content, item.type));
    input.set(s.preprocessImage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height), i * n);
  }
  return input;
}

/** Fits the local head on `labeled`, then predicts `items` with it (version `local:<v>`). */
async function local(job: number, labeled: LocalLabel[], items: PredictItem[]): Promise<void> {
  const s = session;
  if (!s || !currentBackbone) throw Object.assign(new Error('the model has no backbone: no local head'), { code: 'NO_BACKBONE' });
  const forVersion = `local:${version}`;
  const { ids, values } = await embedItems(s, labeled.map((l) => l.item));
  const classOf = new Map(labeled.map((l) => [l.item.id, l.label]));
  // A refit starts from the previous head: 20 steps keep it at ≤ 0.2 s for 1,000 labels
  // (scripts/bench-backbone.mjs), the first fit takes 100.
  const steps = s.localHeadTrainedOn > 0 ? 20 : 100;
  const fitted = await s.trainLocalHead(values, Uint32Array.from(ids, (id) => classOf.get(id)!), { steps });
  post({ type: 'local-fitted', job, trainedOn: fitted.trainedOn, ms: fitted.ms });
  await streamPredictions(job, forVersion, items, BATCH_PHOTOS, s, async (batch) => {
    const { ids, values } = await embedItems(s, batch);
    return ids.length === 0 ? null : { ids, out: await s.predictLocal(values, ids.length, { topK: 5 }) };
  });
}

/**
 * A text project with no model yet: trains a `text_ngram` on the labeled texts (in this worker,
 * offline), then predicts `items` with it under the version `local:scratch`.
 */
async function scratch(job: number, labeled: LocalLabel[], items: PredictItem[], classes: string[]): Promise<void> {
  const texts = labeled.filter((l) => typeof l.item.content === 'string');
  const started = performance.now();
  // A small model: the plain module (threads only pay off for backbones, see load()).
  const { Session } = await kindlingFor('cpu', { threads: 1 });
  const s = await Session.trainTextNgram(texts.map((l) => l.item.content as string), Uint32Array.from(texts, (l) => l.label), classes, {});
  post({ type: 'local-fitted', job, trainedOn: texts.length, ms: performance.now() - started });
  try {
    const readable = items.filter((i) => typeof i.content === 'string');
    // Not the loaded session: nothing can replace it mid-way.
    await streamPredictions(job, 'local:scratch', readable, BATCH_SMALL, null, async (batch) => ({
      ids: batch.map((i) => i.id),
      out: await s.predict(await modelInput(s, batch), batch.length, { topK: 5 }),
    }));
  } finally {
    s.dispose();
  }
}

/**
 * Ranks labeled items for review (`likelyErrors` of the package): features are the backbone's
 * embeddings where the model has one, else its class probabilities (then not strictly out of
 * sample where the published model trained on the item).
 */
async function rankLikelyErrors(job: number, labeled: LocalLabel[]): Promise<void> {
  const s = session;
  if (!s) throw Object.assign(new Error('no model is loaded'), { code: 'NO_MODEL' });
  const classOf = new Map(labeled.map((l) => [l.item.id, l.label]));
  const classes = s.manifest.labels.length;
  let ids: string[];
  let features: Float32Array;
  let size: number;
  if (currentBackbone) {
    ({ ids, values: features } = await embedItems(s, labeled.map((l) => l.item)));
    size = s.embeddingSize!;
  } else {
    const readable = readableBy(s, labeled.map((l) => l.item));
    ids = [];
    features = new Float32Array(readable.length * classes);
    for (let start = 0; start < readable.length; start += BATCH_SMALL) {
      const batch = readable.slice(start, start + BATCH_SMALL);
      const out = await s.predict(await modelInput(s, batch), batch.length, { topK: classes });
      for (const [i, p] of out.items.entries()) {
        for (const c of p.topK) features[(ids.length + i) * classes + c.index] = c.probability;
      }
      ids.push(...batch.map((b) => b.id));
    }
    size = classes;
  }
  const { likelyErrors } = await kindlingFor('cpu', { threads: 1 });
  const given = Uint32Array.from(ids, (id) => classOf.get(id)!);
  const ranked = await likelyErrors(features, size, given, classes, Math.min(5, ids.length));
  post({ type: 'ranked', job, ids, ranked, features: currentBackbone ? 'embeddings' : 'probabilities' });
}

/** Contents the page sent once, by item id (later messages refer to them). */
const contents = new Map<string, PredictItem>();

/** The items of a message with their contents (kept from an earlier message where left out). */
function resolve(items: ItemRef[]): PredictItem[] {
  return items.flatMap((i) => {
    if (i.content !== null) {
      const item = { id: i.id, content: i.content, type: i.type };
      contents.set(i.id, item);
      return [item];
    }
    const kept = contents.get(i.id);
    return kept ? [kept] : [];
  });
}

function resolveLabeled(labeled: LabelRef[]): LocalLabel[] {
  return labeled.flatMap((l) => resolve([l.item]).map((item) => ({ item, label: l.label })));
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  const fail = (err: unknown) => post({
    type: 'error',
    job: msg.type === 'load' ? -1 : msg.job,
    code: (err as { code?: string }).code ?? 'INTERNAL',
    message: err instanceof Error ? err.message : String(err),
  });
  if (msg.type === 'load') load(msg.base, msg.token, msg.device, msg.version).catch(fail);
  else if (msg.type === 'local') local(msg.job, resolveLabeled(msg.labeled), resolve(msg.items)).catch(fail);
  else if (msg.type === 'scratch') scratch(msg.job, resolveLabeled(msg.labeled), resolve(msg.items), msg.classes).catch(fail);
  else if (msg.type === 'likely-errors') rankLikelyErrors(msg.job, resolveLabeled(msg.labeled)).catch(fail);
  else predict(msg.job, resolve(msg.items)).catch(fail);
};

post({ type: 'ready' });
