// The guest's submission loop, fio's: keep up to `iodepth` requests in flight while there is
// work to start, reap completions, and halt (HLT) when nothing can move until an interrupt.

import { stampMs } from '../../app/shared/clock.ts';
import type { Bus } from './driver.ts';

export interface InFlightLoop {
  iodepth: number;
  /** When the job's runtime ends (ms since the epoch; Infinity if it has none). */
  deadline: number;
  inflight(): number;
  /** More requests should be started. */
  wantMore(): boolean;
  /** Start one; false if it cannot now (no buffer, id or free block). */
  submitOne(): boolean;
  /** Reap what completed; how many did. */
  reap(): number;
}

/** Run until the work is done and answered, or the vCPU is asked to stop; true if stopped. */
export async function runInFlight(bus: Bus, loop: InFlightLoop): Promise<boolean> {
  for (;;) {
    if (bus.shouldStop()) return true;
    let progressed = loop.reap() > 0;
    while (loop.inflight() < loop.iodepth && loop.wantMore() && !bus.shouldStop()) {
      if (!loop.submitOne()) break;
      progressed = true;
    }
    if (loop.inflight() === 0 && !loop.wantMore()) return false;
    if (!progressed || loop.inflight() >= loop.iodepth || !loop.wantMore()) {
      // Wake for a completion, or when the runtime ends if there is still work to start.
      const left = loop.deadline - stampMs();
      await bus.halt(loop.wantMore() ? Math.max(1, Math.min(1000, left)) : 1000);
    }
  }
}
