// The pool's request slots (cf. ThreadPoolElement in util/thread-pool.c): a block request, its
// state and result, its links in the request list, and the done bitmap the completion BH takes.

import { bitmapWords, field, segmentField, type Cursor } from '../layout/layout-region.ts';

/** Slot states, cf. ThreadState in util/thread-pool.c, plus FREE for an unused slot. */
export const SlotState = {
  FREE: 0,
  QUEUED: 1,
  ACTIVE: 2,
  DONE: 3,
  /** Carried by another slot's request (the device merged it in); freed with that one. */
  MERGED: 4,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

export function slotRegion(c: Cursor, nslots: number, maxIov: number) {
  return {
    /** SlotState; FREE->QUEUED by the submitter, QUEUED->ACTIVE by a worker under `pool.lock`,
     *  QUEUED->DONE by a canceller under `pool.lock`, ACTIVE->DONE by the worker (after `ret`),
     *  DONE->FREE by the main loop's completion BH. */
    state: field(c.i32(nslots)),
    /** Request fields, written by the submitter before QUEUED, read-only afterwards. */
    op: field(c.i32(nslots)),
    /** Requests this one stands for: 1, or more when the device merged others into it. */
    merged: field(c.i32(nslots)),
    niov: field(c.i32(nslots)),
    /** Whose request this is (see pool clients); read by the completion BH. */
    client: field(c.i32(nslots)),
    /** Submitter's own tag (a descriptor head, a promise id); a merged request's riders have
     *  theirs too. */
    tag: field(c.i32(nslots)),
    /** Result, bytes >= 0 or -errno; written by the worker (or canceller) before DONE, read by
     *  the completion BH after it has seen DONE. */
    ret: field(c.i32(nslots)),
    /** Spawn record of the worker that ran it; written with ACTIVE. */
    worker: field(c.i32(nslots)),
    /** Request-list links, under `pool.lock` (-1 none, set by createControl()). */
    next: field(c.i32(nslots)),
    prev: field(c.i32(nslots)),
    /** Segments: addresses and lengths in the DMA buffer, by the submitter. */
    iovAddr: segmentField(c.i32(nslots * maxIov), maxIov),
    iovLen: segmentField(c.i32(nslots * maxIov), maxIov),
    /** f64 fields: request geometry and stamps (ms since the epoch, timeOrigin + now()). */
    byteOffset: field(c.f64(nslots)),
    nbytes: field(c.f64(nslots)),
    tSubmit: field(c.f64(nslots)),
    tStart: field(c.f64(nslots)),
    tDone: field(c.f64(nslots)),
    /** One bit per slot that went DONE and has not been completed yet: set (Atomics.or) by
     *  whoever made it DONE, after the state; taken (Atomics.exchange) by the completion BH,
     *  which so visits only finished slots (cf. QEMU walking its list of requests). */
    doneBits: field(c.i32(bitmapWords(nslots))),
  };
}
