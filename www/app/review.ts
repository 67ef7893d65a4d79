/**
 * The review view (owners and reviewers): labeled items one at a time in the order of
 * `review-queue.ts` — annotators' disagreements, the labels the model most likely contradicts,
 * the rest, with a random sample in every 10th slot — and keys to accept (Enter), correct (the
 * class's key) or flag (f). Decisions are review ops through the same sync as labels: durable
 * in IndexedDB before the next item shows, sent when online. Items and the model are kept on
 * the device, so a review session works offline. Text only ever goes through `textContent`.
 */
import type { DeviceChoice } from 'kindling';
import { Api, NetworkError, describe, type ProjectInfo } from './api';
import { $, formatPercent } from './dom';
import type { VersionList } from './generated/api-types';
import { Inference } from './inference';
import { reviewBatch } from './lease';
import { classButtons } from './labeling-dom';
import { projectSeed } from './labeling-controller';
import { AmbiguousAcceptError, givenClasses, reviewOps, reviewOrder, reviewed, sampledErrorRate, type Decision, type Ranked, type ReviewEntry } from './review-queue';
import { Store, imageBlob, type StoredItem } from './store';
import { SyncEngine } from './sync';

/** Labeled items fetched for review per batch. */
const BATCH = 500;
/** Below this many items to review, the next batch is fetched (when online). */
const LOW = 50;
/** Every n-th queue slot is a uniformly random item (the error-rate estimate). */
const SAMPLE_EVERY = 10;

/** What the view exposes to tests (`window.kindlingReview`). */
export interface ReviewProbe {
  /** The item on screen. */
  current(): string | null;
  /** Items still in the queue (the one on screen included). */
  queued(): number;
  /** Why the item on screen is in the queue. */
  reason(): string | null;
  /** Whether the model's ranking is in (else the queue is in id order). */
  ranked(): boolean;
  /** Items decided in this session. */
  decided(): number;
}

declare global {
  interface Window { kindlingReview?: ReviewProbe; }
}

const REASONS: Record<string, string> = {
  'disagree': 'Annotators disagree',
  'likely-error': 'Likely label error',
  'random': 'Random check (estimates the error rate)',
  'ranked': 'Low model confidence in the given label',
  'unranked': 'Not ranked (no model yet)',
};

/** One project's review session in this tab. */
export class ReviewView {
  private items = new Map<string, StoredItem>();
  /** The order of every held item (reviewed ones included, so the sample's slots stay put). */
  private order: ReviewEntry[] = [];
  /** The order's items still to review: the first is on screen. */
  private queue: ReviewEntry[] = [];
  private ranking: Ranked[] = [];
  private decisions: { reason: ReviewEntry['reason']; decision: Decision['action'] }[] = [];
  private imageUrl: string | null = null;
  private busy = false;
  private fetching: Promise<void> | null = null;
  /** Labeled items in the project, as the last batch said (null: not asked yet). */
  private pool: number | null = null;
  private closed = false;
  private readonly keyHandler = (e: KeyboardEvent) => this.onKey(e);
  private unsubscribe: (() => void) | null = null;

  constructor(
    private api: Api,
    private readonly store: Store,
    private readonly sync: SyncEngine,
    private readonly inference: Inference,
    private readonly project: ProjectInfo,
    private readonly device: DeviceChoice,
  ) {}

  /** Uses a new token after signing in again. */
  setApi(api: Api): void {
    this.api = api;
  }

  /** Shows held items at once, then fetches more and ranks them with the model. */
  async start(): Promise<void> {
    $('review-project').textContent = `Review: ${this.project.name}`;
    const buttons = classButtons(this.project.labels, (i) => void this.decide({ action: 'correct', class: this.project.labels[i]! }));
    $('review-classes').replaceChildren(...buttons);
    $('review-accept').onclick = () => void this.decide({ action: 'accept' });
    $('review-flag').onclick = () => void this.decide({ action: 'flag', reason: this.flagReason() });
    $('review-skip').onclick = () => this.skip();
    $('review-gold').hidden = this.project.role !== 'owner';
    $('review-gold').onclick = () => void this.markGold();
    addEventListener('keydown', this.keyHandler);
    this.unsubscribe = this.sync.onLabelsChanged(() => this.rebuild());
    window.kindlingReview = {
      current: () => this.queue[0]?.id ?? null,
      queued: () => this.queue.length,
      reason: () => this.queue[0]?.reason ?? null,
      ranked: () => this.ranking.length > 0,
      decided: () => this.decisions.length,
    };
    for (const item of await this.store.reviewItems(this.project.id)) this.items.set(item.id, item);
    this.ranking = (await this.store.getMeta<Ranked[]>(`review-rank:${this.project.id}`)) ?? [];
    this.reorder();
    await this.fetchMore();
    await this.rank();
  }

