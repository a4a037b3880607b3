// worker_thread() of util/thread-pool.c: the loop every pool worker runs, its idle wait included,
// whoever created it and whatever its requests do; the storage side is what `open` gives it.

import { inIo } from './pool-orphans.ts';
import { WorkerState } from './record-layout.ts';
import type { PoolCore } from './thread-pool.ts';
import { PoolTraceKind } from '../trace/trace-ring.ts';

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
 * more than min_threads exist, or as soon as cur_threads > max_threads. Resolves when the
 * worker has left the pool — at once, counting nothing, for one given up for lost before it ran.
 */
export async function workerThread(
  pool: PoolCore,
  record: number,
  open: () => Promise<PoolIo>,
): Promise<void> {
  const { i32, L } = pool.ctl;
  const p = L.pool;
  const get = (index: number) => Atomics.load(i32, index);
  pool.lock.lock();
  const counted = pool.workerStartedLocked(record);
  pool.lock.unlock();
  if (!counted) return;
  const io = await open();

  pool.lock.lock();
  while (get(p.curThreads) <= get(p.maxThreads)) {
    const first = pool.picker.nextLocked();
    if (first === -1) {
      const woken = idleWaitLocked(pool, record);
      if (!woken && pool.requests.empty() && get(p.curThreads) > get(p.minThreads)) {
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
  pool.workerGoneLocked(record, WorkerState.EXITED);
  pool.lock.unlock();
  // Wake another worker, in case we got a wake-up but decided to exit because cur > max.
  pool.requestCond.signal();
  // thread_pool_free() waits for cur_threads to reach 0 (cf. worker_stopped).
  Atomics.notify(i32, p.curThreads);
}

/** worker_thread()'s wait on request_cond as an idle worker; false if the idle timeout passed. */
function idleWaitLocked(pool: PoolCore, record: number): boolean {
  const { i32, L } = pool.ctl;
  Atomics.add(i32, L.pool.idleThreads, 1);
  Atomics.store(i32, L.record.state.at(record), WorkerState.IDLE);
  pool.observer.workerEvent(PoolTraceKind.IDLE, record);
  const timeoutMs = Atomics.load(i32, L.pool.idleTimeoutMs);
  const woken = pollLocked(pool) || pool.requestCond.timedWait(pool.lock, timeoutMs);
  Atomics.add(i32, L.pool.idleThreads, -1);
  pool.observer.workerEvent(PoolTraceKind.WAKE, record);
  return woken;
}

/**
 * Before an idle worker sleeps, one at a time polls the request condition for aio.pollUs
 * (cf. QEMU's poll-max-ns): a request submitted meanwhile is taken without the futex wake
 * that costs a sleeping worker tens of microseconds. True if a signal came while it polled.
 */
function pollLocked(pool: PoolCore): boolean {
  const { i32, L } = pool.ctl;
  const us = Atomics.load(i32, L.aio.pollUs);
  if (us <= 0 || Atomics.compareExchange(i32, L.aio.poller, 0, 1) !== 0) return false;
  try {
    return pool.requestCond.poll(pool.lock, us);
  } finally {
    Atomics.store(i32, L.aio.poller, 0);
  }
}
