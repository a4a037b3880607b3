// The virtio-blk request behind each pool slot (cf. VirtIOBlockReq in hw/block/virtio-blk.c):
// what the completion BH needs to answer the guest, and the chain of requests merged into it.

import { field, type Cursor } from '../layout/layout-region.ts';

export function vreqRegion(c: Cursor, nslots: number) {
  return {
    /** Written by the vCPU that submitted the slot's request, read by the completion BH: where
     *  its status byte is, and how many bytes the device writes (data for a read, plus the
     *  status byte). */
    statusAddr: field(c.i32(nslots)),
    inLen: field(c.i32(nslots)),
    /** The next slot of a merged request's riders (MERGED), -1 at the end; by the vCPU. */
    mergedNext: field(c.i32(nslots)),
  };
}
