/**
 * Suggestions for the app, computed in the package's Web Worker (`kindling/worker`): one
 * `KindlingWorker` holds the project's model (`WorkerSession.load`: byte progress, the Cache
 * API for offline use, the module its device needs — WebGPU, CPU threads for a backbone, the
 * plain CPU one), the `text_ngram`s a text project trains before it has a model, and the
 * likely-errors ranking. The page keeps item contents and the embedding store; photos cross to
 * the worker as decoded `ImageBitmap`s (transferred), so the page never blocks on a model.
 * One job at a time: a newer one supersedes the older (its queued requests are cancelled).
 */
import { Session, type DeviceChoice, type LikelyError, type LoadProgress, type Prediction } from 'kindling/web';
import { KindlingWorker, WorkerSession, likelyErrors } from 'kindling/worker';
import type { LoadedModel, LocalLabel, PredictItem, WorkerPrediction } from './predictions';
import { SupersededError } from './errors';
import { EmbeddingStore } from './embeddings';
import { imageBlob } from './store';
import { cpuModule } from './kindling-cpu';

export { SupersededError };
export type { LoadedModel };

/** Backbone element type the app downloads: f16 halves the bytes (docs/bundle-format.md). */
const BACKBONE_DTYPE = 'f16';
/** Items per predict call: 32 small images, or 8 photos for a backbone (results arrive sooner). */
const BATCH_SMALL = 32;
const BATCH_PHOTOS = 8;

/** A batch's results and the ids they belong to (null: nothing in the batch to predict). */
type BatchRun = (batch: PredictItem[]) => Promise<{ ids: string[]; out: Prediction } | null>;

