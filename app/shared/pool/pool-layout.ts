// The thread pool's words (cf. struct ThreadPool in util/thread-pool.c): its lock and condition
// variable, the counters, the spawn backlog and the request list's ends. thread-pool.ts owns them.

import { field, type Cursor } from '../layout/layout-region.ts';

/** The most pool workers one pool may have (max_threads is at most this). */
export const POOL_MAX_THREADS = 128;

export function poolRegion(c: Cursor) {
  return {
    /** ThreadPool.lock: a qemu_mutex word. */
    lock: c.i32(1),
    /** ThreadPool.request_cond: a qemu_cond word; idle workers wait on it. */
    requestCond: c.i32(1),
    // Everything below is written under `lock` only (cf. struct ThreadPool); the page may read
    // it without the lock for display.
    /** Also the word thread_pool_free() waits on: each worker notifies it as it leaves. */
    curThreads: c.i32(1),
    /** Workers waiting on request_cond: worker_thread() (worker-thread.ts) counts itself in
     *  and out around its wait; pool-orphans.ts counts out one that died waiting. */
    idleThreads: c.i32(1),
    /** Backlog: threads counted in cur_threads that nobody has created yet. */
    newThreads: c.i32(1),
    /** Created, first line not run yet. */
    pendingThreads: c.i32(1),
    minThreads: c.i32(1),
    maxThreads: c.i32(1),
    idleTimeoutMs: c.i32(1),
    /** PoolPolicy code (see thread-pool.ts). */
    policy: c.i32(1),
    /** Highest cur_threads and pending_threads ever seen, for the tests and the lesson. */
    curHighWater: c.i32(1),
    pendingHighWater: c.i32(1),
    /** Spawn records handed out so far, and where the next search for a free record starts. */
    spawned: c.i32(1),
    recordCursor: c.i32(1),
    /** Workers that left their loop, or were lost, so far. */
    exited: c.i32(1),
    /** Workers that died with the vCPU that created them (the `inline` policy's lesson), and
     *  the requests they had taken that went back to the queue. */
    lostWithCreator: c.i32(1),
    requeued: c.i32(1),
    /** Write batches taken and not yet finished (each worker's `record.writeBatch` summed);
     *  with aio.batch > 1, queued writes wait while one runs. Under `pool.lock`. */
    writeBatches: c.i32(1),
    /** Records of the backlog in spawn order: a ring of POOL_MAX_THREADS, its head, and
     *  new_threads its length (pushed and shifted by spawn-records.ts). */
    backlog: field(c.i32(POOL_MAX_THREADS)),
    backlogHead: c.i32(1),
    /** Head and tail slot of the request list (QTAILQ), -1 when empty, and its length. */
    queueHead: c.i32(1),
    queueTail: c.i32(1),
    queueLength: c.i32(1),
  };
}
