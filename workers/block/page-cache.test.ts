// The page cache under real threads: workers pinning a batch's chunks at once never wait on
// each other in a circle.

import { describe, expect, it } from 'vitest';
import { deadline } from '../../app/shared/sync/deadline.ts';
import { PageState } from '../../app/shared/block/cache-layout.ts';
import { createControl, type Control } from '../../app/shared/layout/layout.ts';
import { QemuMutex } from '../../app/shared/sync/mutex.ts';
import { startThread } from '../../app/shared/testing/threads.ts';
import { PageCache } from './page-cache.ts';

const SCENARIOS = new URL('./testing/page-cache-scenarios.ts', import.meta.url);
const CHUNK = 4096;
const PAGES = 16; // one set
const params = {
  nslots: 8,
  maxIov: 8,
  nrecords: 256,
  nvcpus: 0,
  cachePages: PAGES,
  diskChunks: 64,
};

/** Whether each chunk has a page being filled, read under the cache lock. */
async function filling(ctl: Control, chunks: readonly number[]): Promise<boolean> {
  const { i32, L } = ctl;
  const lock = new QemuMutex(i32, L.cache.lock);
  await lock.lockAsync();
  try {
    return chunks.every((chunk) =>
      Array.from({ length: PAGES }, (_, p) => p).some(
        (p) =>
          Atomics.load(i32, L.cache.tag.at(p)) === chunk &&
          Atomics.load(i32, L.cache.state.at(p)) === PageState.FILLING,
      ),
    );
  } finally {
    lock.unlock();
  }
}

describe('page cache', () => {
  it('cache/pin-no-deadlock: batches pinning shared chunks in opposite orders, behind a third, all finish', async () => {
    const ctl = createControl(params);
    const memory = new SharedArrayBuffer(PAGES * CHUNK);
    const cache = new PageCache(ctl, memory, CHUNK);
    // A third worker is filling chunks 2 and 4.
    const third = cache.pin([2, 4]);
    // A's batch names chunks 1, 2, 3; B's 0, 3, 4, 1. Claimed in the order given, A would hold
    // 1 and wait for 2, B hold 0 and 3 and wait for 4; once 2 and 4 are filled, A would wait
    // for B's 3 and B for A's 1, for good.
    const batches = [
      [1, 2, 3],
      [0, 3, 4, 1],
    ];
    const threads = batches.map((chunks) =>
      startThread<number[]>({
        module: SCENARIOS,
        scenario: 'pin-release',
        sab: ctl.sab,
        memory,
        args: {
          chunkSize: CHUNK,
          n: chunks.length,
          ...Object.fromEntries(chunks.map((c, k) => [`c${k}`, c])),
        },
      }),
    );
    try {
      // Each pin holds the cache lock from its first claim to its first wait: with the lock,
      // a first chunk seen being filled means its batch is waiting.
      await deadline(
        (async () => {
          while (!(await filling(ctl, [0, 1]))) await new Promise((r) => setTimeout(r, 1));
        })(),
        10_000,
        'both batches waiting behind the third worker',
      );
      cache.release(third);
      const pinned = await deadline(
        Promise.all(threads.map((t) => t.result)),
        10_000,
        'both batches pinning once the third worker is done',
      );
      expect(pinned.map((chunks) => [...chunks].sort())).toEqual(batches.map((b) => [...b].sort()));
    } finally {
      await Promise.all(threads.map((t) => t.worker.terminate()));
    }
  });
});
