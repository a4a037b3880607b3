// The main loop's words (cf. AioContext in util/async.c): its notifier and one bit per bottom
// half. bh.ts schedules them, main-loop.ts runs them.

import type { Cursor } from '../layout/layout-region.ts';

/** Bottom halves of a main loop: one bit each in `loop.bhScheduled` (cf. util/async.c). */
export const BH = {
  /** thread-pool.c spawn_thread_bh_fn: create one pool worker. */
  newThread: 0,
  /** thread-pool.c thread_pool_completion_bh: complete DONE requests. */
  completion: 1,
  /** The self-test's probe: measures worker -> main wake-up. */
  probe: 2,
} as const;
export type BhId = (typeof BH)[keyof typeof BH];
export const BH_COUNT = 3;

export function loopRegion(c: Cursor) {
  return {
    /** Bumped and notified by bhSchedule() on any thread; the main loop waits on it. */
    notifier: c.i32(1),
    /** One bit per BH; set by any thread (Atomics.or), cleared by the main loop (exchange). */
    bhScheduled: c.i32(1),
  };
}
