import { describe, expect, it } from 'vitest';
import { chunkPieces } from './chunk-map.ts';

describe('chunk map', () => {
  it('chunk-map/within-one-chunk', () => {
    expect(chunkPieces(100, 200, 4096)).toEqual([
      { chunkIndex: 0, offsetInChunk: 100, nbytes: 200, offsetInRequest: 0 },
    ]);
  });

  it('chunk-map/crossing: partial head, whole middle, partial tail', () => {
    expect(chunkPieces(4000, 4096 + 200, 4096)).toEqual([
      { chunkIndex: 0, offsetInChunk: 4000, nbytes: 96, offsetInRequest: 0 },
      { chunkIndex: 1, offsetInChunk: 0, nbytes: 4096, offsetInRequest: 96 },
      { chunkIndex: 2, offsetInChunk: 0, nbytes: 104, offsetInRequest: 4192 },
    ]);
  });

  it('chunk-map/cover: pieces tile the range exactly, for random ranges', () => {
    let seed = 12345;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    for (let i = 0; i < 500; i++) {
      const size = 4096 << rand(4);
      const off = rand(1 << 22);
      const len = rand(100_000);
      const pieces = chunkPieces(off, len, size);
      let at = off;
      for (const p of pieces) {
        expect(p.chunkIndex * size + p.offsetInChunk).toBe(at);
        expect(p.offsetInRequest).toBe(at - off);
        expect(p.nbytes).toBeGreaterThan(0);
        expect(p.offsetInChunk + p.nbytes).toBeLessThanOrEqual(size);
        at += p.nbytes;
      }
      expect(at).toBe(off + len);
    }
    expect(chunkPieces(5, 0, 4096)).toEqual([]);
  });
});
