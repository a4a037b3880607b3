import { describe, expect, it } from 'vitest';
import { Errno } from '../../app/shared/block/errno.ts';
import { errnoOfStorageError } from './raw-idb.ts';

describe('raw driver errors', () => {
  it('raw/errno: a full quota is ENOSPC, any other storage failure EIO', () => {
    expect(errnoOfStorageError(new DOMException('quota', 'QuotaExceededError'))).toBe(
      -Errno.ENOSPC,
    );
    expect(errnoOfStorageError(new DOMException('gone', 'UnknownError'))).toBe(-Errno.EIO);
    expect(errnoOfStorageError(new DOMException('aborted', 'AbortError'))).toBe(-Errno.EIO);
    expect(errnoOfStorageError(null)).toBe(-Errno.EIO);
  });
});
