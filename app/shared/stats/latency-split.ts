// The latency of a block request split where it went, as the block accounting reports it.
// Environment-neutral, so that the benchmark's results, read in Node, can carry it.

import type { LatencySummary } from './histogram.ts';

/** The latency of one request, split where it went (µs each). */
export interface LatencySplit {
  /** Submitted -> a worker took it (includes waiting for a worker to be born). */
  queue_wait: LatencySummary;
  /** Worker took it -> its transaction committed. */
  service: LatencySummary;
  /** Worker published DONE -> the main loop completed it. */
  completion: LatencySummary;
}
