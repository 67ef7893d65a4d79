/**
 * The app's IndexedDB: sync clients (header, outbox, server copies), leased items with their
 * content, and small cached values (projects, the current model version). A label and its
 * outbox op are written in one transaction; the UI moves on only after it commits.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { SyncChange, SyncEffects, SyncHeader, SyncOp } from 'kindling';
import { QuotaError } from './errors';

/** A sync client as stored: one per tab at a time (claimed through a Web Lock). */
export interface ClientRecord {
  client_id: string;
  project: string;
  annotator_id: string;
  header: SyncHeader;
  /** Milliseconds since the epoch of the last write. */
  updated: number;
}

/** What an item holds: text, or encoded image bytes. */
export type ItemContent = string | Uint8Array<ArrayBuffer> | Blob;

/** An item's image as a Blob (Blobs are made only when an image is shown or decoded). */
export function imageBlob(content: ItemContent, type: string): Blob {
  if (typeof content === 'string') throw new Error('a text item has no image');
  return content instanceof Blob ? content : new Blob([content], { type });
}

/** An item held for labeling, content included. */
export interface StoredItem {
  project: string;
  id: string;
  kind: 'image' | 'text';
  content_type: string;
  /** The text, or the image's encoded bytes (a Blob in stores written by older versions). */
  content: ItemContent;
  /** Position in the lease (upload order), for a stable order without a model. */
  order: number;
  leased_until: number;
}

interface Schema extends DBSchema {
  clients: { key: string; value: ClientRecord; indexes: { by_project: [string, string] } };
  outbox: { key: [string, string]; value: SyncOp & { client_id: string }; indexes: { by_client: string } };
  copies: { key: [string, string, string]; value: SyncChange & { owner_client: string }; indexes: { by_client: string } };
  items: { key: [string, string]; value: StoredItem; indexes: { by_project: string } };
  /** Labeled items held for review (kept apart: the labeling queue never shows them). */
  review_items: { key: [string, string]; value: StoredItem; indexes: { by_project: string } };
  meta: { key: string; value: unknown };
}

/** Storage is full: nothing was written; the person must free space (or sync) first. */
export { QuotaError };

/** Turns a failed write into a `QuotaError` when the browser ran out of space. */
function classify(err: unknown): unknown {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new QuotaError('the browser has no storage left for this site: the last label was NOT saved; free some disk space, then try again');
  }
  return err;
}

