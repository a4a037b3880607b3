import { describe, expect, it } from 'vitest';
import { BounceBuffer } from './bounce.ts';

describe('bounce buffer', () => {
  it('bounce/alloc-free: extents never overlap and everything returns', () => {
    const b = new BounceBuffer(1 << 16);
    let seed = 99;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    const live: [number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      if (live.length && rand(2) === 0) {
        const [start, n] = live.splice(rand(live.length), 1)[0];
        b.release(start, n);
        continue;
      }
      const n = 1 + rand(4000);
      const start = b.alloc(n);
      if (start === undefined) continue;
      for (const [s, m] of live) {
        expect(start + n <= s || s + m <= start).toBe(true);
      }
      expect(start + n).toBeLessThanOrEqual(b.size);
      live.push([start, n]);
    }
    for (const [s, n] of live) b.release(s, n);
    expect(b.available()).toBe(b.size);
    expect(b.alloc(b.size)).toBe(0);
  });

  it('bounce/full: an allocation that does not fit is refused, not clipped', () => {
    const b = new BounceBuffer(1024);
    expect(b.alloc(1000)).toBe(0);
    expect(b.alloc(100)).toBeUndefined();
  });
});
