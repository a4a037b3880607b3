// worker_thread() of util/thread-pool.c: the loop every pool worker runs, whoever created it and
// whatever it runs; the storage side is a function it is given.

import type { PoolCore } from './thread-pool.ts';

/**
 * worker_thread(): the loop every pool worker runs, whoever created it. Takes one request at a
 * time and runs it with `run` (bytes or -errno), then awaits `settle`; idle, waits on the request condition variable
 * and leaves once the idle timeout passes with nothing to do and more than min_threads exist,
 * or as soon as cur_threads > max_threads. The newborn's first act (workerStartedLocked) has
 * happened before. Returns when the worker has left the pool.
 */
export async function workerThread(
  pool: PoolCore,
  record: number,
  run: (slot: number) => Promise<number>,
  settle: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  pool.lock.lock();
  while (pool.mayRunLocked()) {
    if (pool.queueEmpty()) {
      const woken = pool.idleWaitLocked(record);
      if (!woken && pool.queueEmpty() && pool.aboveMinLocked()) {
        // Timed out, no work to do, no need for warm threads: exit.
        break;
      }
      // Even with work to do, check there are not too many workers before taking it.
      continue;
    }
    const slot = pool.takeRequestLocked(record);
    pool.lock.unlock();

    pool.requestDone(slot, await run(slot));
    // The request is answered; let the I/O layer finish behind it (a read's transaction
    // commits) before this thread takes the lock and perhaps blocks in Atomics.wait.
    await settle();

    pool.lock.lock();
  }
  pool.workerExitLocked(record);
  pool.lock.unlock();
  // Wake another worker, in case we got a wake-up but decided to exit because cur > max.
  pool.requestCond.signal();
  // Whoever shuts the pool down waits for cur_threads to reach 0 (cf. worker_stopped).
  Atomics.notify(pool.ctl.i32, pool.ctl.L.pool.curThreads);
}
