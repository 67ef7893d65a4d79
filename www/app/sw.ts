/**
 * The service worker: keeps the app shell (HTML, scripts, the CPU wasm module this engine runs)
 * in the Cache API so the app starts with no network. Pages are network-first (a new deploy
 * shows up when online); hashed assets are cache-first. The WebGPU module (`lazy`) is cached
 * the first time a device fetches it, and a device that used it gets the next deploy's copy at
 * install, so it stays available offline. API calls are never cached here: labels live in
 * IndexedDB and model files in the worker's own cache.
 */
/// <reference lib="webworker" />
import { cpuBuild, type CpuBuild } from 'kindling/worker';
declare const self: ServiceWorkerGlobalScope;

/**
 * The files of this deploy and its id, prepended to this file by the build (webpack.config.js):
 * `files` are precached, `lazy` (the WebGPU module) cached on first use, and of the CPU
 * modules' builds (`builds`: the one-thread and the threaded module's wasm) the one this engine
 * runs (the page and the package's worker pick it the same way).
 */
interface Precache { version: string; files: string[]; lazy: string[]; builds: Record<CpuBuild, string[]>; }
const PRECACHE = (self as unknown as { __KINDLING_PRECACHE__: Precache }).__KINDLING_PRECACHE__;
const PREFIX = 'kindling-shell-';
const SHELL = PREFIX + PRECACHE.version;
/** Present in a shell cache once its device has fetched the lazy files. */
const LAZY_USED = new URL('__kindling-lazy-used', self.registration.scope).href;
const LAZY = new Set(PRECACHE.lazy.map((f) => new URL(f, self.registration.scope).pathname));

/** Whether a previous deploy's shell cache on this device holds the lazy files. */
async function lazyUsedBefore(): Promise<boolean> {
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== SHELL && (await (await caches.open(name)).match(LAZY_USED))) return true;
  }
  return false;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    const lazy = (await lazyUsedBefore()) ? PRECACHE.lazy : [];
    const cpu = PRECACHE.builds[cpuBuild()];
    await cache.addAll([...PRECACHE.files, ...cpu, ...lazy].map((f) => new Request(f, { cache: 'reload' })));
    if (lazy.length > 0) await cache.put(LAZY_USED, new Response('1'));
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
  if (LAZY.has(url.pathname)) {
    event.respondWith((async () => {
      const kept = await fromShell(request);
      if (kept) return kept;
      const response = await fetch(request);
      if (response.ok) {
        const cache = await caches.open(SHELL);
        await cache.put(request, response.clone());
        await cache.put(LAZY_USED, new Response('1'));
      }
      return response;
    })());
    return;
  }
  event.respondWith((async () => (await fromShell(request)) ?? fetch(request))());
});