  /** Stops listening; the next view takes over the page. */
  stop(): void {
    this.closed = true;
    removeEventListener('keydown', this.keyHandler);
    this.unsubscribe?.();
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    delete window.kindlingReview;
  }

  private flagReason(): string {
    return $<HTMLInputElement>('review-reason').value.trim() || 'flagged in review';
  }

  /** Fetches labeled items this device does not hold yet (none offline); one fetch at a time. */
  private fetchMore(): Promise<void> {
    this.fetching ??= this.fetchBatch().finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }

  private async fetchBatch(): Promise<void> {
    try {
      const { items, labeled } = await reviewBatch(this.api, this.project.id, BATCH, [...this.items.keys()]);
      if (items.length > 0) await this.store.putReviewItems(items);
      for (const item of items) this.items.set(item.id, item);
      if (items.length > 0) this.reorder();
      if (labeled !== null) this.pool = labeled;
      if (labeled !== null) $('review-pool').textContent = `${labeled} labeled items in the project; ${this.items.size} on this device.`;
    } catch (err) {
      $('review-error').textContent = `Could not fetch items to review: ${describe(err)}`;
    }
  }

  /** Held items with the distinct classes their labels give (`pendingOnly`: not yet reviewed). */
  private labeled(pendingOnly: boolean): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const id of this.items.keys()) {
      const labels = this.sync.labelsOf(id);
      if (Object.keys(labels).length === 0 || (pendingOnly && reviewed(labels))) continue;
      out.set(id, [...new Set(givenClasses(labels))]);
    }
    return out;
  }

  /** Orders every held item anew (new items, or the model's ranking arrived), then the queue. */
  private reorder(): void {
    this.order = reviewOrder({ items: this.labeled(false), ranked: this.ranking, seed: projectSeed(this.project.id), sampleEvery: SAMPLE_EVERY });
    this.rebuild();
  }

  /** The queue: the order's items still to review (the one on screen stays first while it is). */
  private rebuild(): void {
    if (this.closed) return;
    const onScreen = this.queue[0]?.id;
    const pending = this.labeled(true);
    const queue = this.order.filter((e) => pending.has(e.id));
    const i = queue.findIndex((e) => e.id === onScreen);
    if (i > 0) queue.unshift(...queue.splice(i, 1));
    this.queue = queue;
    this.render();
  }

  /** Loads the current model (the last one seen when offline) and ranks the held items. */
  private async rank(): Promise<void> {
    const key = `model:${this.project.id}`;
    let version = await this.store.getMeta<string>(key);
    const path = `/projects/${encodeURIComponent(this.project.id)}`;
    try {
      const { versions } = await this.api.get<VersionList>(`${path}/models`);
      version = versions.find((v) => v.current)?.version ?? version;
      if (version) await this.store.setMeta(key, version);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
    }
    if (!version) {
      $('review-model').textContent = 'No model published: items in id order (disagreements first).';
      return;
    }
    try {
      $('review-model').textContent = `Loading model ${version}…`;
      if (this.inference.model?.version !== version) {
        await this.inference.load(this.api.url(`${path}/models/${encodeURIComponent(version)}/`), this.api.token, this.device, version, () => {});
      }
      const classIndex = new Map(this.project.labels.map((l, i) => [l, i]));
      const labeled = [...this.labeled(false)].flatMap(([id, classes]) => {
        const item = this.items.get(id)!;
        const label = classIndex.get(classes[0]!);
        return label === undefined ? [] : [{ item: { id, content: item.content, type: item.content_type }, label }];
      });
      if (labeled.length < 2) {
        $('review-model').textContent = `Model ${version}: too few items to rank.`;
        return;
      }
      const started = performance.now();
      const { ranked, features } = await this.inference.likelyErrors(labeled);
      if (this.closed) return;
      this.ranking = ranked.map((r) => ({ id: r.id, selfConfidence: r.selfConfidence, ...(r.likely !== undefined ? { likely: r.likely } : {}) }));
      await this.store.setMeta(`review-rank:${this.project.id}`, this.ranking);
      const flagged = ranked.filter((r) => r.likely !== undefined).length;
      $('review-model').textContent = `Model ${version}: ${ranked.length} labels ranked by out-of-fold heads on its ${features} in ${Math.round(performance.now() - started)} ms; ${flagged} likely errors.`;
      this.reorder();
    } catch (err) {
      $('review-model').textContent = `Ranking unavailable: ${describe(err)} (items in id order).`;
    }
  }

  private render(): void {
    const entry = this.queue[0];
    const figure = $('review-item');
    const text = $('review-text');
    figure.querySelector('img')?.remove();
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = null;
    const sample = sampledErrorRate(this.decisions);
    $('review-progress').textContent = `${this.queue.length} to review · ${this.decisions.length} decided here${
      sample ? ` · random checks: ${formatPercent(sample.rate)} of ${sample.reviewed} needed a fix` : ''}`;
    if (!entry) {
      text.hidden = false;
      text.textContent = this.items.size === 0 ? 'No labeled items on this device yet (connect to fetch some).' : 'Nothing left to review here.';
      $('review-id').textContent = '';
      $('review-given').textContent = '';
      $('review-why').textContent = '';
      return;
    }
    const item = this.items.get(entry.id)!;
    $('review-id').textContent = `Item ${item.id}`;
    if (item.kind === 'text') {
      text.hidden = false;
      text.textContent = item.content as string;
    } else {
      text.hidden = true;
      text.textContent = '';
      const img = new Image();
      this.imageUrl = URL.createObjectURL(imageBlob(item.content, item.content_type));
      img.src = this.imageUrl;
      img.alt = `Item ${item.id}`;
      img.className = 'item-image';
      figure.prepend(img);
    }
    const counts = new Map<string, number>();
    for (const c of givenClasses(this.sync.labelsOf(entry.id))) counts.set(c, (counts.get(c) ?? 0) + 1);
    $('review-given').textContent = `Given: ${[...counts].map(([c, n]) => (n > 1 ? `${c} ×${n}` : c)).join(', ')}`;
    const likely = entry.likely !== undefined ? ` · the model says ${this.project.labels[entry.likely]}` : '';
    const confidence = entry.selfConfidence !== undefined ? ` · p(given) ${formatPercent(entry.selfConfidence)}` : '';
    $('review-why').textContent = `${REASONS[entry.reason]}${likely}${confidence}`;
    $('review-why').dataset.reason = entry.reason;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.target instanceof HTMLInputElement || e.metaKey || e.ctrlKey || e.altKey) return;
    const n = e.key === '0' ? 9 : /^[1-9]$/.test(e.key) ? Number(e.key) - 1 : -1;
    if (n >= 0 && n < this.project.labels.length) void this.decide({ action: 'correct', class: this.project.labels[n]! });
    else if (e.key === 'Enter') void this.decide({ action: 'accept' });
    else if (e.key === 'f') void this.decide({ action: 'flag', reason: this.flagReason() });
    else if (e.key === 's') this.skip();
    else if (e.key === 'g' && this.project.role === 'owner') void this.markGold();
    else return;
    e.preventDefault();
  }

  /**
   * Owners: marks the item on screen as a gold item with the class its labels agree on (every
   * annotator is then handed it; the dashboard shows each one's accuracy on gold). Online only.
   */
  private async markGold(): Promise<void> {
    const entry = this.queue[0];
    if (!entry) return;
    const classes = [...new Set(givenClasses(this.sync.labelsOf(entry.id)))];
    if (classes.length !== 1) {
      $('review-error').textContent = 'The labels disagree: correct the item first, then mark it as gold.';
      return;
    }
    try {
      await this.api.fetch(`/projects/${encodeURIComponent(this.project.id)}/items/${encodeURIComponent(entry.id)}/gold`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ class: classes[0] }),
      });
      $('review-error').textContent = `Item ${entry.id} is a gold item (${classes[0]}).`;
    } catch (err) {
      $('review-error').textContent = err instanceof NetworkError ? 'Marking a gold item needs a connection.' : `Not marked: ${describe(err)}`;
    }
  }

  /** Moves the item on screen to the end of the queue. */
  private skip(): void {
    const first = this.queue.shift();
    if (first) this.queue.push(first);
    this.render();
  }

  /** Writes the decision's review ops durably, then shows the next item. */
  private async decide(decision: Decision): Promise<void> {
    const entry = this.queue[0];
    if (!entry || this.busy) return;
    this.busy = true;
    $('review-error').textContent = '';
    try {
      const ops = reviewOps(this.sync.labelsOf(entry.id), decision);
      if (ops.length > 0) await this.sync.review(entry.id, ops);
      this.decisions.push({ reason: entry.reason, decision: decision.action });
      $<HTMLInputElement>('review-reason').value = '';
      this.queue.shift();
      this.rebuild();
      // New batches are ordered by id among the unranked until the next visit ranks them.
      const more = this.pool === null || this.pool > this.items.size;
      if (this.queue.length < LOW && more && navigator.onLine) void this.fetchMore();
    } catch (err) {
      $('review-error').textContent = err instanceof AmbiguousAcceptError ? err.message : `Not saved: ${describe(err)}`;
    } finally {
      this.busy = false;
    }
  }
}
