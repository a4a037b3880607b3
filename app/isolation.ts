// The page needs SharedArrayBuffer and Atomics.waitAsync, which need cross-origin isolation
// (COOP same-origin + COEP require-corp). Say exactly what is missing instead of failing later.

export interface IsolationReport {
  ok: boolean;
  problems: string[];
}

export function checkIsolation(): IsolationReport {
  const problems: string[] = [];
  if (!globalThis.crossOriginIsolated) {
    problems.push(
      'The page is not cross-origin isolated (crossOriginIsolated is false): the server must send ' +
        '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp". ' +
        '`npm start` and `npm run preview` do; on a host that does not, a service worker of ' +
        'the page adds them.',
    );
  }
  if (typeof SharedArrayBuffer !== 'function') {
    problems.push('SharedArrayBuffer is not available in this context.');
  }
  if (typeof Atomics.waitAsync !== 'function') {
    problems.push(
      'Atomics.waitAsync is missing: the main loop waits with it (Chromium 87+, Firefox 145+, Safari 16.4+).',
    );
  }
  if (typeof Worker !== 'function') problems.push('Web Workers are not available.');
  if (typeof indexedDB === 'undefined') problems.push('IndexedDB is not available.');
  return { ok: problems.length === 0, problems };
}
