/**
 * The labeling session without the DOM: which item is on screen, the queue ranked from the
 * model's predictions, labels made durable in key-press order, undo and skip, loading the
 * current model version, topping up the offline lease and refitting the local head. It talks
 * to the page only through a `LabelingScreen` (drawn by `labeling.ts`) and to the rest of the
 * app through the small interfaces below, so node's test runner can drive it with fakes and
 * fake timers (`tests/unit/labeling-controller.test.ts`).
 *
 * Lifecycle: `start()` once, `close()` once. After `close()` nothing is drawn any more (the
 * screen is wrapped by `whileOpen`), the refresh timer and the sync listeners are gone, and no
 * new model load, lease or local fit begins.
 */
import type { ClassScore, DeviceChoice, LabelValue, Strategy, Uncertainty } from 'kindling';
import type { ProjectInfo } from './api';
import { NetworkError, describe } from './api';
import { QuotaError, SupersededError } from './errors';
import type { LoadedModel, LocalLabel, PredictItem, WorkerPrediction } from './predictions';
import type { StoredItem } from './store';
import { labelValue } from './suggestion';

/** Keep at least this many unlabeled items held (offline reserve), topped up when online. */
export const HOLD_TARGET = 700;
/** Top up when fewer than this many unlabeled items are held. */
export const HOLD_LOW = 600;
/** How often the session checks for a new model version and tops up its lease. */
export const REFRESH_MS = 15_000;
/** Items (after the one on screen) whose images are decoded ahead. */
export const PRELOAD = 4;
/** Labels (of two classes or more) held on this device before the local head is fitted. */
export const LOCAL_MIN = 4;

/** A prediction as the queue and the suggestion panel use it. */
export interface Pred { topK: ClassScore[]; uncertainty: Uncertainty; }

/** The server as this session uses it (the view wires it to `Api`). */
export interface LabelingServer {
  /** The current model version, `null` when none is published; rejects with `NetworkError` offline. */
  currentModel(): Promise<string | null>;
  /** Leases up to `limit` items not in `held`, numbered from `firstOrder`; none when offline. */
  lease(limit: number, held: string[], firstOrder: number): Promise<StoredItem[]>;
  /** The URL of a model version's files. */
  modelBase(version: string): string;
  /** The bearer token model downloads use (it changes when the person signs in again). */
  token(): string;
}

/** The device's storage as this session uses it (`Store`). */
export interface LabelingStore {
  items(project: string): Promise<StoredItem[]>;
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta(key: string, value: unknown): Promise<void>;
  putItems(items: StoredItem[]): Promise<void>;
}

/** The sync engine as this session uses it (`SyncEngine`). */
export interface LabelingSync {
  /** This person's visible labels (pending or synced), by item. */
  visibleAll(): Record<string, LabelValue | null>;
  /** Calls `listener` when labels change from elsewhere (pulls, other tabs); returns the unsubscribe. */
  onLabelsChanged(listener: () => void): () => void;
  /** Calls `listener` with the current model version each pull reports; returns the unsubscribe. */
  onModelVersion(listener: (version: string) => void): () => void;
  /** Makes a label durable (label + outbox op in one transaction). */
  label(itemId: string, value: LabelValue): Promise<void>;
  /** Removes this person's label of an item (durably). */
  remove(itemId: string): Promise<void>;
}

/** What suggestions come from (`Inference`, the worker). */
export interface ModelRunner {
  /** The model in use, once one has loaded. */
  readonly model: LoadedModel | null;
  load(base: string, token: string, device: DeviceChoice, version: string, onProgress: (loaded: number, total: number) => void): Promise<LoadedModel>;
  predict(items: PredictItem[], onBatch: (results: WorkerPrediction[], version: string) => void): Promise<void>;
  local(labeled: LocalLabel[], items: PredictItem[], onFitted: (trainedOn: number, ms: number, words?: boolean) => void, onBatch: (results: WorkerPrediction[], version: string) => void): Promise<void>;
  scratch(labeled: LocalLabel[], items: PredictItem[], classes: string[], onFitted: (trainedOn: number, ms: number) => void, onBatch: (results: WorkerPrediction[], version: string) => void): Promise<void>;
}

