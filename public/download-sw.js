// WebAIO's download service worker: turns a ReadableStream the page hands over (a transferable
// stream) into a file download, so an export is streamed to disk instead of first being
// assembled in memory. Its scope is its own (BASE_URL + "__webaio-download/", app/images/download.ts),
// so it never controls the page: on a host without COOP/COEP the coi worker does (app/coi.ts).
'use strict';

/** The path its URLs start with: its scope, wherever the app is hosted (Vite's `base`). */
const PREFIX = new URL(self.registration.scope).pathname;
/** id -> { stream, filename, size }, until the page's iframe asks for it. */
const pending = new Map();

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const msg = event.data;
  if (!msg || msg.type !== 'download') return; // pings only keep this worker alive
  pending.set(msg.id, { stream: msg.stream, filename: msg.filename, size: msg.size });
  event.ports[0]?.postMessage({ type: 'ready', id: msg.id });
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(PREFIX)) return;
  const id = decodeURIComponent(url.pathname.slice(PREFIX.length).split('/')[0]);
  const job = pending.get(id);
  if (!job) {
    event.respondWith(new Response(`no download ${id}`, { status: 404 }));
    return;
  }
  pending.delete(id);
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(job.filename)}`,
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  if (typeof job.size === 'number') headers['Content-Length'] = String(job.size);
  event.respondWith(new Response(job.stream, { headers }));
});
