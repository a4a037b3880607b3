// worker_thread() of util/thread-pool.c: the loop every pool worker runs, whoever created it and
// whatever its requests do; the storage side is what `open` gives it.

import { inIo } from './pool-orphans.ts';
import type { PoolCore } from './thread-pool.ts';

/** What a worker does with its requests (cf. ThreadPoolFunc): the raw driver, or a test's. */
export interface PoolIo {
  /**
   * Perform the requests in `slots` (one batch, as takeRequestsLocked took it): each one's
   * bytes >= 0 or -errno, as soon as they are known.
   */
  run(slots: readonly number[]): Promise<number[]>;
  /**
   * Resolves once nothing the last run() started holds this thread: the worker may block in
   * Atomics.wait right after (an IndexedDB transaction left active would hold its store until
   * then). Awaited after the batch's requests are completed, off their latency.
   */
  settle(): Promise<void>;
}

/**
 * worker_thread(): first the newborn's act (counted running; the next owed worker is asked
 * for), then open the storage, then take requests — one, or a batch that shares a
 * transaction (queued writes wait while a write batch runs) — and run them; idle, wait on the
 * request condition variable, and leave once the idle timeout passes with nothing to do and
 * more than min_threads exist, or as soon as cur_threads > max_threads. Resolves when the worker has
 * left the pool — at once, counting nothing, for one given up for lost before it ran.
 */
export async function workerThread(
  pool: PoolCore,
  record: number,
  open: () => Promise<PoolIo>,
): Promise<void> {
  pool.lock.lock();
  const counted = pool.workerStartedLocked(record);
  pool.lock.unlock();
  if (!counted) return;
  const io = await open();

  pool.lock.lock();
  while (pool.mayRunLocked()) {
    const first = pool.picker.nextLocked();
    if (first === -1) {
      const woken = pool.idleWaitLocked(record);
      if (!woken && pool.requests.empty() && pool.aboveMinLocked()) {
        // Timed out, no work to do, no need for warm threads: exit.
        break;
      }
      // Even with work to do, check there are not too many workers before taking it.
      continue;
    }
    // The oldest request it may take, and queued ones that can share its transaction.
    const slots = pool.takeRequestsLocked(record, first);
    // In its I/O from here, under the lock: a creator quiescing (waitOutOfIoLocked, lock held)
    // either sees it in, and waits, or took the lock first, and this worker never got here.
    inIo(pool, record, true);
    pool.lock.unlock();

    const rets = await io.run(slots);
    slots.forEach((slot, k) => pool.requestDone(slot, rets[k]));
    await io.settle();
    inIo(pool, record, false);

    pool.lock.lock();
    pool.picker.batchFinishedLocked(record);
  }
  pool.workerExitLocked(record);
  pool.lock.unlock();
  // Wake another worker, in case we got a wake-up but decided to exit because cur > max.
  pool.requestCond.signal();
  // thread_pool_free() waits for cur_threads to reach 0 (cf. worker_stopped).
  Atomics.notify(pool.ctl.i32, pool.ctl.L.pool.curThreads);
}
