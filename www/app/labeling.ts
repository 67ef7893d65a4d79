/**
 * The labeling view: draws what its `LabelingController` (the DOM-free session logic) says and
 * turns keys and clicks into its actions. One item at a time, the model's suggestion with its
 * probability and the top-k, keys to confirm or correct, undo and skip; the next images are
 * decoded ahead, so the next item appears in the frame after the key press — once its label is
 * durable in IndexedDB. Text only ever goes through `textContent`.
 */
import type { ClassScore, DeviceChoice, LabelValue } from 'kindling';
import { Api, type ProjectInfo } from './api';
import type { VersionList } from './generated/api-types';
import { Inference } from './inference';
import { STRATEGIES, rank, type Strategy } from './queue';
import { Store, imageBlob, type StoredItem } from './store';
import { SyncEngine } from './sync';
import { $, formatPercent } from './dom';
import { classButtons, showRecent, showSuggestion } from './labeling-dom';
import { leaseItems } from './lease';
import { LabelingController, keyAction, type LabelingScreen, type SessionProbe } from './labeling-controller';

/** Images up to this many pixels a side are drawings, shown with crisp pixels; larger ones are photos. */
const PIXEL_ART_MAX = 96;
/** Where the chosen queue order is remembered. */
const STRATEGY_KEY = 'kindling.strategy';

/** What the view exposes to tests and benchmarks (`window.kindlingApp`). */
export interface AppProbe extends SessionProbe {
  /** Key press to next item on screen, in ms, one entry per label. */
  latencies: number[];
}

declare global {
  interface Window { kindlingApp?: AppProbe; }
}

/** Draws the labeling session into the page (the elements of `index.html`'s labeling section). */
class DomScreen implements LabelingScreen {
  /** Decoded images of the item on screen, the next few and the last two labeled (undo). */
  private readonly images = new Map<string, { url: string; img: HTMLImageElement }>();

  showItem(item: StoredItem | null, emptyMessage: string): void {
    const figure = $('item');
    const text = $('item-text');
    $('item-id').textContent = item ? `Item ${item.id}` : '';
    const old = figure.querySelector('img');
    if (!item) {
      old?.remove();
      text.hidden = false;
      text.textContent = emptyMessage;
      text.classList.add('empty');
      return;
    }
    text.classList.remove('empty');
    if (item.kind === 'text') {
      old?.remove();
      text.hidden = false;
      text.textContent = item.content as string;
      return;
    }
    text.hidden = true;
    text.textContent = '';
    const img = this.image(item);
    if (old !== img) {
      if (old) old.replaceWith(img);
      else figure.prepend(img);
    }
  }

  /** The decoded image of an item, made now if it was not preloaded. */
  private image(item: StoredItem): HTMLImageElement {
    const held = this.images.get(item.id);
    if (held) return held.img;
    const img = new Image();
    const url = URL.createObjectURL(imageBlob(item.content, item.content_type));
    img.src = url;
    img.alt = `Item ${item.id}`;
    img.className = 'item-image';
    // Small drawings (digits, icons) are scaled up with crisp pixels; photos are shown
    // smoothly at their own aspect ratio.
    img
      .decode()
      .then(() => {
        if (img.naturalWidth > PIXEL_ART_MAX || img.naturalHeight > PIXEL_ART_MAX) img.classList.add('photo');
      })
      .catch(() => {});
    this.images.set(item.id, { url, img });
    return img;
  }

  preload(wanted: StoredItem[], keep: Set<string>): void {
    for (const item of wanted) if (item.kind === 'image') this.image(item);
    const kept = new Set([...keep, ...wanted.map((i) => i.id)]);
    for (const [id, { url }] of this.images) {
      if (!kept.has(id)) {
        URL.revokeObjectURL(url);
        this.images.delete(id);
      }
    }
  }

  showSuggestion(topK: ClassScore[] | undefined, placeholder: string): void {
    showSuggestion(topK, placeholder);
  }

  showQueueInfo(text: string): void {
    $('queue-info').textContent = text;
  }

  showRecent(history: string[], labeled: Record<string, LabelValue | null>): void {
    showRecent(history, labeled);
  }

  showModelInfo(text: string): void {
    $('model-info').textContent = text;
  }

  showModelProgress(progress: { version: string; loaded: number; total: number } | null): void {
    const bar = $<HTMLProgressElement>('model-progress');
    const label = $('model-progress-label');
    bar.hidden = !progress;
    label.hidden = !progress;
    if (!progress) return;
    if (progress.total > 0) {
      bar.max = progress.total;
      bar.value = progress.loaded;
      label.textContent = `Downloading model ${progress.version}: ${formatPercent(progress.loaded / progress.total)}`;
    } else {
      label.textContent = `Loading model ${progress.version}…`;
    }
  }

