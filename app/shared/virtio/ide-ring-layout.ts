// The IDE front end's words (v86's disk, workers/linux/): its requests in the pool and its
// completion ring, which ide-ring.ts pushes and drains.

import { field, type Cursor } from '../layout/layout-region.ts';

/** `ideRing`: entries of the completion ring; one per request slot of the front end is enough. */
export function ideRingRegion(c: Cursor, ideRing: number) {
  return {
    /** Requests of the IDE front end (v86's disk, in its worker) in the pool: Atomics.add by
     *  that worker as it submits one, Atomics.sub by the completion BH as it completes one. */
    inflight: c.i32(1),
    /** The completion ring (cf. virtio's used ring): the completion BH, under the BQL, writes
     *  entry head % ideRing (the slot and its ret) and then moves `head`; the worker reads the
     *  entries up to `head` and moves `tail` (its word alone). The BQL's holder raises vCPU 0's
     *  `irq` once a pass; the worker waits on it. */
    head: c.i32(1),
    tail: c.i32(1),
    slot: field(c.i32(ideRing)),
    ret: field(c.i32(ideRing)),
  };
}
