/* walkapp service worker: a versioned app shell, offline navigation, and the offline map.
 *
 * The server fills in SHELL (version + the precache list from walkapp/field/shell.py).
 * - install: precache the shell into walkapp-shell-<version>; never skipWaiting by itself.
 * - activate: delete older shell caches only. The tile cache and IndexedDB (the outbox)
 *   are never touched by an update.
 * - fetch: app pages -> the cached shell (so /w/<code> opens offline); shell files -> cache
 *   first; map tiles -> the tile cache first; the API -> always the network (the page's
 *   outbox handles failure).
 * - message 'skipWaiting': the resident chose to update now.
 */
const SHELL = /*SHELL*/{"version": "dev", "files": ["/"]}/*END*/;
const SHELL_CACHE = `walkapp-shell-${SHELL.version}`;
const SHELL_PREFIX = 'walkapp-shell-';
const TILE_CACHE = 'walkapp-tiles-v1';  // the same name is in static/js/tiles.js
const APP_PAGE = /^\/(w\/[^/]+\/?)?$/;

importScripts('/static/js/push-sw.js');  // answer notifications: push and notificationclick

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // cache: 'reload' skips the HTTP cache, so a new version never mixes in old files.
    await cache.addAll(SHELL.files.map((url) => new Request(url, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skipWaiting') self.skipWaiting();
});

async function fromShell(request, fallbackUrl) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(fallbackUrl || request, { ignoreSearch: Boolean(fallbackUrl) });
  if (hit) return hit;
  return fetch(request);
}

async function tile(request) {
  const cache = await caches.open(TILE_CACHE);
  const hit = await cache.match(request.url);
  return hit || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const own = url.origin === self.location.origin;
  if (own && url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    if (own && APP_PAGE.test(url.pathname)) event.respondWith(fromShell(request, '/'));
    return;  // staff pages and the rest: the network as usual
  }
  if (own && SHELL.files.includes(url.pathname) && !url.search) {
    event.respondWith(fromShell(request));
  } else if (request.destination === 'image' || (own && url.pathname.startsWith('/tiles/'))) {
    event.respondWith(tile(request));
  }
});

// Background Sync (Chrome only, a bonus): the page's sync.js sends the outbox; if a page of
// the app is open (maybe in the background), ask it to send now. With no page open the
// promise fails, the browser retries later, and the app sends on its next start anyway.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'walkapp-outbox') return;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: 'window' });
    if (!pages.length) throw new Error('no open page to send from');
    const answer = await new Promise((resolve, reject) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (e) => resolve(e.data);
      setTimeout(() => reject(new Error('the page did not answer')), 60000);
      pages[0].postMessage({ type: 'sync' }, [channel.port2]);
    });
    if (answer && answer.pending) throw new Error('still pending');
  })());
});
