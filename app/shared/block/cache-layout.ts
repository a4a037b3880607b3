// The page cache's words (workers/block/page-cache.ts): its lock, condition variable and
// writeback lock, its statistics, and per page its chunk, state, pins and clock bit. The pages'
// bytes live in a buffer of their own, the cache memory.

import { field, type Cursor } from '../layout/layout-region.ts';

/** The page cache is set-associative: chunk c may live only in set c % sets, in one of its
 *  ways. Pages are sets x ways. */
export const CACHE_WAYS = 16;
export const cacheWays = (cachePages: number) => Math.min(CACHE_WAYS, Math.max(1, cachePages));
export const cacheSets = (cachePages: number) => Math.ceil(cachePages / cacheWays(cachePages));

/** Where page `page` of the page cache starts in the cache memory buffer. */
export const cachePageByte = (page: number, chunkSize: number) => page * chunkSize;

/** Page cache states (cache.state), under cache.lock. */
export const PageState = {
  /** Holds nothing: not in the hash table. */
  FREE: 0,
  /** Claimed by one worker, which fills it (from the image, or whole from a request); others
   *  wait on cache.cond until it leaves this state. */
  FILLING: 1,
  /** The chunk as the image holds it. */
  CLEAN: 2,
  /** Newer than the image: written by requests since its last writeback. */
  DIRTY: 3,
} as const;
export type PageState = (typeof PageState)[keyof typeof PageState];

export function cacheRegion(c: Cursor, cachePages: number) {
  return {
    /** A qemu_mutex: every word below but the statistics is written under it. */
    lock: c.i32(1),
    /** A qemu_cond: pages leave FILLING, pins drop, the writeback lock frees. */
    cond: c.i32(1),
    /** Held (1) by the one worker writing pages back. */
    writeback: c.i32(1),
    /** The dirtying sequence, and pages DIRTY. */
    seq: c.i32(1),
    dirtyPages: c.i32(1),
    /** Statistics (Atomics.add, any worker): hits, misses, evictions, pages written back. */
    hits: c.i32(1),
    misses: c.i32(1),
    evictions: c.i32(1),
    writtenBack: c.i32(1),
    /** Per page (page = set * ways + way): chunk index (-1 none, set by createControl()),
     *  PageState, workers using its bytes (a pinned page is not evicted), the `seq` of its last
     *  dirtying, and the clock's referenced bit. */
    tag: field(c.i32(cachePages)),
    state: field(c.i32(cachePages)),
    pins: field(c.i32(cachePages)),
    dirtySeq: field(c.i32(cachePages)),
    ref: field(c.i32(cachePages)),
    /** Each set's clock hand: the way eviction looks at next. */
    hand: field(c.i32(cacheSets(cachePages))),
  };
}
