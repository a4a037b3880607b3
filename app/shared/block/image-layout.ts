// The image's words, shared by every worker of one block backend: a failed flush's poison, the
// page's fault injection (cf. blkdebug), and an overlay's base: its first fault and its traffic.

import type { Cursor } from '../layout/layout-region.ts';

export function imageRegion(c: Cursor) {
  return {
    /** QEMU's page_cache_inconsistent: set by the worker whose flush failed; never cleared. */
    flushPoisoned: c.i32(1),
    /** blkdebug-style fault injection, set by the page: which ops (bit per BlockOp), the errno
     *  to fail them with, and how many more to fail (workers decrement it atomically). */
    injectOps: c.i32(1),
    injectErrno: c.i32(1),
    injectRemaining: c.i32(1),
    /** An overlay's base (workers/block/backing.ts): the first BackingFault a worker met, set
     *  once with compareExchange from NONE; a poisoning one makes every later fetch fail. */
    backingFault: c.i32(1),
    /** An overlay's traffic, Atomics.add by the worker that served it (i64 words): bytes
     *  received from the base over HTTP and the requests that carried them; request bytes found
     *  in the overlay, and request bytes that had to come from the base. */
    baseFetchedBytes: c.i64(1),
    baseFetches: c.i64(1),
    overlayReadBytes: c.i64(1),
    baseReadBytes: c.i64(1),
  };
}
