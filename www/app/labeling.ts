/**
 * The labeling view: one item at a time, the model's suggestion with its probability and the
 * top-k, keys to confirm or correct, undo and skip. The queue is ranked in the browser from
 * predictions made in the worker; the next item is decoded ahead, so it appears in the frame
 * after the key press — once its label is durable in IndexedDB.
 */
import type { ClassScore, DeviceChoice, LabelValue, Uncertainty } from 'kindling';
import { Api, NetworkError, describe, type ProjectInfo } from './api';
import { Inference, SupersededError } from './inference';
import type { LocalLabel, WorkerPrediction } from './protocol';
import { rank, STRATEGIES, type Strategy } from './queue';
import { QuotaError, Store, imageBlob, type StoredItem } from './store';
import { SyncEngine } from './sync';
import { $, formatPercent } from './dom';
import { classButtons, showRecent, showSuggestion } from './labeling-dom';
import { leaseItems } from './lease';
import { labelValue } from './suggestion';

/** Keep at least this many unlabeled items held (offline reserve), topped up when online. */
export const HOLD_TARGET = 700;
/** Top up when fewer than this many unlabeled items are held. */
const HOLD_LOW = 600;
/** How often the view checks for a new model version and tops up its lease. */
const REFRESH_MS = 15_000;
/** Decoded images kept ahead of the current item. */
const PRELOAD = 4;
/** Images up to this many pixels a side are drawings, shown with crisp pixels; larger ones are photos. */
const PIXEL_ART_MAX = 96;
/** Labels (of two classes or more) held on this device before the local head is fitted. */
const LOCAL_MIN = 4;

interface Pred { topK: ClassScore[]; uncertainty: Uncertainty; }

/** What the view exposes to tests and benchmarks (`window.kindlingApp`). */
export interface AppProbe {
  /** Key press to next item on screen, in ms, one entry per label. */
  latencies: number[];
  /** Of which: the IndexedDB write of the label and its outbox op, in ms. */
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

declare global {
  interface Window { kindlingApp?: AppProbe; }
}

/** One project's labeling session in this tab. */
export class LabelingView {
  private items = new Map<string, StoredItem>();
  private preds = new Map<string, Pred>();
  private predVersion: string | null = null;
  /** The local head fit in progress, and whether labels changed since it started. */
  private localFit: Promise<void> | null = null;
  private localDirty = false;
  /** Labeled items the local head was last fitted on, and how long that took. */
  private local = { trainedOn: 0, ms: 0 };
  /** Labels of the last local fit whose re-predictions of the held items all arrived. */
  private localComplete = 0;
  /** A text project with no model yet: a `text_ngram` is trained in the worker from the labels. */
  private scratchText = false;
  private modelInfo = '';
  private labeled: Record<string, LabelValue | null> = {};
  private order: string[] = [];
  private skipped: string[] = [];
  private current: string | null = null;
  private history: string[] = [];
  private images = new Map<string, { url: string; img: HTMLImageElement }>();
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private strategy: Strategy;
  private readonly seed: number;
  private stopped = false;
  private readonly latencies: number[] = [];
  private readonly saves: number[] = [];
  private readonly keyHandler = (e: KeyboardEvent) => this.onKey(e);
  /** The model load in progress, if any (pulls and the refresh timer both ask for one). */
  private modelLoad: Promise<void> | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private api: Api,
    private readonly store: Store,
    private readonly sync: SyncEngine,
    private readonly inference: Inference,
    private readonly project: ProjectInfo,
    private readonly device: DeviceChoice,
    private readonly onFatal: (message: string) => void,
    /** An item to show first (a link to one item), if it is held. */
    private readonly firstItem: string | null = null,
  ) {
    const saved = localStorage.getItem('kindling.strategy') as Strategy | null;
    // Margin needed the fewest labels in `kindling bench active-learning` (README).
    this.strategy = saved && STRATEGIES.includes(saved) ? saved : 'margin';
    // One seed per project: every tab of this person shows the same order.
    this.seed = [...project.id].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
  }

  /** Uses a new token after signing in again. */
  setApi(api: Api): void {
    this.api = api;
  }

