// image-format/*: an overlay's metadata from storage is checked field by field; fetch sizes are
// whole chunks.

import { describe, expect, it } from 'vitest';
import { checkFetchBytes, describeBase, parseMeta } from './image-format.ts';

const plain = { format: 'raw', virtualSize: 1 << 20, chunkSize: 32768, created: 1, generation: 0 };
const backing = {
  url: 'http://h/base.img',
  baseSize: 1 << 20,
  extent: 1 << 20,
  etag: '"e"',
  lastModified: null,
  fetchBytes: 262144,
};

describe('image-format', () => {
  it('image-format/overlay-meta-round-trip', () => {
    expect(parseMeta({ ...plain, backing }, 'x')).toEqual({ ...plain, backing });
    expect(parseMeta({ ...plain, importing: true }, 'x').importing).toBe(true);
    expect(parseMeta(plain, 'x')).not.toHaveProperty('backing');
  });

  it('image-format/overlay-meta-refused-by-field', () => {
    const bad = (b: object) => () => parseMeta({ ...plain, backing: { ...backing, ...b } }, 'x');
    expect(bad({ url: 'file:///etc/passwd' })).toThrow(
      'image "x" has unreadable metadata: backing url "file:///etc/passwd" is not an http(s) URL',
    );
    expect(bad({ extent: -1 })).toThrow(/backing extent -1 is not a byte count/);
    expect(bad({ etag: 5 })).toThrow(/backing etag 5 is not a string or null/);
    expect(bad({ fetchBytes: 1000 })).toThrow(
      /fetch size 1000 is not a multiple of the chunk size 32768/,
    );
  });

  it('image-format/fetch-bytes', () => {
    expect(checkFetchBytes(65536, 32768)).toBe(65536);
    expect(() => checkFetchBytes(16384, 32768)).toThrow(/EINVAL|fetch size 16384/);
    expect(() => checkFetchBytes(32 << 20, 32768)).toThrow(/up to 16777216/);
  });

  it('image-format/describe-base', () => {
    expect(describeBase(backing)).toBe('http://h/base.img (ETag "e")');
    expect(describeBase({ ...backing, etag: null, lastModified: 'Tue' })).toBe(
      'http://h/base.img (Last-Modified Tue)',
    );
    expect(describeBase({ ...backing, etag: null })).toBe('http://h/base.img');
  });
});
