/** The sync status line: online or offline, labels pending, last sync, errors in words. */
import type { SyncStatus } from './sync';
import { $, ago } from './dom';

let last: SyncStatus | null = null;

/** Shows `s` (and refreshes "… ago" every few seconds). */
export function renderStatus(s: SyncStatus | null): void {
  last = s;
  const net = $('net');
  const online = s ? s.online && navigator.onLine : navigator.onLine;
  net.dataset.state = online ? 'online' : 'offline';
  net.textContent = online ? 'Online' : 'Offline — labels are kept on this device';
  const pending = $('pending');
  pending.dataset.count = String(s?.pending ?? 0);
  pending.textContent = s ? `${s.pending} pending` : '';
  $('last-sync').textContent = s?.lastSync ? `synced ${ago(s.lastSync)}` : s ? 'not synced yet' : '';
  const error = $('sync-error');
  error.textContent = s?.error ?? '';
  error.hidden = !s?.error;
}

setInterval(() => renderStatus(last), 5_000);
addEventListener('online', () => renderStatus(last));
addEventListener('offline', () => renderStatus(last));

/** Shows an error that needs the person's attention (storage full, say). */
export function renderFatal(message: string): void {
  const box = $('fatal');
  box.textContent = message;
  box.hidden = false;
}
