// Request merging (cf. virtio_blk_submit_multireq in hw/block/virtio-blk.c): the requests one
// drain collected, reads with reads and writes with writes, sorted by sector; a run in which each
// starts where the previous one ends becomes one block request — at most MERGE_MAX_REQS of them,
// MERGE_MAX_BYTES in all, and no more segments than a slot carries. The others ride along on it
// (their chain is virtio-blk-complete.ts's). The vCPU prepares one drain's slots here.

import { BlockOp, writeSlot, type BlockRequest, type Iovec } from '../block/block.ts';
import { stampMs } from '../sync/clock.ts';
import type { Control } from '../layout/layout.ts';
import type { BlkRequest } from './virtio-blk.ts';
import { virtioBlkLinkRiders } from './virtio-blk-complete.ts';

/** QEMU's VIRTIO_BLK_MAX_MERGE_REQS. */
export const MERGE_MAX_REQS = 32;
/** The largest merged request (the device's max transfer). */
export const MERGE_MAX_BYTES = 1 << 20;

/** What to submit: a request in `slot`, standing also for the requests of `riders`. */
export interface MergedRequest {
  slot: number;
  req: BlockRequest;
  riders: number[];
}

/** A request that carries no others. */
const NO_RIDERS: readonly number[] = [];

/**
 * virtio_blk_submit_multireq() up to the block layer's submit: one drain's requests written into
 * their slots — merged first when the AIO layer says so (aio.merge), riders chained to their
 * carrier — and the slots to submit put in `slots`, in order; returns how many. A slot's tag is
 * its descriptor head (this queue's slots start at `slotBase`); `client` is the submitting vCPU.
 */
export function virtioBlkPrepareMultireq(
  ctl: Control,
  reqs: readonly BlkRequest[],
  client: number,
  slotBase: number,
  slots: Int32Array,
): number {
  const { i32, L } = ctl;
  const tSubmit = stampMs();
  // Without merging, the exit's own requests as they are (no object per request).
  const merged: readonly (BlkRequest | MergedRequest)[] = Atomics.load(i32, L.aio.merge)
    ? mergeRequests(reqs, L.params.maxIov)
    : reqs;
  for (let i = 0; i < merged.length; i++) {
    const m = merged[i];
    writeSlot(ctl, m.slot, m.req, client, m.slot - slotBase, tSubmit);
    virtioBlkLinkRiders(ctl, m.slot, 'riders' in m ? m.riders : NO_RIDERS, slotBase);
    slots[i] = m.slot;
  }
  return merged.length;
}

const mergeable = (op: BlockOp) => op === BlockOp.READ || op === BlockOp.WRITE;

/**
 * The block requests for one drain's `reqs`, in order: a request that cannot merge (a flush, a
 * discard, write-zeroes) is submitted after the merged requests that came before it and before
 * any that came after (cf. virtio_blk_handle_flush submitting the pending multireq first), so a
 * flush stays behind the writes the guest made available before it.
 */
export function mergeRequests(reqs: readonly BlkRequest[], maxIov: number): MergedRequest[] {
  const out: MergedRequest[] = [];
  const byOp = new Map<BlockOp, BlkRequest[]>();
  for (const r of reqs) {
    if (!mergeable(r.req.op)) {
      mergeRuns(byOp, maxIov, out);
      out.push({ slot: r.slot, req: r.req, riders: [] });
      continue;
    }
    let list = byOp.get(r.req.op);
    if (!list) byOp.set(r.req.op, (list = []));
    list.push(r);
  }
  mergeRuns(byOp, maxIov, out);
  return out;
}

/** Each op's requests sorted by sector, their runs appended to `out` as merged requests;
 *  `byOp` is left empty. */
function mergeRuns(byOp: Map<BlockOp, BlkRequest[]>, maxIov: number, out: MergedRequest[]): void {
  for (const list of byOp.values()) {
    list.sort((a, b) => a.req.byteOffset - b.req.byteOffset);
    let run: BlkRequest[] = [];
    let bytes = 0;
    let segs = 0;
    const flush = () => {
      if (run.length === 0) return;
      const [first] = run;
      const iov: Iovec[] = run.length === 1 ? [...first.req.iov] : run.flatMap((r) => r.req.iov);
      out.push({
        slot: first.slot,
        req: {
          op: first.req.op,
          byteOffset: first.req.byteOffset,
          nbytes: bytes,
          iov,
          merged: run.length,
        },
        riders: run.slice(1).map((r) => r.slot),
      });
      run = [];
      bytes = 0;
      segs = 0;
    };
    for (const r of list) {
      const last = run[run.length - 1];
      const joins =
        last !== undefined &&
        last.req.byteOffset + last.req.nbytes === r.req.byteOffset &&
        run.length < MERGE_MAX_REQS &&
        bytes + r.req.nbytes <= MERGE_MAX_BYTES &&
        segs + r.req.iov.length <= maxIov;
      if (!joins) flush();
      run.push(r);
      bytes += r.req.nbytes;
      segs += r.req.iov.length;
    }
    flush();
  }
  byOp.clear();
}