  /** Loads what is held, shows the first item, then brings model and lease up to date. */
  async start(): Promise<void> {
    this.buildControls();
    for (const item of await this.store.items(this.project.id)) this.items.set(item.id, item);
    const cached = await this.store.getMeta<{ version: string; entries: [string, Pred][] }>(`preds:${this.project.id}`);
    if (cached) {
      this.predVersion = cached.version;
      this.preds = new Map(cached.entries);
    }
    this.labeled = this.sync.visibleAll();
    // A view left behind must not draw into the page: stop() unsubscribes.
    this.unsubscribe.push(this.sync.onLabelsChanged(() => this.onRemoteLabels()));
    // Every pull says which model version is current: a new one is fetched at once.
    this.unsubscribe.push(this.sync.onModelVersion((version) => {
      if (!this.stopped && version !== this.inference.model?.version) void this.ensureModel();
    }));
    this.rerank();
    if (this.firstItem && this.items.has(this.firstItem)) {
      this.current = this.firstItem;
      this.order = this.order.filter((id) => id !== this.firstItem);
      this.render();
      this.preload();
    } else {
      this.advance();
    }
    document.addEventListener('keydown', this.keyHandler);
    window.kindlingApp = {
      latencies: this.latencies,
      saves: this.saves,
      current: () => this.current,
      visible: (id) => this.labeled[id],
      modelVersion: () => this.inference.model?.version ?? null,
      queued: () => this.unlabeled().length,
      predicted: () => [...this.preds.keys()].filter((id) => this.items.has(id)).length,
      predVersion: () => this.predVersion,
      suggestion: (id) => this.preds.get(id)?.topK[0]?.label,
      localHead: () => this.localComplete,
    };
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  /** Leaves the view. */
  stop(): void {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    document.removeEventListener('keydown', this.keyHandler);
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const { url } of this.images.values()) URL.revokeObjectURL(url);
    this.images.clear();
  }

  // ----- model, lease, predictions -----

  /** Checks for a new model version and tops up the lease; quiet when offline. */
  async refresh(): Promise<void> {
    await Promise.allSettled([this.ensureModel(), this.topUp()]);
    this.updateOfflineReady();
  }

  private modelBase(version: string): string {
    return this.api.url(`/projects/${encodeURIComponent(this.project.id)}/models/${encodeURIComponent(version)}/`);
  }

  /** Loads the current model version if it is not the one in use; one load at a time. */
  private ensureModel(): Promise<void> {
    this.modelLoad ??= this.loadCurrentModel().finally(() => {
      this.modelLoad = null;
    });
    return this.modelLoad;
  }

  private async loadCurrentModel(): Promise<void> {
    const key = `model:${this.project.id}`;
    let version = await this.store.getMeta<string>(key);
    try {
      // The list, not `models/current`: "no model yet" is a normal state, not a 404.
      const { versions } = await this.api.get<{ versions: { version: string; current: boolean }[] }>(
        `/projects/${encodeURIComponent(this.project.id)}/models`);
      const current = versions.find((v) => v.current)?.version;
      if (!current) {
        if (this.project.task === 'text') {
          // Texts learn here from the first labels (a text_ngram trained in the worker).
          this.scratchText = true;
          this.modelInfo = 'No model published yet: learning in this browser';
          this.showModelInfo();
          this.scheduleLocalFit();
        } else {
          this.setModelInfo('No model published for this project yet: label without suggestions.');
        }
        return;
      }
      this.scratchText = false;
      version = current;
      await this.store.setMeta(key, version);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      // Offline: the version seen last (its files are in the Cache API).
    }
    if (!version || this.inference.model?.version === version) return;
    const bar = $<HTMLProgressElement>('model-progress');
    const label = $('model-progress-label');
    bar.hidden = false;
    label.hidden = false;
    label.textContent = `Loading model ${version}…`;
    performance.mark('kindling:model-load');
    try {
      const model = await this.inference.load(this.modelBase(version), this.api.token, this.device, version, (loaded, total) => {
        bar.max = total;
        bar.value = loaded;
        label.textContent = `Downloading model ${version}: ${formatPercent(loaded / total)}`;
      });
      performance.mark('kindling:model-loaded');
      const fallback = model.fallbackReason ? ` (WebGPU unavailable: ${model.fallbackReason})` : '';
      const threads = model.threads > 1 ? ` × ${model.threads} threads` : '';
      this.modelInfo = `Model ${model.version} on ${model.device}${threads}${fallback}`;
      this.local = { trainedOn: 0, ms: 0 };
      this.localComplete = 0;
      this.showModelInfo();
      this.updateOfflineReady();
    } catch (err) {
      this.setModelInfo(`The model could not be loaded: ${describe(err)}`);
      return;
    } finally {
      bar.hidden = true;
      label.hidden = true;
    }
    await this.predictMissing();
  }