/** Orders unlabeled item ids for labeling (`queue.ts::rank`, the runtime's `rankQueue`). */
export type Ranker = (ids: string[], uncertainty: Map<string, Uncertainty>, strategy: Strategy, seed: number) => string[];

/** What the session shows. The view draws it; text only ever goes through `textContent`. */
export interface LabelingScreen {
  /** The item to show, or `null` with the reason nothing is shown. */
  showItem(item: StoredItem | null, emptyMessage: string): void;
  /** Items to decode ahead (the one on screen first), and ids whose decoded images to keep (undo). */
  preload(wanted: StoredItem[], keep: Set<string>): void;
  /** The suggestion for the item on screen, or the placeholder when there is none. */
  showSuggestion(topK: ClassScore[] | undefined, placeholder: string): void;
  /** One line about the queue. */
  showQueueInfo(text: string): void;
  /** This session's labels, oldest first. */
  showRecent(history: string[], labeled: Record<string, LabelValue | null>): void;
  /** One line about the model in use. */
  showModelInfo(text: string): void;
  /** A model download in progress (`null`: none). */
  showModelProgress(progress: { version: string; loaded: number; total: number } | null): void;
  /** What is held for working offline. */
  showOfflineReserve(heldItems: number, cachedModel: string | null): void;
  /** A problem with the last action (`''` clears it). */
  showError(text: string): void;
  /** Something the person must act on before labeling can go on (storage full). */
  fatal(message: string): void;
}

/** Everything a `LabelingController` works with. */
export interface LabelingDeps {
  project: ProjectInfo;
  server: LabelingServer;
  store: LabelingStore;
  sync: LabelingSync;
  inference: ModelRunner;
  screen: LabelingScreen;
  rank: Ranker;
  device: DeviceChoice;
  /** The queue order to start with. */
  strategy: Strategy;
  /** An item to show first (a link to one item), if it is held. */
  firstItem?: string | null;
}

/** A key's meaning in the labeling view (`null`: not one of its keys). */
export type KeyAction =
  | { kind: 'label'; index: number }
  | { kind: 'accept' }
  | { kind: 'undo' }
  | { kind: 'skip' }
  | { kind: 'help' };

/** Maps a key (`KeyboardEvent.key`) to its action for a project with `classes` classes. */
export function keyAction(key: string, classes: number): KeyAction | null {
  if (/^[0-9]$/.test(key)) {
    const index = key === '0' ? 9 : Number(key) - 1;
    return index < classes ? { kind: 'label', index } : null;
  }
  switch (key) {
    case 'Enter': return { kind: 'accept' };
    case 'Backspace':
    case 'z': return { kind: 'undo' };
    case 's': return { kind: 'skip' };
    case '?': return { kind: 'help' };
    default: return null;
  }
}

/** One seed per project (FNV-1a of its id): every tab of this person shows the same order. */
export function projectSeed(projectId: string): number {
  return [...projectId].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
}