/** The app's database. */
export class Store {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** Opens (and creates or upgrades) the database. */
  static async open(name = 'kindling', onBlocked: () => void = () => {}): Promise<Store> {
    const db = await openDB<Schema>(name, 2, {
      // A tab of the previous app version holds the old database open: the upgrade waits for it.
      blocked: onBlocked,
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore('clients', { keyPath: 'client_id' }).createIndex('by_project', ['project', 'annotator_id']);
          db.createObjectStore('outbox', { keyPath: ['client_id', 'op_id'] }).createIndex('by_client', 'client_id');
          db.createObjectStore('copies', { keyPath: ['owner_client', 'item_id', 'annotator_id'] }).createIndex('by_client', 'owner_client');
          db.createObjectStore('items', { keyPath: ['project', 'id'] }).createIndex('by_project', 'project');
          db.createObjectStore('meta');
        }
        if (oldVersion < 2) {
          db.createObjectStore('review_items', { keyPath: ['project', 'id'] }).createIndex('by_project', 'project');
        }
      },
      // A newer app version in another tab needs to upgrade the database: this (older) tab
      // lets go and reloads into the new version (every label it made is already stored).
      blocking() {
        db.close();
        location.reload();
      },
    });
    return new Store(db);
  }

  /** Writes what a `SyncClient` call changed, in one transaction. */
  async saveEffects(record: Omit<ClientRecord, 'header' | 'updated'>, effects: SyncEffects): Promise<void> {
    const id = record.client_id;
    try {
      const tx = this.db.transaction(['clients', 'outbox', 'copies'], 'readwrite');
      const writes: Promise<unknown>[] = [tx.objectStore('clients').put({ ...record, header: effects.header, updated: Date.now() })];
      const outbox = tx.objectStore('outbox');
      for (const op of effects.outbox_put) writes.push(outbox.put({ ...op, client_id: id }));
      for (const opId of effects.outbox_delete) writes.push(outbox.delete([id, opId]));
      const copies = tx.objectStore('copies');
      if (effects.server_cleared) {
        writes.push(copies.delete(IDBKeyRange.bound([id, '', ''], [id, '\uffff', '\uffff'])));
      }
      for (const c of effects.server_put) writes.push(copies.put({ ...c, owner_client: id }));
      await Promise.all([...writes, tx.done]);
    } catch (err) {
      throw classify(err);
    }
  }

  /** Every stored client of `annotator` in `project`. */
  async clients(project: string, annotator: string): Promise<ClientRecord[]> {
    return this.db.getAllFromIndex('clients', 'by_project', [project, annotator]);
  }

  /** One stored client. */
  async client(clientId: string): Promise<ClientRecord | undefined> {
    return this.db.get('clients', clientId);
  }

  /** The stored outbox and server copies of one client. */
  async clientState(clientId: string): Promise<{ outbox: SyncOp[]; copies: SyncChange[] }> {
    const tx = this.db.transaction(['outbox', 'copies']);
    const [outbox, copies] = await Promise.all([
      tx.objectStore('outbox').index('by_client').getAll(clientId),
      tx.objectStore('copies').index('by_client').getAll(clientId),
      tx.done,
    ]);
    const strip = <T extends object>(v: T, key: string): T => {
      const copy = { ...v } as Record<string, unknown>;
      delete copy[key];
      return copy as T;
    };
    return {
      outbox: outbox.map((o) => strip(o, 'client_id')),
      copies: copies.map((c) => strip(c, 'owner_client')),
    };
  }

  /** Adds leased items. */
  async putItems(items: StoredItem[]): Promise<void> {
    try {
      const tx = this.db.transaction('items', 'readwrite');
      await Promise.all([...items.map((i) => tx.store.put(i)), tx.done]);
    } catch (err) {
      throw classify(err);
    }
  }

  /** The items held for `project`. */
  async items(project: string): Promise<StoredItem[]> {
    return this.db.getAllFromIndex('items', 'by_project', project);
  }

  /** Drops held items (labeled by someone, or expired). */
  async deleteItems(project: string, ids: string[]): Promise<void> {
    const tx = this.db.transaction('items', 'readwrite');
    await Promise.all([...ids.map((id) => tx.store.delete([project, id])), tx.done]);
  }

  /** Adds items held for review. */
  async putReviewItems(items: StoredItem[]): Promise<void> {
    try {
      const tx = this.db.transaction('review_items', 'readwrite');
      await Promise.all([...items.map((i) => tx.store.put(i)), tx.done]);
    } catch (err) {
      throw classify(err);
    }
  }

  /** The items held for review in `project`. */
  async reviewItems(project: string): Promise<StoredItem[]> {
    return this.db.getAllFromIndex('review_items', 'by_project', project);
  }

  /** A small cached value. */
  async getMeta<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('meta', key)) as T | undefined;
  }

  /** Caches a small value. */
  async setMeta(key: string, value: unknown): Promise<void> {
    try {
      await this.db.put('meta', value, key);
    } catch (err) {
      throw classify(err);
    }
  }

  /** Labels written on this device (any project or person) that the server has not acknowledged. */
  async unsentCount(): Promise<number> {
    return this.db.count('outbox');
  }

  /**
   * Removes everything this device holds for the app (sign-out): leased items, label copies,
   * sync clients, cached values. Refuses while any label is unsent, so a label a person made is
   * never deleted: the check and the deletion are one transaction.
   */
  async clearAll(): Promise<void> {
    const tx = this.db.transaction(['clients', 'outbox', 'copies', 'items', 'review_items', 'meta'], 'readwrite');
    const unsent = await tx.objectStore('outbox').count();
    if (unsent > 0) {
      tx.abort();
      throw new Error(`${unsent} labels are not on the server yet`);
    }
    await Promise.all([
      tx.objectStore('clients').clear(),
      tx.objectStore('copies').clear(),
      tx.objectStore('items').clear(),
      tx.objectStore('review_items').clear(),
      tx.objectStore('meta').clear(),
      tx.done,
    ]);
  }
}