  /** Predicts every held, unlabeled item that has no prediction of the model in use. */
  private async predictMissing(): Promise<void> {
    const model = this.inference.model;
    if (!model) return;
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
    // The item on screen and the next few first, so their suggestions show soonest.
    const first = [this.current, ...this.order.slice(0, PRELOAD)].filter((id): id is string => !!id);
    const ids = [...new Set([...first, ...this.order, ...this.skipped])].filter((id) => !this.preds.has(id));
    if (ids.length === 0) {
      this.scheduleLocalFit();
      return;
    }
    const items = ids.map((id) => {
      const item = this.items.get(id)!;
      return { id, content: item.content, type: item.content_type };
    });
    try {
      await this.inference.predict(items, (results, version) => {
        if (version !== this.predVersion) return;
        for (const r of results) this.preds.set(r.id, { topK: r.topK, uncertainty: r.uncertainty });
        this.rerank();
        if (this.current && results.some((r) => r.id === this.current)) this.renderSuggestion();
        this.renderQueueInfo();
      });
      await this.store.setMeta(`preds:${this.project.id}`, { version: this.predVersion, entries: [...this.preds] });
    } catch (err) {
      if ((err as { code?: string }).code === 'MODEL_REPLACED') void this.predictMissing();
      else if (!(err instanceof SupersededError)) this.setModelInfo(`Prediction failed: ${describe(err)}`);
    }
    this.scheduleLocalFit();
  }

  /**
   * Refits the local head (a model with a backbone only) on this person's labels held here,
   * then re-predicts the held items with it: one fit at a time, again if labels changed
   * meanwhile. Offline like the rest; the published version is untouched.
   */
  private scheduleLocalFit(): void {
    if (this.stopped || !(this.inference.model?.backbone || this.scratchText)) return;
    if (this.localFit) {
      this.localDirty = true;
      return;
    }
    this.localFit = this.fitLocal()
      .catch((err) => {
        if (!(err instanceof SupersededError)) this.setModelInfo(`Local head failed: ${describe(err)}`);
      })
      .finally(() => {
        this.localFit = null;
        if (this.localDirty) {
          this.localDirty = false;
          this.scheduleLocalFit();
        }
      });
  }

  private async fitLocal(): Promise<void> {
    const model = this.inference.model;
    const scratch = this.scratchText && !model;
    if (!model?.backbone && !scratch) return;
    const labeled: LocalLabel[] = [];
    for (const [id, value] of Object.entries(this.labeled)) {
      const item = this.items.get(id);
      const label = value ? this.project.labels.indexOf(value.class) : -1;
      if (!item || item.kind !== this.project.task || label < 0) continue;
      labeled.push({ item: { id, content: item.content, type: item.content_type }, label });
    }
    if (labeled.length < LOCAL_MIN || new Set(labeled.map((l) => l.label)).size < 2) return;
    const first = [this.current, ...this.order.slice(0, PRELOAD)].filter((id): id is string => !!id);
    const ids = [...new Set([...first, ...this.order, ...this.skipped])];
    const items = ids.map((id) => {
      const item = this.items.get(id)!;
      return { id, content: item.content, type: item.content_type };
    });
    const version = scratch ? 'local:scratch' : `local:${model!.version}`;
    const fit = scratch
      ? (onFitted: (trainedOn: number, ms: number) => void, onBatch: (results: WorkerPrediction[], from: string) => void) =>
          this.inference.scratch(labeled, items, this.project.labels, onFitted, onBatch)
      : (onFitted: (trainedOn: number, ms: number) => void, onBatch: (results: WorkerPrediction[], from: string) => void) =>
          this.inference.local(labeled, items, onFitted, onBatch);
    let fitted = 0;
    await fit(
      (trainedOn, ms) => {
        fitted = trainedOn;
        this.local = { trainedOn, ms };
        // From here on, suggestions (and the labels that record them) are the local head's.
        this.predVersion = version;
        this.showModelInfo();
      },
      (results, from) => {
        if (from !== this.predVersion) return;
        for (const r of results) this.preds.set(r.id, { topK: r.topK, uncertainty: r.uncertainty });
        this.rerank();
        if (this.current && results.some((r) => r.id === this.current)) this.renderSuggestion();
        this.renderQueueInfo();
      },
    );
    if (version === this.predVersion) this.localComplete = fitted;
  }

