import { describe, expect, it } from 'vitest';
import { BlockOp, writeSlot } from '../block/block.ts';
import { createControl, type Control } from '../layout/layout.ts';
import { RequestList } from './request-list.ts';
import { RequestPicker } from './request-picker.ts';

/** A request list holding one request of each op in `ops`, slot k for ops[k], and its picker. */
function queue(ops: BlockOp[], batch: number) {
  const ctl = createControl({
    nslots: 16,
    maxIov: 1,
    nrecords: 256,
    nvcpus: 0,
    cachePages: 0,
    diskChunks: 0,
  });
  Atomics.store(ctl.i32, ctl.L.aio.batch, batch);
  const requests = new RequestList(ctl);
  ops.forEach((op, s) => {
    writeSlot(ctl, s, { op, byteOffset: 0, nbytes: 0, iov: [] }, 0, s);
    requests.insertTail(s);
  });
  return { ctl, requests, picker: new RequestPicker(ctl, requests) };
}

const writeBatches = (ctl: Control) => Atomics.load(ctl.i32, ctl.L.pool.writeBatches);

describe('request picker', () => {
  it('thread-pool/picker-faithful: with batch 1 it is QTAILQ_FIRST, one request at a time', () => {
    const { ctl, picker } = queue([BlockOp.WRITE, BlockOp.WRITE, BlockOp.READ], 1);
    expect(picker.nextLocked()).toBe(0);
    expect(picker.batchLocked(0, 0)).toEqual([0]);
    // A write batch of one holds nothing back: the next write is still the oldest.
    expect(writeBatches(ctl)).toBe(1);
    expect(picker.nextLocked()).toBe(0);
    picker.batchFinishedLocked(0);
    expect(writeBatches(ctl)).toBe(0);
  });

  it('thread-pool/picker-owes: only every batch-th queued request owes a worker', () => {
    const { ctl, picker, requests } = queue([], 4);
    const owes: boolean[] = [];
    for (let s = 0; s < 9; s++) {
      owes.push(picker.startsBatchLocked());
      writeSlot(ctl, s, { op: BlockOp.READ, byteOffset: 0, nbytes: 0, iov: [] }, 0, s);
      requests.insertTail(s);
    }
    expect(owes).toEqual([true, false, false, false, true, false, false, false, true]);
    expect([0, 1, 4, 5, 9].map((n) => picker.workersFor(n))).toEqual([0, 1, 1, 2, 3]);
  });

  it('thread-pool/picker-barrier: a flush is taken alone, and only once it is the oldest', () => {
    const { ctl, picker, requests } = queue([BlockOp.WRITE, BlockOp.FLUSH, BlockOp.READ], 8);
    expect(picker.batchLocked(0, 0)).toEqual([0]);
    requests.remove(0);
    // A write batch runs: the flush heads the queue, so it may go (alone); the read behind it
    // may not overtake it.
    expect(picker.nextLocked()).toBe(1);
    expect(picker.batchLocked(1, 1)).toEqual([1]);
    requests.remove(1);
    expect(picker.nextLocked()).toBe(2);
    picker.batchFinishedLocked(0);
    // Finishing twice (a worker lost after its batch ended) counts nothing twice.
    picker.batchFinishedLocked(0);
    expect(writeBatches(ctl)).toBe(0);
  });
});
