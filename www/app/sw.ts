/**
 * The service worker: keeps the app shell (HTML, scripts, the wasm) in the Cache API so the
 * app starts with no network. Pages are network-first (a new deploy shows up when online);
 * hashed assets are cache-first. API calls are never cached here: labels live in IndexedDB
 * and model files in the worker's own cache.
 */
/// <reference lib="webworker" />
export {};
declare const self: ServiceWorkerGlobalScope;

/** The files of this deploy and its id, prepended to this file by the build (webpack.config.js). */
interface Precache { version: string; files: string[]; }
const PRECACHE = (self as unknown as { __KINDLING_PRECACHE__: Precache }).__KINDLING_PRECACHE__;
const PREFIX = 'kindling-shell-';
const SHELL = PREFIX + PRECACHE.version;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(PRECACHE.files.map((f) => new Request(f, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function fromShell(request: Request | string): Promise<Response | undefined> {
  return (await caches.open(SHELL)).match(request, { ignoreSearch: true });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith((async () => {
      try {
        return await fetch(request);
      } catch {
        const shell = await fromShell(new URL(url.pathname.endsWith('.html') ? url.pathname : 'index.html', self.registration.scope).href);
        return shell ?? Response.error();
      }
    })());
    return;
  }
  event.respondWith((async () => (await fromShell(request)) ?? fetch(request))());
});