  /** Leases more items while fewer than `HOLD_LOW` unlabeled ones are held. */
  private async topUp(): Promise<void> {
    const unlabeled = this.unlabeled().length + (this.current ? 1 : 0);
    if (unlabeled >= HOLD_LOW || this.stopped) return;
    performance.mark('kindling:lease');
    const stored = await leaseItems(this.api, this.project.id, HOLD_TARGET - unlabeled, [...this.items.keys()], this.items.size);
    if (stored.length === 0) return;
    try {
      await this.store.putItems(stored);
    } catch (err) {
      if (err instanceof QuotaError) this.onFatal(err.message);
      throw err;
    }
    for (const item of stored) this.items.set(item.id, item);
    performance.mark('kindling:leased');
    this.updateOfflineReady();
    this.rerank();
    if (!this.current) this.advance();
    this.renderQueueInfo();
    void this.predictMissing();
  }

  private updateOfflineReady(): void {
    if (this.stopped) return; // a view left behind draws nothing
    const held = this.unlabeled().length + (this.current ? 1 : 0);
    const sw = navigator.serviceWorker?.controller ? 'app cached' : 'app not cached yet';
    const model = this.inference.model ? `model ${this.inference.model.version} cached` : 'no model';
    $('offline-ready').textContent = `Offline reserve: ${held} items held · ${model} · ${sw}`;
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
    this.order = rank(candidates, uncertainty, this.strategy, this.seed);
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
    const wanted = new Set([this.current, ...this.order.slice(0, PRELOAD)].filter((id): id is string => !!id));
    for (const id of wanted) {
      const item = this.items.get(id);
      if (!item || item.kind !== 'image' || this.images.has(id)) continue;
      const img = new Image();
      const url = URL.createObjectURL(imageBlob(item.content, item.content_type));
      img.src = url;
      img.alt = `Item ${id}`;
      img.className = 'item-image';
      // Small drawings (digits, icons) are scaled up with crisp pixels; photos are shown
      // smoothly at their own aspect ratio.
      img
        .decode()
        .then(() => {
          if (img.naturalWidth > PIXEL_ART_MAX || img.naturalHeight > PIXEL_ART_MAX) img.classList.add('photo');
        })
        .catch(() => {});
      this.images.set(id, { url, img });
    }
    const keep = new Set([...wanted, ...this.history.slice(-2)]);
    for (const [id, { url }] of this.images) {
      if (!keep.has(id)) {
        URL.revokeObjectURL(url);
        this.images.delete(id);
      }
    }
  }

  private onRemoteLabels(): void {
    this.labeled = this.sync.visibleAll();
    this.scheduleLocalFit();
    this.rerank();
    if (this.current && this.labeled[this.current]) this.advance();
    this.renderRecent();
    this.renderQueueInfo();
  }

  // ----- actions -----

  /** Runs actions one after another, in key-press order. */
  private enqueue(action: () => Promise<void>): void {
    this.chain = this.chain.then(action).catch((err) => {
      if (err instanceof QuotaError) this.onFatal(err.message);
      else $('label-error').textContent = describe(err);
    });
  }

  private labelCurrent(classIndex: number, pressedAt: number): void {
    // The item on screen when the key was pressed: that is what the person judged.
    const id = this.current;
    const cls = this.project.labels[classIndex];
    if (!id || cls === undefined) return;
    this.enqueue(async () => {
      const value = labelValue(cls, this.preds.get(id)?.topK, this.predVersion);
      // Durable first: the label and its outbox op commit together before the view moves on.
      const saveStart = performance.now();
      await this.sync.label(id, value);
      this.saves.push(performance.now() - saveStart);
      $('label-error').textContent = '';
      this.labeled[id] = value;
      this.history.push(id);
      if (this.current === id) this.advance();
      this.renderRecent();
      this.scheduleLocalFit();
      requestAnimationFrame(() => this.latencies.push(performance.now() - pressedAt));
    });
  }

  private acceptSuggestion(pressedAt: number): void {
    const id = this.current;
    const top = id ? this.preds.get(id)?.topK[0] : undefined;
    if (!top) {
      $('label-error').textContent = 'No suggestion to accept yet: pick a class with 1–9 / 0.';
      return;
    }
    this.labelCurrent(top.index, pressedAt);
  }

  private undo(): void {
    this.enqueue(async () => {
      const id = this.history.pop();
      if (!id) {
        $('label-error').textContent = 'Nothing to undo.';
        return;
      }
      await this.sync.remove(id);
      this.labeled[id] = null;
      if (this.current) this.order.unshift(this.current);
      this.current = id;
      this.render();
      this.renderRecent();
    });
  }

