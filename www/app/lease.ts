/**
 * Leasing items for offline work: asks the server for unlabeled items (content inline) and
 * turns them into stored items (images as bytes (`Uint8Array`), texts as strings).
 */
import { Api, NetworkError, type Lease } from './api';
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
  return lease.items.map((item, i) => ({
    project,
    id: item.id,
    kind: item.kind,
    content_type: item.content_type,
    // Bytes, not Blobs: making 700 Blobs (and storing them) blocked the page for ≈300 ms.
    content: item.kind === 'text' ? new TextDecoder().decode(b64ToBytes(item.content_b64)) : b64ToBytes(item.content_b64),
    order: firstOrder + i,
    leased_until: lease.expires_at,
  }));
}
