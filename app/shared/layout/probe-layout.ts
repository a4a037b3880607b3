// The self-test's probe (app/selftest.ts, workers/selftest-worker.ts): how long a worker's
// bhSchedule() takes to reach the main loop.

import type { Cursor } from './layout-region.ts';

export function probeRegion(c: Cursor) {
  return {
    /** Bumped by the main loop's probe BH each time it runs; the self-test worker waits on it. */
    ack: c.i32(1),
    /** Stamp taken by the self-test worker just before it schedules the probe BH. */
    tScheduled: c.f64(1),
  };
}
