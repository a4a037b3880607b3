import { describe, expect, it } from 'vitest';
import { bitmapWords, Cursor, field, segmentField, stateNames } from './layout-region.ts';

describe('layout-region', () => {
  it('layout-region/cursor-aligns: words follow each other, 8-byte ones on 8 bytes', () => {
    const c = new Cursor();
    expect(c.i32(3)).toBe(0);
    // 12 bytes so far: the f64 region skips to byte 16, its index counts 8-byte words.
    expect(c.f64(2)).toBe(2);
    expect(c.i32(1)).toBe(8);
    expect(c.i64(1)).toBe(5);
    expect(c.bytes).toBe(48);
  });

  it('layout-region/fields: element and segment arithmetic', () => {
    expect(field(10).at(3)).toBe(13);
    expect(field(10, 4).at(3)).toBe(22);
    expect(segmentField(100, 8).at(2, 5)).toBe(121);
    expect(bitmapWords(0)).toBe(0);
    expect(bitmapWords(33)).toBe(2);
  });

  it('layout-region/state-names: codes to display names', () => {
    expect(stateNames({ STOPPED: 0, IN_EXIT: 2, RUNNING: 1 })).toEqual([
      'stopped',
      'running',
      'in-exit',
    ]);
  });
});
