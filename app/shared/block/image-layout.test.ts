import { describe, expect, it } from 'vitest';
import { createControl } from '../layout/layout.ts';
import { POOL_RECORDS } from '../pool/record-layout.ts';

describe('image-layout/i64', () => {
  it('image-layout/i64-counters-are-aligned-and-distinct', () => {
    const ctl = createControl({
      nslots: 3,
      maxIov: 2,
      nrecords: POOL_RECORDS,
      nvcpus: 1,
      cachePages: 16,
      diskChunks: 100,
    });
    const { L } = ctl;
    const words = [
      L.image.baseFetchedBytes,
      L.image.baseFetches,
      L.image.overlayReadBytes,
      L.image.baseReadBytes,
    ];
    expect(new Set(words).size).toBe(4);
    for (const w of words) {
      Atomics.add(ctl.i64, w, 2n ** 53n);
      expect(Atomics.load(ctl.i64, w)).toBe(2n ** 53n);
      // The word lies inside the buffer and over no i32 word the rest of the layout uses.
      expect((w + 1) * 8).toBeLessThanOrEqual(ctl.sab.byteLength);
      expect(ctl.i32[L.image.backingFault]).toBe(0);
      expect(ctl.i32[L.image.injectRemaining]).toBe(0);
    }
  });
});
