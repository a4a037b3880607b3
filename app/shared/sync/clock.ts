// Stamps that compare across threads: every worker has its own time origin, so a stamp is
// performance.timeOrigin + performance.now(), in milliseconds since the epoch.

interface Performance {
  now(): number;
  readonly timeOrigin: number;
}
// Present on the page, in every worker and in Node; declared here because app/shared sees
// neither the DOM nor the WebWorker types.
const perf = (globalThis as unknown as { performance: Performance }).performance;

/** Milliseconds since the epoch, sub-millisecond resolution, comparable between threads. */
export function stampMs(): number {
  return perf.timeOrigin + perf.now();
}

/** This thread's monotonic clock, for durations measured on one thread. */
export function nowMs(): number {
  return perf.now();
}
