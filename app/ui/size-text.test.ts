// size-text/*: sizes as typed in the disk manager.

import { describe, expect, it } from 'vitest';
import { parseSize } from './size-text.ts';

describe('size-text', () => {
  it('size-text/parse', () => {
    expect(parseSize('64', 'MiB')).toBe(64 << 20);
    expect(parseSize('0.5', 'GiB')).toBe(512 << 20);
    expect(parseSize(' 4 ', 'k')).toBe(4096);
    expect(parseSize('', 'MiB')).toBeNaN();
    expect(parseSize('ten', 'MiB')).toBeNaN();
    expect(parseSize('1', 'parsecs')).toBeNaN();
  });
});