  private skip(): void {
    const id = this.current;
    if (!id) return;
    this.enqueue(async () => {
      if (this.current !== id) return;
      this.skipped.push(id);
      this.advance();
    });
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const help = $<HTMLDialogElement>('help');
    if (help.open) {
      if (e.key === '?' || e.key === 'Escape') {
        help.close();
        e.preventDefault();
      }
      return;
    }
    const pressedAt = e.timeStamp;
    if (/^[0-9]$/.test(e.key)) {
      const index = e.key === '0' ? 9 : Number(e.key) - 1;
      if (index < this.project.labels.length) this.labelCurrent(index, pressedAt);
    } else if (e.key === 'Enter') {
      if (target?.tagName === 'BUTTON') return; // the focused button handles it
      this.acceptSuggestion(pressedAt);
    } else if (e.key === 'Backspace' || e.key === 'z') {
      this.undo();
    } else if (e.key === 's') {
      this.skip();
    } else if (e.key === '?') {
      help.showModal();
    } else {
      return;
    }
    e.preventDefault();
  }

  // ----- rendering (text only through textContent) -----

  private buildControls(): void {
    $('classes').replaceChildren(...classButtons(this.project.labels, (i, at) => this.labelCurrent(i, at)));
    $('accept').onclick = (e) => this.acceptSuggestion(e.timeStamp);
    $('undo').onclick = () => this.undo();
    $('skip').onclick = () => this.skip();
    $('help-button').onclick = () => $<HTMLDialogElement>('help').showModal();
    const select = $<HTMLSelectElement>('strategy');
    select.replaceChildren(...STRATEGIES.map((s) => new Option(s, s, false, s === this.strategy)));
    select.onchange = () => {
      this.strategy = select.value as Strategy;
      localStorage.setItem('kindling.strategy', this.strategy);
      this.rerank();
      this.renderQueueInfo();
    };
  }

  private setModelInfo(text: string): void {
    if (this.stopped) return; // a view left behind draws nothing
    $('model-info').textContent = text;
  }

  /** The model in use, and the local head when it makes the suggestions. */
  private showModelInfo(): void {
    const local = this.predVersion?.startsWith('local:')
      ? ` · learning from your labels (${this.local.trainedOn}, fitted in ${Math.round(this.local.ms)} ms)`
      : '';
    this.setModelInfo(`${this.modelInfo}${local}`);
  }

  private render(): void {
    if (this.stopped) return; // a view left behind draws nothing
    const figure = $('item');
    const text = $('item-text');
    const id = this.current;
    $('item-id').textContent = id ? `Item ${id}` : '';
    const old = figure.querySelector('img');
    if (!id) {
      old?.remove();
      text.hidden = false;
      text.textContent = this.items.size === 0
        ? 'No items held yet. Connect to the server to fetch a batch.'
        : 'All held items are labeled. Connect to the server to fetch more.';
      text.classList.add('empty');
    } else {
      const item = this.items.get(id)!;
      text.classList.remove('empty');
      if (item.kind === 'text') {
        old?.remove();
        text.hidden = false;
        text.textContent = item.content as string;
      } else {
        text.hidden = true;
        text.textContent = '';
        if (!this.images.has(id)) this.preload();
        const img = this.images.get(id)!.img;
        if (old !== img) {
          if (old) old.replaceWith(img);
          else figure.prepend(img);
        }
      }
    }
    this.renderSuggestion();
    this.renderQueueInfo();
  }

  private renderSuggestion(): void {
    if (this.stopped) return; // a view left behind draws nothing
    const id = this.current;
    showSuggestion(id ? this.preds.get(id)?.topK : undefined,
      id ? (this.inference.model ? 'Predicting…' : 'No suggestion') : '—');
  }

  private renderQueueInfo(): void {
    if (this.stopped) return; // a view left behind draws nothing
    const left = this.order.length + this.skipped.length + (this.current ? 1 : 0);
    const predicted = [...this.preds.keys()].filter((id) => this.items.has(id) && !this.labeled[id]).length;
    $('queue-info').textContent = `${left} to label here · ${predicted} predicted · ${this.history.length} labeled this session · order: ${this.strategy}`;
  }

  private renderRecent(): void {
    if (this.stopped) return; // a view left behind draws nothing
    showRecent(this.history, this.labeled);
  }
}
