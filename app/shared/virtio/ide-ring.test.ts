import { describe, expect, it } from 'vitest';
import { ideRingDrain, ideRingPush, ideRingReset } from './ide-ring.ts';
import { createControl } from '../layout/layout.ts';
import { POOL_RECORDS } from '../pool/record-layout.ts';

const ctlOf = (ideRing: number) =>
  createControl({
    nslots: ideRing,
    maxIov: 1,
    nrecords: POOL_RECORDS,
    nvcpus: 1,
    cachePages: 0,
    diskChunks: 0,
    ideRing,
  });

describe('IDE completion ring', () => {
  it('ide-ring/order-and-wrap: completions come out in order across many wraps', () => {
    const ctl = ctlOf(4);
    const seen: [number, number][] = [];
    let sent = 0;
    for (let round = 0; round < 25; round++) {
      const n = 1 + (round % 4);
      for (let k = 0; k < n; k++, sent++) {
        Atomics.add(ctl.i32, ctl.L.ide.inflight, 1);
        ideRingPush(ctl, sent % 4, sent * 512);
      }
      expect(ideRingDrain(ctl, (slot, ret) => seen.push([slot, ret]))).toBe(n);
    }
    expect(seen).toEqual(Array.from({ length: sent }, (_, i) => [i % 4, i * 512]));
    expect(Atomics.load(ctl.i32, ctl.L.ide.inflight)).toBe(0);
  });

  it('ide-ring/full-is-a-bug: a fifth completion in a ring of four throws', () => {
    const ctl = ctlOf(4);
    for (let s = 0; s < 4; s++) ideRingPush(ctl, s, 0);
    expect(() => ideRingPush(ctl, 0, 0)).toThrow('IDE completion ring of 4 entries is full');
  });

  it('ide-ring/reset-skips-the-old-boot: a new consumer reads only what comes after', () => {
    const ctl = ctlOf(4);
    ideRingPush(ctl, 1, 0);
    ideRingReset(ctl);
    ideRingPush(ctl, 2, 512);
    const seen: number[] = [];
    ideRingDrain(ctl, (slot) => seen.push(slot));
    expect(seen).toEqual([2]);
  });
});