function failure(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** The items of the kind `s` reads (texts for a text model, images for an image model). */
function readableBy(s: WorkerSession, items: PredictItem[]): PredictItem[] {
  const text = s.manifest.input.kind === 'text';
  return items.filter((i) => (typeof i.content === 'string') === text);
}

/** Model input for `items`, all of the kind `s` reads: token ids of texts, or pixels. */
async function modelInput(s: WorkerSession, items: PredictItem[]): Promise<Float32Array> {
  if (s.manifest.input.kind === 'text') return s.encodeTexts(items.map((i) => i.content as string));
  // Decoded off the main thread (`createImageBitmap`), read into pixels in the worker.
  const rows = await Promise.all(items.map(async (i) => s.preprocessImageBitmap(await createImageBitmap(imageBlob(i.content, i.type)))));
  const input = new Float32Array(items.length * s.inputLength);
  rows.forEach((row, i) => input.set(row, i * s.inputLength));
  return input;
}

/** The app's models, in the package's worker. */
export class Inference {
  /** The page's compiled CPU module goes along: the worker's CPU sessions do not compile it again. */
  private readonly worker = new KindlingWorker({ cpuModule });
  private session: WorkerSession | null = null;
  /** The backbone's hash (its first file's sha256) of the model in use, or null without one. */
  private backbone: string | null = null;
  /** Embeddings of items, per backbone: computed once, kept in IndexedDB across reloads. */
  private readonly embeddings = new EmbeddingStore();
  /** The job running, if any: aborting it supersedes it. */
  private job: AbortController | null = null;
  /** The load running, if any. */
  private loading: AbortController | null = null;
  /** The model in use, once one has loaded. */
  model: LoadedModel | null = null;

  /**
   * Loads `version` from `base` (`/api/v1/projects/{p}/models/{v}/`) with the token; progress
   * is the bytes of all its files together. A newer load supersedes it.
   */
  async load(base: string, token: string, device: DeviceChoice, version: string, onProgress: (loaded: number, total: number) => void): Promise<LoadedModel> {
    this.loading?.abort();
    const mine = new AbortController();
    this.loading = mine;
    const headers = { Authorization: `Bearer ${token}` };
    const files = new Map<string, { loaded: number; total: number }>();
    const progress = (e: LoadProgress) => {
      if (!e.file || mine.signal.aborted) return;
      files.set(e.file, { loaded: e.loaded, total: Math.max(e.total, e.loaded) });
      let loaded = 0;
      let total = 0;
      for (const f of files.values()) {
        loaded += f.loaded;
        total += f.total;
      }
      onProgress(loaded, total || 1);
    };
    // The manifest says which backbone file to take and whether threads pay: CPU threads only
    // for a backbone (EfficientNet-Lite0, MiniLM: 1.3–1.7× faster on 2 threads); the threaded
    // module is slower than the plain one on the small from-scratch models.
    const manifest = await Session.fetchManifest(base, { headers });
    const dtype = manifest.backbone?.files.some((f) => f.dtype === BACKBONE_DTYPE) ? BACKBONE_DTYPE : 'f32';
    const loaded = await WorkerSession.load(base, {
      worker: this.worker,
      headers,
      dtype,
      device,
      ...(manifest.backbone ? {} : { threads: 1 }),
      onProgress: progress,
    });
    if (mine.signal.aborted) {
      loaded.dispose();
      throw new SupersededError('superseded by a newer model');
    }
    this.loading = null;
    this.session?.dispose();
    this.session = loaded;
    this.backbone = manifest.backbone?.files[0]?.sha256 ?? null;
    this.model = {
      version,
      device: loaded.device,
      fallbackReason: loaded.fallbackReason,
      threads: loaded.threads,
      threadsFallbackReason: loaded.threadsFallbackReason,
      labels: loaded.manifest.labels,
      backbone: this.backbone,
    };
    return this.model;
  }

  /**
   * Predicts `items`, calling `onBatch` as batches finish; resolves when all are done. A newer
   * call supersedes it (rejects with `SupersededError`; no more callbacks).
   */
  predict(items: PredictItem[], onBatch: (results: WorkerPrediction[], version: string) => void): Promise<void> {
    return this.run(async (signal) => {
      const s = this.loaded();
      const version = this.model!.version;
      const backbone = this.backbone;
      await this.stream(signal, version, items, s.embeddingSize === null ? BATCH_SMALL : BATCH_PHOTOS, s, onBatch, async (batch) => {
        if (backbone) {
          const { ids, values } = await this.embedItems(s, backbone, batch, signal);
          return ids.length === 0 ? null : { ids, out: await s.predictEmbeddings(values, ids.length, { topK: 5, signal }) };
        }
        const readable = readableBy(s, batch);
        if (readable.length === 0) return null;
        return { ids: readable.map((i) => i.id), out: await s.predict(await modelInput(s, readable), readable.length, { topK: 5, signal }) };
      });
    });
  }

  /**
   * Fits the local head on `labeled` and predicts `items` with it (version `local:<v>`), like
   * `predict`; `onFitted` hears how many labels it learned from, how long it took and whether
   * it reads the texts' words too.
   */
  local(
    labeled: LocalLabel[],
    items: PredictItem[],
    onFitted: (trainedOn: number, ms: number, words?: boolean) => void,
    onBatch: (results: WorkerPrediction[], version: string) => void,
  ): Promise<void> {
    return this.run(async (signal) => {
      const s = this.loaded();
      const backbone = this.backbone;
      if (!backbone) throw failure('NO_BACKBONE', 'the model has no backbone: no local head');
      const version = `local:${this.model!.version}`;
      const { ids, values } = await this.embedItems(s, backbone, labeled.map((l) => l.item), signal);
      const classOf = new Map(labeled.map((l) => [l.item.id, l.label]));
      // Photos: SVMs fitted to convergence, as the server's jobs fit them (no options). Texts:
      // softmax regression or the words head, warm-started from the previous fit: 20 steps keep
      // a refit at ≤ 0.2 s for 1,000 labels (scripts/bench-backbone.mjs), the first takes 100.
      const options = s.manifest.input.kind === 'text' ? { steps: s.localHeadTrainedOn > 0 ? 20 : 100 } : {};
      const fitted = await s.trainLocalHead(values, Uint32Array.from(ids, (id) => classOf.get(id)!), options);
      if (signal.aborted) return;
      onFitted(fitted.trainedOn, fitted.ms, fitted.words);
      await this.stream(signal, version, items, BATCH_PHOTOS, s, onBatch, async (batch) => {
        const { ids, values } = await this.embedItems(s, backbone, batch, signal);
        return ids.length === 0 ? null : { ids, out: await s.predictLocal(values, ids.length, { topK: 5, signal }) };
      });
    });
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
    return this.run(async (signal) => {
      const texts = labeled.filter((l) => typeof l.item.content === 'string');
      const started = performance.now();
      const s = await WorkerSession.trainTextNgram(texts.map((l) => l.item.content as string), Uint32Array.from(texts, (l) => l.label), classes, { worker: this.worker });
      try {
        if (signal.aborted) return;
        onFitted(texts.length, performance.now() - started);
        const readable = items.filter((i) => typeof i.content === 'string');
        // Not the loaded model: a new one does not interrupt it.
        await this.stream(signal, 'local:scratch', readable, BATCH_SMALL, null, onBatch, async (batch) => ({
          ids: batch.map((i) => i.id),
          out: await s.predict(await modelInput(s, batch), batch.length, { topK: 5, signal }),
        }));
      } finally {
        s.dispose();
      }
    });
  }

  /**
   * Ranks labeled items for review, most likely wrong first (the package's `likelyErrors`, in
   * the worker): features are the backbone's embeddings where the model has one, else its class
   * probabilities (then not strictly out of sample where the published model trained on the
   * item). Resolves to each ranked item's id with its `LikelyError`, and which features it used.
   */
  likelyErrors(labeled: LocalLabel[]): Promise<{ ranked: (LikelyError & { id: string })[]; features: 'embeddings' | 'probabilities' }> {
    let result: { ranked: (LikelyError & { id: string })[]; features: 'embeddings' | 'probabilities' } | null = null;
    return this.run(async (signal) => {
      const s = this.loaded();
      const backbone = this.backbone;
      const classOf = new Map(labeled.map((l) => [l.item.id, l.label]));
      const classes = s.manifest.labels.length;
      let ids: string[];
      let features: Float32Array;
      let size: number;
      if (backbone) {
        let rows: Float32Array;
        ({ ids, values: rows } = await this.embedItems(s, backbone, labeled.map((l) => l.item), signal));
        // The embeddings' vectors only: a text backbone's rows end in hashed word ids.
        size = s.vectorSize!;
        features = vectorsOf(rows, s.embeddingSize!, size);
      } else {
        const readable = readableBy(s, labeled.map((l) => l.item));
        ids = [];
        features = new Float32Array(readable.length * classes);
        for (let start = 0; start < readable.length; start += BATCH_SMALL) {
          const batch = readable.slice(start, start + BATCH_SMALL);
          const out = await s.predict(await modelInput(s, batch), batch.length, { topK: classes, signal });
          for (const [i, p] of out.items.entries()) {
            for (const c of p.topK) features[(ids.length + i) * classes + c.index] = c.probability;
          }
          ids.push(...batch.map((b) => b.id));
        }
        size = classes;
      }
      const given = Uint32Array.from(ids, (id) => classOf.get(id)!);
      // Neighbour agreement only among embeddings (among probabilities it was measured to hurt).
      const ranked = await likelyErrors(features, size, given, classes, { folds: Math.min(5, ids.length), neighbours: backbone !== null, worker: this.worker });
      result = { ranked: ranked.map((r) => ({ ...r, id: ids[r.index]! })), features: backbone ? 'embeddings' : 'probabilities' };
    }).then(() => result!);
  }

  private loaded(): WorkerSession {
    if (!this.session) throw failure('NO_MODEL', 'no model is loaded');
    return this.session;
  }

  /** Runs `work` as the current job: supersedes the one before (which rejects at once). */
  private run(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    this.job?.abort(new SupersededError('superseded by a newer prediction'));
    const job = new AbortController();
    this.job = job;
    const superseded = new Promise<never>((_, reject) => {
      job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true });
    });
    superseded.catch(() => {});
    const done = work(job.signal).finally(() => {
      if (this.job === job) this.job = null;
    });
    // A superseded job's own failure (its cancelled requests) concerns nobody.
    done.catch(() => {});
    return Promise.race([done, superseded]);
  }

  /**
   * Predicts `items` batch by batch with `batchRun`, giving each batch's results to `onBatch`
   * under `version` while the job is current. When `owner` (the session the batches run on) is
   * no longer the loaded one, rejects with `MODEL_REPLACED`: the page predicts again with the
   * new one.
   */
  private async stream(
    signal: AbortSignal,
    version: string,
    items: PredictItem[],
    size: number,
    owner: WorkerSession | null,
    onBatch: (results: WorkerPrediction[], version: string) => void,
    batchRun: BatchRun,
  ): Promise<void> {
    for (let start = 0; start < items.length; start += size) {
      if (signal.aborted) return;
      if (owner && this.session !== owner) throw failure('MODEL_REPLACED', 'a newer model replaced the one predicting');
      const done = await batchRun(items.slice(start, start + size));
      if (!done || signal.aborted) continue;
      onBatch(done.out.items.map((p, i) => ({ id: done.ids[i]!, topK: p.topK, uncertainty: p.uncertainty })), version);
    }
  }

  /**
   * The embeddings of the items of `items` that `s` reads, from the store, else computed and
   * stored, in order, with their ids.
   */
  private async embedItems(s: WorkerSession, backbone: string, items: PredictItem[], signal: AbortSignal): Promise<{ ids: string[]; values: Float32Array }> {
    const size = s.embeddingSize!;
    const ids: string[] = [];
    const values = new Float32Array(items.length * size);
    const missing: PredictItem[] = [];
    const readable = readableBy(s, items);
    // The same backbone file reads another input spec (more tokens, word ids, another photo
    // size) into other embeddings: stored under both.
    const key = `${backbone} ${JSON.stringify(s.manifest.input)}`;
    const known = await this.embeddings.getMany(key, readable.map((i) => i.id));
    for (const item of readable) {
      const e = known.get(item.id);
      // A stored row of another length (a damaged entry) is recomputed.
      if (e && e.length === size) {
        values.set(e, ids.length * size);
        ids.push(item.id);
      } else {
        missing.push(item);
      }
    }
    if (missing.length > 0) {
      const computed = await s.embed(await modelInput(s, missing), missing.length, { signal });
      const fresh = new Map<string, Float32Array>();
      for (const [i, item] of missing.entries()) {
        const e = computed.slice(i * size, (i + 1) * size);
        fresh.set(item.id, e);
        values.set(e, ids.length * size);
        ids.push(item.id);
      }
      await this.embeddings.putMany(key, fresh);
    }
    return { ids, values: values.subarray(0, ids.length * size) };
  }
}

/** The first `vector` values of each `size`-value row of `rows`. */
function vectorsOf(rows: Float32Array, size: number, vector: number): Float32Array {
  if (size === vector) return rows;
  const n = rows.length / size;
  const out = new Float32Array(n * vector);
  for (let i = 0; i < n; i++) out.set(rows.subarray(i * size, i * size + vector), i * vector);
  return out;
}
