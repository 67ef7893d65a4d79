/**
 * Embeddings of items as data, kept by the page: computed once per item and backbone (in the
 * inference worker), kept in their own IndexedDB database so that a reload (offline too) finds
 * them and the local head can be refitted without running the backbone again. Losing them
 * costs only time.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

interface Schema extends DBSchema {
  /** Key: `[backbone sha256, item id]`. */
  embeddings: { key: [string, string]; value: Float32Array };
}

/** Item embeddings per backbone. */
export class EmbeddingStore {
  private db: Promise<IDBPDatabase<Schema>> | null = null;
  /** The ones read or written in this session, by `backbone\nitem`. */
  private readonly memory = new Map<string, Float32Array>();

  private open(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDB<Schema>('kindling-embeddings', 1, {
      upgrade(db) {
        db.createObjectStore('embeddings');
      },
    });
    return this.db;
  }

  /** The stored embeddings of `ids` under `backbone` (missing ones are absent). */
  async getMany(backbone: string, ids: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const unknown = ids.filter((id) => {
      const e = this.memory.get(`${backbone}\n${id}`);
      if (e) out.set(id, e);
      return !e;
    });
    if (unknown.length === 0) return out;
    const db = await this.open();
    const tx = db.transaction('embeddings');
    const found = await Promise.all(unknown.map((id) => tx.store.get([backbone, id])));
    await tx.done;
    unknown.forEach((id, i) => {
      const e = found[i];
      if (e) {
        out.set(id, e);
        this.memory.set(`${backbone}\n${id}`, e);
      }
    });
    return out;
  }

  /** Stores `embeddings` under `backbone`; a full disk is not an error (they are recomputed). */
  async putMany(backbone: string, embeddings: Map<string, Float32Array>): Promise<void> {
    for (const [id, e] of embeddings) this.memory.set(`${backbone}\n${id}`, e);
    try {
      const db = await this.open();
      const tx = db.transaction('embeddings', 'readwrite');
      await Promise.all([...embeddings].map(([id, e]) => tx.store.put(e, [backbone, id])));
      await tx.done;
    } catch (err) {
      if ((err as { name?: string }).name !== 'QuotaExceededError') throw err;
    }
  }
}
