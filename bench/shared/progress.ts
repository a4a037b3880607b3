// Progress lines of a benchmark running in the page: console lines with a prefix, which
// `npm run bench` forwards to its stderr and which a person at the console simply reads; the
// page's own views can listen to them too.

export const PROGRESS_PREFIX = '[webaio-bench] ';

// Present on the page, in every worker and in Node; declared here because bench/shared sees
// neither the DOM nor the WebWorker types (as app/shared/sync/clock.ts does for performance).
const { console } = globalThis as unknown as { console: { log(message: string): void } };

type Listener = (message: string) => void;
const listeners = new Set<Listener>();

export function progress(message: string): void {
  console.log(`${PROGRESS_PREFIX}${message}`);
  for (const listener of listeners) listener(message);
}

/** Hear every progress line until the returned function is called. */
export function onProgress(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
