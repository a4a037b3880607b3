// chunk-value/*: what a chunk's stored value reads as — data, an overlay's clean chunk, zeros for
// a missing one or a tombstone — and anything else refused, naming the chunk.

import { describe, expect, it } from 'vitest';
import { decodeChunk } from './chunk-value.ts';

describe('chunk-value', () => {
  it('chunk-value/decode', () => {
    const data = new Uint8Array(4096).fill(7).buffer;
    expect(decodeChunk(data, 0, 4096)?.[0]).toBe(7);
    expect(decodeChunk({ clean: data }, 0, 4096)?.[4095]).toBe(7);
    expect(decodeChunk(undefined, 0, 4096)).toBeUndefined();
    expect(decodeChunk(0, 0, 4096)).toBeUndefined();
  });

  it('chunk-value/refuse-foreign', () => {
    expect(() => decodeChunk(new ArrayBuffer(100), 3, 4096)).toThrow(
      'chunk 3 holds [object ArrayBuffer] of 100 bytes, not 4096',
    );
    expect(() => decodeChunk({ clean: 'x' }, 4, 4096)).toThrow(/chunk 4 holds \[object String\]/);
    expect(() => decodeChunk(1, 5, 4096)).toThrow(/chunk 5 holds \[object Number\]/);
  });
});
