import { describe, expect, it } from 'vitest';
import { IoVector } from './iov.ts';

describe('IoVector', () => {
  it('iov/scatter-gather: copies follow the segments in order', () => {
    const mem = new Uint8Array(64);
    const v = new IoVector(mem, [
      [40, 4],
      [8, 6],
    ]);
    expect(v.size).toBe(10);
    v.copyIn(0, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0, 10);
    expect([...mem.subarray(40, 44)]).toEqual([1, 2, 3, 4]);
    expect([...mem.subarray(8, 14)]).toEqual([5, 6, 7, 8, 9, 10]);
    const out = new Uint8Array(6);
    v.copyOut(2, out, 1, 5);
    expect([...out]).toEqual([0, 3, 4, 5, 6, 7]);
    v.zero(3, 3);
    expect([...mem.subarray(40, 44)]).toEqual([1, 2, 3, 0]);
    expect([...mem.subarray(8, 14)]).toEqual([0, 0, 7, 8, 9, 10]);
  });

  it('iov/bounds: a segment outside the buffer is refused with its numbers', () => {
    const mem = new Uint8Array(64);
    expect(() => new IoVector(mem, [[60, 8]])).toThrow('segment 0 [60, +8) is outside the 64-byte');
    const v = new IoVector(mem, [[0, 8]]);
    expect(() => v.zero(4, 8)).toThrow('run past its 8 bytes');
  });
});
