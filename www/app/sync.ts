/**
 * Label sync for one project in one tab: the protocol's client (`SyncClient`, Rust compiled to
 * wasm) plus IndexedDB persistence and the HTTP transport. Labels are saved locally first and
 * pushed in the background, retried with backoff and jitter; a 401 keeps the outbox and waits
 * for a new sign-in. Tabs tell each other through a BroadcastChannel when they pushed.
 */
import { nextBackoff, retryDelay } from './backoff';
import { SyncClient, type LabelValue, type LocalLabel, type PullResponse, type PushRequest, type PushResponse, type SyncEffects } from 'kindling/web';
import './kindling-cpu';
import { Api, ApiError, NetworkError, describe } from './api';
import { Store } from './store';

/** What the status bar shows. */
export interface SyncStatus {
  online: boolean;
  /** Labels waiting for the server. */
  pending: number;
  /** When the last push or pull succeeded (ms since the epoch). */
  lastSync: number | null;
  /** The last failure, in words; null once a sync succeeds. */
  error: string | null;
  /** The token was refused: sign in again (nothing is lost). */
  needsSignIn: boolean;
  /** Whether a sync is running. */
  busy: boolean;
}

/** Ops per push request. */
const PUSH_BATCH = 200;
/** Changes per pull page. */
const PULL_LIMIT = 1000;
/** Pull interval while idle and online (other tabs and devices). */
const POLL_MS = 5_000;

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Claims a stored client of this person and project that no open tab holds (a reload gets its
 * own back), or a fresh one. The Web Lock is held until the tab closes.
 */