/** `target` whose methods do nothing once `signal` is aborted: a closed session draws nothing. */
export function whileOpen<T extends object>(target: T, signal: AbortSignal): T {
  return new Proxy(target, {
    get(t, key) {
      const value: unknown = Reflect.get(t, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (signal.aborted ? undefined : (value as (...a: unknown[]) => unknown).apply(t, args));
    },
  });
}

/** What the session exposes to tests and benchmarks (the view adds key-press latencies). */
export interface SessionProbe {
  /** The IndexedDB write of each label and its outbox op, in ms. */
  saves: number[];
  /** The item on screen. */
  current(): string | null;
  /** This person's visible label of an item (pending or synced). */
  visible(itemId: string): LabelValue | null | undefined;
  /** The model version in use. */
  modelVersion(): string | null;
  /** Items held and not labeled. */
  queued(): number;
  /** Items that have a prediction of the current model. */
  predicted(): number;
  /** Which model made the suggestions: the published version, or `local:<version>`. */
  predVersion(): string | null;
  /** The suggested class of an item, if it has one. */
  suggestion(itemId: string): string | undefined;
  /**
   * Labeled items the last local head learned from, once its suggestions for every held item
   * have arrived (0: none yet). Suggestions read after this are all the local head's.
   */
  localHead(): number;
}

/** One project's labeling session in this tab. */
export class LabelingController {
  private readonly project: ProjectInfo;
  private readonly screen: LabelingScreen;
  private readonly lifetime = new AbortController();
  private items = new Map<string, StoredItem>();
  private preds = new Map<string, Pred>();
  private predVersion: string | null = null;
  /** The local head fit in progress, and whether labels changed since it started. */
  private localFit: Promise<void> | null = null;
  private localDirty = false;
  /** Labeled items the local head was last fitted on, and how long that took. */
  private local = { trainedOn: 0, ms: 0, words: false };
  /** Labels of the last local fit whose re-predictions of the held items all arrived. */
  private localComplete = 0;
  /** A text project with no model yet: a `text_ngram` is trained in the worker from the labels. */
  private scratchText = false;
  private modelInfo = '';
  private labeled: Record<string, LabelValue | null> = {};
  private order: string[] = [];
  private skipped: string[] = [];
  private current: string | null = null;
  private readonly history: string[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private strategy: Strategy;
  private readonly seed: number;
  private readonly saves: number[] = [];
  /** The model load in progress, if any (pulls and the refresh timer both ask for one). */
  private modelLoad: Promise<void> | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: LabelingDeps) {
    this.project = deps.project;
    this.screen = whileOpen(deps.screen, this.lifetime.signal);
    this.strategy = deps.strategy;
    this.seed = projectSeed(deps.project.id);
  }

  private get closed(): boolean {
    return this.lifetime.signal.aborted;
  }

  /** Loads what is held, shows the first item, then brings model and lease up to date. */
  async start(): Promise<void> {
    const { store, sync, firstItem } = this.deps;
    for (const item of await store.items(this.project.id)) this.items.set(item.id, item);
    const cached = await store.getMeta<{ version: string; entries: [string, Pred][] }>(`preds:${this.project.id}`);
    if (cached) {
      this.predVersion = cached.version;
      this.preds = new Map(cached.entries);
    }
    if (this.closed) return;
    this.labeled = sync.visibleAll();
    this.unsubscribe.push(sync.onLabelsChanged(() => this.onRemoteLabels()));
    // Every pull says which model version is current: a new one is fetched at once.
    this.unsubscribe.push(sync.onModelVersion((version) => {
      if (!this.closed && version !== this.deps.inference.model?.version) void this.ensureModel();
    }));
    this.rerank();
    if (firstItem && this.items.has(firstItem)) {
      this.current = firstItem;
      this.order = this.order.filter((id) => id !== firstItem);
      this.render();
      this.preload();
    } else {
      this.advance();
    }
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  /** Ends the session: stops timers and listeners; nothing is drawn or started after this. */
  close(): void {
    if (this.closed) return;
    this.lifetime.abort();
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Aborted when the session is closed. */
  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  /** The queue order in use. */
  get queueStrategy(): Strategy {
    return this.strategy;
  }

  /** Orders the queue by another strategy (the item on screen stays). */
  setStrategy(strategy: Strategy): void {
    this.strategy = strategy;
    this.rerank();
    this.renderQueueInfo();
  }

  /** Read access for tests and benchmarks. */
  probe(): SessionProbe {
    return {
      saves: this.saves,
      current: () => this.current,
      visible: (id) => this.labeled[id],
      modelVersion: () => this.deps.inference.model?.version ?? null,
      queued: () => this.unlabeled().length,
      predicted: () => [...this.preds.keys()].filter((id) => this.items.has(id)).length,
      predVersion: () => this.predVersion,
      suggestion: (id) => this.preds.get(id)?.topK[0]?.label,
      localHead: () => this.localComplete,
    };
  }

  // ----- model, lease, predictions -----

  /** Checks for a new model version and tops up the lease; quiet when offline. */
  async refresh(): Promise<void> {
    await Promise.allSettled([this.ensureModel(), this.topUp()]);
    this.renderOfflineReserve();
  }

  /** Loads the current model version if it is not the one in use; one load at a time. */
  private ensureModel(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.modelLoad ??= this.loadCurrentModel().finally(() => {
      this.modelLoad = null;
    });
    return this.modelLoad;
  }

  private async loadCurrentModel(): Promise<void> {
    const { server, store, inference } = this.deps;
    const key = `model:${this.project.id}`;
    let version = await store.getMeta<string>(key);
    try {
      const current = await server.currentModel();
      if (!current) {
        if (this.project.task === 'text') {
          // Texts learn here from the first labels (a text_ngram trained in the worker).
          this.scratchText = true;
          this.modelInfo = 'No model published yet: learning in this browser';
          this.showModelInfo();
          this.scheduleLocalFit();
        } else {
          this.screen.showModelInfo('No model published for this project yet: label without suggestions.');
        }
        return;
      }
      this.scratchText = false;
      version = current;
      await store.setMeta(key, version);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      // Offline: the version seen last (its files are in the Cache API).
    }
    if (!version || inference.model?.version === version || this.closed) return;
    const loading = version;
    this.screen.showModelProgress({ version: loading, loaded: 0, total: 0 });
    try {
      const model = await inference.load(server.modelBase(loading), server.token(), this.deps.device, loading, (loaded, total) => {
        this.screen.showModelProgress({ version: loading, loaded, total });
      });
      const fallback = model.fallbackReason ? ` (WebGPU unavailable: ${model.fallbackReason})` : '';
      const threads = model.threads > 1 ? ` × ${model.threads} threads` : '';
      this.modelInfo = `Model ${model.version} on ${model.device}${threads}${fallback}`;
      this.local = { trainedOn: 0, ms: 0, words: false };
      this.localComplete = 0;
      this.showModelInfo();
      this.renderOfflineReserve();
    } catch (err) {
      this.screen.showModelInfo(`The model could not be loaded: ${describe(err)}`);
      return;
    } finally {
      this.screen.showModelProgress(null);
    }
    await this.predictMissing();
  }

  /** The held, unlabeled items: the one on screen and the next few first, so their suggestions show soonest. */
  private heldForPrediction(): PredictItem[] {
    const first = [this.current, ...this.order.slice(0, PRELOAD)].filter((id): id is string => !!id);
    return [...new Set([...first, ...this.order, ...this.skipped])].map((id) => {
      const item = this.items.get(id)!;
      return { id, content: item.content, type: item.content_type };
    });
  }

  /** Takes a batch of predictions made by `version` (dropped when another model's suggestions are in use). */
  private receive(results: WorkerPrediction[], version: string): void {
    if (version !== this.predVersion || this.closed) return;
    for (const r of results) this.preds.set(r.id, { topK: r.topK, uncertainty: r.uncertainty });
    this.rerank();
    if (this.current && results.some((r) => r.id === this.current)) this.renderSuggestion();
    this.renderQueueInfo();
  }

  /** Predicts every held, unlabeled item that has no prediction of the model in use. */
  private async predictMissing(): Promise<void> {
    const model = this.deps.inference.model;
    if (!model || this.closed) return;
    // The local head is in use: it predicts the new items too.
    if (this.predVersion === `local:${model.version}`) {
      this.scheduleLocalFit();
      return;
    }
    if (this.predVersion !== model.version) {
      // A new model: old suggestions go (a label must never record one model's suggestion
      // under another's version).
      this.preds.clear();
      this.predVersion = model.version;
      this.renderSuggestion();
    }
    const items = this.heldForPrediction().filter((i) => !this.preds.has(i.id));
    if (items.length === 0) {
      this.scheduleLocalFit();
      return;
    }
    try {
      await this.deps.inference.predict(items, (results, version) => this.receive(results, version));
      await this.deps.store.setMeta(`preds:${this.project.id}`, { version: this.predVersion, entries: [...this.preds] });
    } catch (err) {
      if ((err as { code?: string }).code === 'MODEL_REPLACED') void this.predictMissing();
      else if (!(err instanceof SupersededError)) this.screen.showModelInfo(`Prediction failed: ${describe(err)}`);
    }
    this.scheduleLocalFit();
  }

  /**
   * Refits the local head (a model with a backbone, or a text project learning from scratch)
   * on this person's labels held here, then re-predicts the held items with it: one fit at a
   * time, again if labels changed meanwhile. Offline like the rest; the published version is
   * untouched.
   */
  private scheduleLocalFit(): void {
    if (this.closed || !(this.deps.inference.model?.backbone || this.scratchText)) return;
    if (this.localFit) {
      this.localDirty = true;
      return;
    }
    this.localFit = this.fitLocal()
      .catch((err) => {
        if (!(err instanceof SupersededError)) this.screen.showModelInfo(`Local head failed: ${describe(err)}`);
      })
      .finally(() => {
        this.localFit = null;
        if (this.localDirty) {
          this.localDirty = false;
          this.scheduleLocalFit();
        }
      });
  }

  /** This person's labels of held items of the project's kind, as class indices. */
  private localLabels(): LocalLabel[] {
    const labeled: LocalLabel[] = [];
    for (const [id, value] of Object.entries(this.labeled)) {
      const item = this.items.get(id);
      const label = value ? this.project.labels.indexOf(value.class) : -1;
      if (!item || item.kind !== this.project.task || label < 0) continue;
      labeled.push({ item: { id, content: item.content, type: item.content_type }, label });
    }
    return labeled;
  }

  private async fitLocal(): Promise<void> {
    const { inference } = this.deps;
    const model = inference.model;
    const scratch = this.scratchText && !model;
    if (!model?.backbone && !scratch) return;
    const labeled = this.localLabels();
    if (labeled.length < LOCAL_MIN || new Set(labeled.map((l) => l.label)).size < 2) return;
    const items = this.heldForPrediction();
    const version = scratch ? 'local:scratch' : `local:${model!.version}`;
    let fitted = 0;
    const onFitted = (trainedOn: number, ms: number, words = false) => {
      fitted = trainedOn;
      this.local = { trainedOn, ms, words };
      // From here on, suggestions (and the labels that record them) are the local head's.
      this.predVersion = version;
      this.showModelInfo();
    };
    const onBatch = (results: WorkerPrediction[], from: string) => this.receive(results, from);
    if (scratch) await inference.scratch(labeled, items, this.project.labels, onFitted, onBatch);
    else await inference.local(labeled, items, onFitted, onBatch);
    if (version === this.predVersion) this.localComplete = fitted;
  }

  /** Leases more items while fewer than `HOLD_LOW` unlabeled ones are held. */
  private async topUp(): Promise<void> {
    const unlabeled = this.unlabeled().length + (this.current ? 1 : 0);
    if (unlabeled >= HOLD_LOW || this.closed) return;
    const stored = await this.deps.server.lease(HOLD_TARGET - unlabeled, [...this.items.keys()], this.items.size);
    if (stored.length === 0 || this.closed) return;
    try {
      await this.deps.store.putItems(stored);
    } catch (err) {
      if (err instanceof QuotaError) this.screen.fatal(err.message);
      throw err;
    }
    for (const item of stored) this.items.set(item.id, item);
    this.renderOfflineReserve();
    this.rerank();
    if (!this.current) this.advance();
    this.renderQueueInfo();
    void this.predictMissing();
  }

  // ----- queue -----

  private unlabeled(): string[] {
    return [...this.items.values()]
      .filter((i) => !this.labeled[i.id] && i.id !== this.current)
      .sort((a, b) => a.order - b.order)
      .map((i) => i.id);
  }

  private rerank(): void {
    const skipped = new Set(this.skipped);
    const candidates = this.unlabeled().filter((id) => !skipped.has(id));
    const uncertainty = new Map([...this.preds].map(([id, p]) => [id, p.uncertainty]));
    this.order = this.deps.rank(candidates, uncertainty, this.strategy, this.seed);
    this.skipped = this.skipped.filter((id) => this.items.has(id) && !this.labeled[id] && id !== this.current);
    this.preload();
  }

  /** Shows the next item of the queue (skipped ones last). */
  private advance(): void {
    this.current = this.order.shift() ?? this.skipped.shift() ?? null;
    this.render();
    this.preload();
  }

  private preload(): void {
    const wanted = [this.current, ...this.order.slice(0, PRELOAD)]
      .filter((id): id is string => !!id)
      .map((id) => this.items.get(id))
      .filter((item): item is StoredItem => !!item);
    this.screen.preload(wanted, new Set(this.history.slice(-2)));
  }

  private onRemoteLabels(): void {
    if (this.closed) return;
    this.labeled = this.deps.sync.visibleAll();
    this.scheduleLocalFit();
    this.rerank();
    if (this.current && this.labeled[this.current]) this.advance();
    this.renderRecent();
    this.renderQueueInfo();
  }

  // ----- actions (each returns when it has taken effect) -----

  /** Runs actions one after another, in the order they were asked for. */
  private enqueue(action: () => Promise<boolean>): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const run = this.chain.then(action).catch((err: unknown) => {
      if (err instanceof QuotaError) this.screen.fatal(err.message);
      else this.screen.showError(describe(err));
      return false;
    });
    this.chain = run;
    return run;
  }

  /**
   * Labels the item on screen now (what the person judged, even if the screen moves on before
   * the label is written) as class `classIndex`. Resolves `true` once the label is durable and
   * the next item is shown.
   */
  label(classIndex: number): Promise<boolean> {
    const id = this.current;
    const cls = this.project.labels[classIndex];
    if (!id || cls === undefined) return Promise.resolve(false);
    return this.enqueue(async () => {
      const value = labelValue(cls, this.preds.get(id)?.topK, this.predVersion);
      // Durable first: the label and its outbox op commit together before the view moves on.
      const saveStart = performance.now();
      await this.deps.sync.label(id, value);
      this.saves.push(performance.now() - saveStart);
      this.screen.showError('');
      this.labeled[id] = value;
      this.history.push(id);
      if (this.current === id) this.advance();
      this.renderRecent();
      this.scheduleLocalFit();
      return true;
    });
  }

  /** Labels the item on screen with the suggested class; says so when there is no suggestion. */
  accept(): Promise<boolean> {
    const id = this.current;
    const top = id ? this.preds.get(id)?.topK[0] : undefined;
    if (!top) {
      this.screen.showError('No suggestion to accept yet: pick a class with 1–9 / 0.');
      return Promise.resolve(false);
    }
    return this.label(top.index);
  }

  /** Removes this session's last label and shows its item again. */
  undo(): Promise<boolean> {
    return this.enqueue(async () => {
      const id = this.history.pop();
      if (!id) {
        this.screen.showError('Nothing to undo.');
        return false;
      }
      await this.deps.sync.remove(id);
      this.labeled[id] = null;
      if (this.current) this.order.unshift(this.current);
      this.current = id;
      this.render();
      this.renderRecent();
      return true;
    });
  }

  /** Moves the item on screen to the end of the queue. */
  skip(): Promise<boolean> {
    const id = this.current;
    if (!id) return Promise.resolve(false);
    return this.enqueue(async () => {
      if (this.current !== id) return false;
      this.skipped.push(id);
      this.advance();
      return true;
    });
  }

  // ----- what is shown -----

  /** The model in use, and the local head when it makes the suggestions. */
  private showModelInfo(): void {
    const local = this.predVersion?.startsWith('local:')
      ? ` · learning from your labels (${this.local.trainedOn}${this.local.words ? ', reading the words too' : ''}, fitted in ${Math.round(this.local.ms)} ms)`
      : '';
    this.screen.showModelInfo(`${this.modelInfo}${local}`);
  }

  private render(): void {
    const item = this.current ? this.items.get(this.current) ?? null : null;
    const empty = this.items.size === 0
      ? 'No items held yet. Connect to the server to fetch a batch.'
      : 'All held items are labeled. Connect to the server to fetch more.';
    this.screen.showItem(item, empty);
    this.renderSuggestion();
    this.renderQueueInfo();
  }

  private renderSuggestion(): void {
    const id = this.current;
    this.screen.showSuggestion(id ? this.preds.get(id)?.topK : undefined,
      id ? (this.deps.inference.model ? 'Predicting…' : 'No suggestion') : '—');
  }

  private renderQueueInfo(): void {
    const left = this.order.length + this.skipped.length + (this.current ? 1 : 0);
    const predicted = [...this.preds.keys()].filter((id) => this.items.has(id) && !this.labeled[id]).length;
    this.screen.showQueueInfo(`${left} to label here · ${predicted} predicted · ${this.history.length} labeled this session · order: ${this.strategy}`);
  }

  private renderRecent(): void {
    this.screen.showRecent(this.history, this.labeled);
  }

  private renderOfflineReserve(): void {
    const held = this.unlabeled().length + (this.current ? 1 : 0);
    this.screen.showOfflineReserve(held, this.deps.inference.model?.version ?? null);
  }
}
