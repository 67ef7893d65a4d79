/**
 * Leasing items for offline work: asks the server for unlabeled items (content inline) and
 * turns them into stored items (images as bytes (`Uint8Array`), texts as strings); reviewers
 * get labeled items the same way.
 */
import { Api, NetworkError, type Lease } from './api';
import type { LeasedItem, ReviewBatch } from './generated/api-types';
import type { StoredItem } from './store';

function b64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Leases up to `limit` more items of `project` that this browser does not hold (`held`);
 * `firstOrder` numbers them after the held ones. Resolves to none when offline.
 */
export async function leaseItems(api: Api, project: string, limit: number, held: string[], firstOrder: number): Promise<StoredItem[]> {
  let lease: Lease;
  try {
    lease = await api.post<Lease>(`/projects/${encodeURIComponent(project)}/leases`, { limit: Math.min(1000, limit), exclude: held });
  } catch (err) {
    if (err instanceof NetworkError) return [];
    throw err;
  }
  return lease.items.map((item, i) => stored(project, item, firstOrder + i, lease.expires_at));
}

/** A leased (or review) item as the store keeps it. */
function stored(project: string, item: LeasedItem, order: number, until: number): StoredItem {
  return {
    project,
    id: item.id,
    kind: item.kind,
    content_type: item.content_type,
    // Bytes, not Blobs: making 700 Blobs (and storing them) blocked the page for ≈300 ms.
    content: item.kind === 'text' ? new TextDecoder().decode(b64ToBytes(item.content_b64)) : b64ToBytes(item.content_b64),
    order,
    leased_until: until,
  };
}

/**
 * Fetches up to `limit` labeled items of `project` for review that this browser does not hold
 * (`held`), content included; `labeled` is the project's whole review pool. Offline: none.
 */
export async function reviewBatch(api: Api, project: string, limit: number, held: string[]): Promise<{ items: StoredItem[]; labeled: number | null }> {
  let batch: ReviewBatch;
  try {
    batch = await api.post<ReviewBatch>(`/projects/${encodeURIComponent(project)}/review/items`, { limit: Math.min(1000, limit), exclude: held });
  } catch (err) {
    if (err instanceof NetworkError) return { items: [], labeled: null };
    throw err;
  }
  // Review items are not leased: they stay until the next batch replaces nothing (no expiry).
  return { items: batch.items.map((item, i) => stored(project, item, held.length + i, Number.MAX_SAFE_INTEGER)), labeled: batch.labeled };
}
