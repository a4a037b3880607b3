import { describe, expect, it } from 'vitest';
import { BlockOp, type BlockRequest } from '../block/block.ts';
import { createControl } from '../layout/layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import { BlkStatus, GuestMemory } from './virtio.ts';
import { virtioBlkRwComplete } from './virtio-blk-complete.ts';
import { MERGE_MAX_REQS, mergeRequests, virtioBlkPrepareMultireq } from './virtio-blk-merge.ts';

const req = (op: BlockOp, sector: number, sectors: number, addr = sector * 512): BlockRequest => ({
  op,
  byteOffset: sector * 512,
  nbytes: sectors * 512,
  iov: [[addr, sectors * 512]],
});

describe('virtio-blk request merging', () => {
  it('merge/adjacent-same-direction: sorted runs become one request each; others stay', () => {
    const out = mergeRequests(
      [
        { slot: 0, req: req(BlockOp.WRITE, 8, 8) },
        { slot: 1, req: req(BlockOp.READ, 100, 8) },
        { slot: 2, req: req(BlockOp.WRITE, 0, 8) },
        { slot: 3, req: req(BlockOp.WRITE, 16, 8) },
        { slot: 5, req: req(BlockOp.READ, 108, 8) },
        { slot: 4, req: req(BlockOp.FLUSH, 0, 0) },
        { slot: 6, req: req(BlockOp.WRITE, 40, 8) },
      ],
      64,
    );
    const byFirst = new Map(out.map((m) => [m.slot, m]));
    // Writes 0, 8, 16 (slots 2, 0, 3) merge, in sector order; 40 does not touch them.
    expect(byFirst.get(2)).toMatchObject({
      riders: [0, 3],
      req: { op: BlockOp.WRITE, byteOffset: 0, nbytes: 24 * 512, merged: 3 },
    });
    expect(byFirst.get(2)?.req.iov).toEqual([
      [0, 4096],
      [8 * 512, 4096],
      [16 * 512, 4096],
    ]);
    expect(byFirst.get(6)).toMatchObject({ riders: [], req: { merged: 1 } });
    expect(byFirst.get(1)).toMatchObject({ riders: [5], req: { nbytes: 16 * 512 } });
    // A flush is never merged.
    expect(byFirst.get(4)).toMatchObject({ riders: [], req: { op: BlockOp.FLUSH } });
    // Every request is somewhere, once.
    const all = out.flatMap((m) => [m.slot, ...m.riders]).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('merge/barrier-order: a flush goes after the requests made available before it, and nothing merges across it', () => {
    const out = mergeRequests(
      [
        { slot: 0, req: req(BlockOp.WRITE, 8, 8) },
        { slot: 1, req: req(BlockOp.WRITE, 0, 8) },
        { slot: 2, req: req(BlockOp.FLUSH, 0, 0) },
        { slot: 3, req: req(BlockOp.WRITE, 16, 8) },
        { slot: 4, req: req(BlockOp.DISCARD, 64, 8) },
        { slot: 5, req: req(BlockOp.READ, 0, 8) },
      ],
      64,
    );
    expect(out.map((m) => [m.slot, m.riders])).toEqual([
      [1, [0]], // writes 0 and 8, merged
      [2, []], // the flush, after them
      [3, []], // write 16 touches write 8, but the flush stands between them
      [4, []],
      [5, []],
    ]);
  });

  it('merge/limits: at most 32 requests, and no more segments than a slot carries', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ slot: i, req: req(BlockOp.READ, i, 1) }));
    expect(mergeRequests(many, 1024).map((m) => m.riders.length + 1)).toEqual([
      MERGE_MAX_REQS,
      40 - MERGE_MAX_REQS,
    ]);
    expect(mergeRequests(many.slice(0, 10), 4).map((m) => m.riders.length + 1)).toEqual([4, 4, 2]);
  });
});

