import { describe, expect, it } from 'vitest';
import { BlockOp, type BlockRequest } from '../../app/shared/block.ts';
import { MERGE_MAX_REQS, mergeRequests } from './merge.ts';

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
