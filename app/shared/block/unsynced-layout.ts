// Chunks committed by relaxed transactions since the last flush, one bit each
// (workers/block/unsynced.ts): a relaxed commit is durable only once a flush commits it again.

import { bitmapWords, field, type Cursor } from '../layout/layout-region.ts';

export function unsyncedRegion(c: Cursor, diskChunks: number) {
  return {
    /** One bit per chunk written to the image by a relaxed transaction since the last flush:
     *  set by the worker (Atomics.or) before its request completes, taken by the flush
     *  (Atomics.exchange), which commits those chunks again, durably. */
    bits: field(c.i32(bitmapWords(diskChunks))),
  };
}