describe('virtio-blk rider chain', () => {
  const QUEUE = 8;
  const USED = 4096;
  const STATUS = 8192;

  /** Queue 1 (slots 8..15) with three adjacent 4 KiB reads at heads 0..2 popped, merge on. */
  function rig() {
    const ctl = createControl({
      nslots: 2 * QUEUE,
      maxIov: 8,
      nrecords: 256,
      nvcpus: 2,
      cachePages: 0,
      diskChunks: 0,
    });
    const mem = new GuestMemory(new SharedArrayBuffer(1 << 16));
    const { i32, L } = ctl;
    Atomics.store(i32, L.aio.merge, 1);
    Atomics.store(i32, L.vcpu.qNum.at(1), QUEUE);
    Atomics.store(i32, L.vcpu.qUsed.at(1), USED);
    Atomics.store(i32, L.vcpu.qInflight.at(1), 3);
    const reqs = [0, 1, 2].map((head) => {
      const slot = QUEUE + head;
      i32[L.vreq.statusAddr.at(slot)] = STATUS + head;
      i32[L.vreq.inLen.at(slot)] = 4096 + 1;
      mem.setU8(STATUS + head, 0xff);
      return { slot, req: req(BlockOp.READ, head * 8, 8, 16384 + head * 4096) };
    });
    return { ctl, mem, reqs };
  }

  /** The used ring's elements, [head, len], and each head's status byte. */
  const used = (mem: GuestMemory) =>
    Array.from({ length: mem.loadIdx(USED + 2) }, (_, i) => [
      mem.u32(USED + 4 + 8 * i),
      mem.u32(USED + 8 + 8 * i),
    ]);
  const statuses = (mem: GuestMemory) => [0, 1, 2].map((h) => mem.u8(STATUS + h));

  it('virtio-blk/multireq-chain: one slot submitted, its riders MERGED; the completion answers all three and frees the riders', () => {
    const { ctl, mem, reqs } = rig();
    const { i32, f64, L } = ctl;
    const slots = new Int32Array(QUEUE);
    expect(virtioBlkPrepareMultireq(ctl, reqs, 2, QUEUE, slots)).toBe(1);
    const carrier = slots[0];
    expect(carrier).toBe(QUEUE);
    expect(f64[L.slot.nbytes.at(carrier)]).toBe(3 * 4096);
    expect(i32[L.slot.merged.at(carrier)]).toBe(3);
    expect([9, 10].map((s) => Atomics.load(i32, L.slot.state.at(s)))).toEqual([
      SlotState.MERGED,
      SlotState.MERGED,
    ]);
    virtioBlkRwComplete(ctl, mem, 1, carrier, 3 * 4096);
    expect(used(mem)).toEqual([
      [0, 4097],
      [1, 4097],
      [2, 4097],
    ]);
    expect(statuses(mem)).toEqual([BlkStatus.OK, BlkStatus.OK, BlkStatus.OK]);
    expect([9, 10].map((s) => Atomics.load(i32, L.slot.state.at(s)))).toEqual([
      SlotState.FREE,
      SlotState.FREE,
    ]);
    expect(Atomics.load(i32, L.vcpu.qInflight.at(1))).toBe(0);
  });

  it('virtio-blk/multireq-error: a failed carrier fails every rider, with no data', () => {
    const { ctl, mem, reqs } = rig();
    const slots = new Int32Array(QUEUE);
    virtioBlkPrepareMultireq(ctl, reqs, 2, QUEUE, slots);
    virtioBlkRwComplete(ctl, mem, 1, slots[0], -5);
    expect(used(mem)).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(statuses(mem)).toEqual([BlkStatus.IOERR, BlkStatus.IOERR, BlkStatus.IOERR]);
  });

  it('virtio-blk/no-merge: with aio.merge off every request is its own slot, its chain ended', () => {
    const { ctl, reqs } = rig();
    const { i32, L } = ctl;
    Atomics.store(i32, L.aio.merge, 0);
    const slots = new Int32Array(QUEUE);
    expect(virtioBlkPrepareMultireq(ctl, reqs, 2, QUEUE, slots)).toBe(3);
    expect([...slots.subarray(0, 3)]).toEqual([8, 9, 10]);
    expect([8, 9, 10].map((s) => i32[L.vreq.mergedNext.at(s)])).toEqual([-1, -1, -1]);
    expect([8, 9, 10].map((s) => i32[L.slot.tag.at(s)])).toEqual([0, 1, 2]);
  });
});