async function claimClient(store: Store, project: string, annotator: string): Promise<{ id: string; fresh: boolean }> {
  const records = await store.clients(project, annotator);
  records.sort((a, b) => b.updated - a.updated);
  for (const candidate of [...records.map((r) => r.client_id), null]) {
    const id = candidate ?? randomId();
    const claimed = await new Promise<boolean>((resolve) => {
      void navigator.locks.request(`kindling-client-${id}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        // Held for the life of the page.
        return new Promise<void>(() => {});
      });
    });
    if (claimed) return { id, fresh: candidate === null };
  }
  throw new Error('unreachable: a fresh client id is always free');
}

/** One tab's sync of one project. */
export class SyncEngine {
  readonly status: SyncStatus = { online: navigator.onLine, pending: 0, lastSync: null, error: null, needsSignIn: false, busy: false };
  private readonly listeners = new Set<(s: SyncStatus) => void>();
  private readonly labelListeners = new Set<() => void>();
  private readonly modelListeners = new Set<(version: string) => void>();
  /** The project's current model version, as the last pull said. */
  modelVersion: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private backoffMs = 0;
  private running: Promise<void> | null = null;
  private again = false;
  /** Labels of closed tabs' clients that still wait (pushed by this tab). */
  private orphanPending = 0;
  private readonly channel: BroadcastChannel;
  /** Aborted by `close()`: ends the window listeners and stops timers and runs. */
  private readonly lifetime = new AbortController();

  private constructor(
    private api: Api,
    private readonly store: Store,
    readonly project: string,
    private readonly client: SyncClient,
    readonly clientId: string,
    readonly annotatorId: string,
  ) {
    this.status.pending = client.pending;
    this.channel = new BroadcastChannel(`kindling-sync-${project}`);
    this.channel.onmessage = () => this.schedule(0);
    const signal = this.lifetime.signal;
    addEventListener('online', () => {
      this.status.online = true;
      this.backoffMs = 0;
      this.schedule(0);
    }, { signal });
    addEventListener('offline', () => {
      this.status.online = false;
      this.emit();
    }, { signal });
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.lifetime.signal.aborted;
  }

  /**
   * Ends this engine: no more timers, pushes or pulls; its window listeners, BroadcastChannel
   * and subscribers are released, and its wasm client freed. A run in flight finishes first
   * (what it stored stays stored). Labels already in IndexedDB are kept: the next engine of
   * this project and person pushes them.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.lifetime.abort();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.channel.close();
    this.listeners.clear();
    this.labelListeners.clear();
    this.modelListeners.clear();
    await this.running;
    this.client.free();
  }

  /** Opens the sync of `project` for the signed-in person. */
  static async open(api: Api, store: Store, project: string, annotatorId: string): Promise<SyncEngine> {
    const { id, fresh } = await claimClient(store, project, annotatorId);
    let client: SyncClient;
    if (fresh) {
      client = new SyncClient(id, annotatorId);
    } else {
      const record = (await store.client(id))!;
      const { outbox, copies } = await store.clientState(id);
      client = SyncClient.restore(record.header, outbox, copies);
    }
    const engine = new SyncEngine(api, store, project, client, id, annotatorId);
    if (fresh) await engine.persist(client.onCursorExpired(''));
    return engine;
  }

  /**
   * Other stored clients of this person that no tab holds (a tab closed with labels pending)
   * keep their outboxes: they are pushed with their own client ids, so nothing is lost.
   */
  private async adoptOrphans(): Promise<void> {
    let waiting = 0;
    let failure: unknown = null;
    for (const { client_id: id } of await this.store.clients(this.project, this.annotatorId)) {
      if (id === this.clientId) continue;
      await navigator.locks.request(`kindling-client-${id}`, { ifAvailable: true }, async (lock) => {
        if (!lock) return; // another open tab owns it and pushes it
        // Read under the lock: what a tab that just closed left is final now.
        const record = await this.store.client(id);
        const { outbox, copies } = await this.store.clientState(id);
        if (!record || outbox.length === 0) return;
        const orphan = SyncClient.restore(record.header, outbox, copies);
        const meta = { client_id: id, project: this.project, annotator_id: this.annotatorId };
        try {
          await this.drain(orphan, (e) => this.store.saveEffects(meta, e));
        } catch (err) {
          failure ??= err;
        } finally {
          waiting += orphan.pending;
          orphan.free();
        }
      });
    }
    this.orphanPending = waiting;
    if (failure) throw failure;
  }

  /** Listens to status changes. */
  onStatus(f: (s: SyncStatus) => void): void {
    this.listeners.add(f);
    f(this.status);
  }

  /** Listens to changes of the visible labels that came from elsewhere (pulls); returns the
   * function that stops listening. */
  onLabelsChanged(f: () => void): () => void {
    this.labelListeners.add(f);
    return () => this.labelListeners.delete(f);
  }

  /** Listens to the project's current model version changing (seen in pulls); returns the
   * function that stops listening. */
  onModelVersion(f: (version: string) => void): () => void {
    this.modelListeners.add(f);
    return () => this.modelListeners.delete(f);
  }

  /** Uses a new token (after signing in again) and retries at once. */
  setApi(api: Api): void {
    this.api = api;
    this.status.needsSignIn = false;
    this.backoffMs = 0;
    this.schedule(0);
  }

  private emit(): void {
    this.status.pending = this.client.pending + this.orphanPending;
    for (const f of this.listeners) f(this.status);
  }

  private async persist(effects: SyncEffects): Promise<void> {
    await this.store.saveEffects({ client_id: this.clientId, project: this.project, annotator_id: this.annotatorId }, effects);
  }

  /** Saves a label durably (IndexedDB), then pushes in the background. */
  async label(itemId: string, value: LabelValue): Promise<void> {
    this.assertOpen();
    await this.persist(this.client.label(itemId, value, Date.now()));
    this.emit();
    this.schedule(0);
  }

  /** Removes this person's label of an item (undo), durably. */
  async remove(itemId: string): Promise<void> {
    this.assertOpen();
    await this.persist(this.client.remove(itemId, Date.now()));
    this.emit();
    this.schedule(0);
  }

  /**
   * Saves a decision on `itemId` — one review per annotator's label — durably in one IndexedDB
   * transaction, then pushes it in the background, like a label.
   */
  async review(itemId: string, reviews: { annotator: string; value: LabelValue }[]): Promise<void> {
    this.assertOpen();
    await this.persist(this.client.review(itemId, reviews, Date.now()));
    this.emit();
    this.schedule(0);
  }

  /** Everyone's visible labels of `itemId` by annotator id (owners and reviewers pull them all). */
  labelsOf(itemId: string): Record<string, LocalLabel> {
    return this.client.labelsOf(itemId);
  }

  /** This person's visible labels by item (`null`: removed). */
  visibleAll(): Record<string, LabelValue | null> {
    return this.client.visibleAll();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the sync of project ${this.project} was closed; open the project again`);
  }

  /** Asks for a sync after `delayMs` (replacing a request still waiting); nothing once closed. */
  schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, delayMs);
  }

  /** Pushes everything pending, then pulls; one run at a time. */
  async sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runOnce().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    });
    return this.running;
  }

  private async runOnce(): Promise<void> {
    if (this.status.needsSignIn || this.closed) return;
    this.status.busy = true;
    this.emit();
    try {
      const pushed = await this.drain(this.client, (e) => this.persist(e));
      await this.adoptOrphans();
      await this.pull();
      this.status.online = true;
      this.status.error = null;
      this.status.lastSync = Date.now();
      this.backoffMs = 0;
      if (pushed) this.channel.postMessage('pushed');
      this.schedule(POLL_MS);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.status.needsSignIn = true;
        this.status.error = `signed out: ${err.message}. Your ${this.client.pending} pending labels are kept; sign in again to send them.`;
      } else {
        if (err instanceof NetworkError) this.status.online = false;
        // Offline is not an error: the status line already says so.
        this.status.error = err instanceof NetworkError && !navigator.onLine ? null : describe(err);
        this.backoffMs = nextBackoff(this.backoffMs);
        this.schedule(retryDelay(this.backoffMs));
      }
    } finally {
      this.status.busy = false;
      this.emit();
    }
  }

  /** Pushes `client`'s outbox until it is empty. Returns whether anything was pushed. */
  private async drain(client: SyncClient, save: (e: SyncEffects) => Promise<void>): Promise<boolean> {
    let pushed = false;
    for (let round = 0; round < 1000; round++) {
      const request = client.pushRequest(PUSH_BATCH) as PushRequest | undefined;
      if (!request) return pushed;
      let response: PushResponse;
      try {
        response = await this.api.post<PushResponse>(`/projects/${encodeURIComponent(this.project)}/sync/push`, request);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && typeof err.body.expected_seq === 'number') {
          await save(client.onPushFailure({ kind: 'gap', expected_seq: err.body.expected_seq, epoch: String(err.body.epoch ?? '') }));
          continue;
        }
        await save(client.onPushFailure(err instanceof ApiError && err.status === 401 ? { kind: 'unauthorized' } : { kind: 'transient' }));
        throw err;
      }
      await save(client.onPushResponse(request, response, Date.now()));
      pushed = true;
      this.emit();
    }
    throw new Error('push did not converge after 1000 rounds');
  }

  /** Pulls every page of changes. */
  private async pull(): Promise<void> {
    let changed = false;
    for (let page = 0; page < 10_000; page++) {
      let response: PullResponse;
      try {
        response = await this.api.get<PullResponse>(
          `/projects/${encodeURIComponent(this.project)}/sync/pull?cursor=${this.client.cursor}&limit=${PULL_LIMIT}`,
        );
      } catch (err) {
        if (err instanceof ApiError && err.status === 410) {
          await this.persist(this.client.onCursorExpired(String(err.body.epoch ?? '')));
          continue;
        }
        throw err;
      }
      await this.persist(this.client.onPull(response, Date.now()));
      changed ||= response.changes.length > 0;
      if (response.model_version && response.model_version !== this.modelVersion) {
        this.modelVersion = response.model_version;
        for (const f of this.modelListeners) f(response.model_version);
      }
      if (!response.has_more) break;
    }
    if (changed) for (const f of this.labelListeners) f();
  }
}