  showOfflineReserve(heldItems: number, cachedModel: string | null): void {
    const sw = navigator.serviceWorker?.controller ? 'app cached' : 'app not cached yet';
    const model = cachedModel ? `model ${cachedModel} cached` : 'no model';
    $('offline-ready').textContent = `Offline reserve: ${heldItems} items held · ${model} · ${sw}`;
  }

  showError(text: string): void {
    $('label-error').textContent = text;
  }

  fatal(message: string): void {
    this.onFatal(message);
  }

  constructor(private readonly onFatal: (message: string) => void) {}

  /** Frees the decoded images. */
  clear(): void {
    for (const { url } of this.images.values()) URL.revokeObjectURL(url);
    this.images.clear();
  }
}

/** One project's labeling session in this tab: the controller and its DOM. */
export class LabelingView {
  private readonly controller: LabelingController;
  private readonly screen: DomScreen;
  private readonly latencies: number[] = [];
  private readonly keyHandler = (e: KeyboardEvent) => this.onKey(e);

  constructor(
    private api: Api,
    store: Store,
    sync: SyncEngine,
    inference: Inference,
    private readonly project: ProjectInfo,
    device: DeviceChoice,
    onFatal: (message: string) => void,
    /** An item to show first (a link to one item), if it is held. */
    firstItem: string | null = null,
  ) {
    const saved = localStorage.getItem(STRATEGY_KEY) as Strategy | null;
    const projectPath = `/projects/${encodeURIComponent(project.id)}`;
    this.screen = new DomScreen(onFatal);
    this.controller = new LabelingController({
      project,
      server: {
        currentModel: async () => {
          // The list, not `models/current`: "no model yet" is a normal state, not a 404.
          const { versions } = await this.api.get<VersionList>(`${projectPath}/models`);
          return versions.find((v) => v.current)?.version ?? null;
        },
        lease: (limit, held, firstOrder) => leaseItems(this.api, project.id, limit, held, firstOrder),
        modelBase: (version) => this.api.url(`${projectPath}/models/${encodeURIComponent(version)}/`),
        token: () => this.api.token,
      },
      store,
      sync,
      inference,
      screen: this.screen,
      rank,
      device,
      // Margin needed the fewest labels in `kindling bench active-learning` (README).
      strategy: saved && STRATEGIES.includes(saved) ? saved : 'margin',
      firstItem,
    });
  }

  /** Uses a new token after signing in again. */
  setApi(api: Api): void {
    this.api = api;
  }

  /** Builds the controls, shows the first item, then brings model and lease up to date. */
  async start(): Promise<void> {
    this.buildControls();
    document.addEventListener('keydown', this.keyHandler, { signal: this.controller.signal });
    await this.controller.start();
    window.kindlingApp = { ...this.controller.probe(), latencies: this.latencies };
  }

  /** Leaves the view: the session is closed and nothing is drawn any more. */
  stop(): void {
    this.controller.close();
    this.screen.clear();
  }

  /** Runs an action; when it labeled an item, records key press → next item on screen. */
  private timed(action: Promise<boolean>, pressedAt: number): void {
    void action.then((labeled) => {
      if (labeled) requestAnimationFrame(() => this.latencies.push(performance.now() - pressedAt));
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
    const action = keyAction(e.key, this.project.labels.length);
    if (!action) return;
    switch (action.kind) {
      case 'label':
        this.timed(this.controller.label(action.index), e.timeStamp);
        break;
      case 'accept':
        if (target?.tagName === 'BUTTON') return; // the focused button handles it
        this.timed(this.controller.accept(), e.timeStamp);
        break;
      case 'undo':
        void this.controller.undo();
        break;
      case 'skip':
        void this.controller.skip();
        break;
      case 'help':
        help.showModal();
        break;
    }
    e.preventDefault();
  }

  private buildControls(): void {
    $('classes').replaceChildren(...classButtons(this.project.labels, (i, at) => this.timed(this.controller.label(i), at)));
    $('accept').onclick = (e) => this.timed(this.controller.accept(), e.timeStamp);
    $('undo').onclick = () => void this.controller.undo();
    $('skip').onclick = () => void this.controller.skip();
    $('help-button').onclick = () => $<HTMLDialogElement>('help').showModal();
    const select = $<HTMLSelectElement>('strategy');
    select.replaceChildren(...STRATEGIES.map((s) => new Option(s, s, false, s === this.controller.queueStrategy)));
    select.onchange = () => {
      localStorage.setItem(STRATEGY_KEY, select.value);
      this.controller.setStrategy(select.value as Strategy);
    };
  }
}
