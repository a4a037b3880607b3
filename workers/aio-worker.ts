// An AIO pool worker: the thread that runs worker_thread() (app/shared/pool/worker-thread.ts) with the
// raw driver against an image in IndexedDB, then closes itself.

import { expose } from 'comlink';
import { readSlot } from '../app/shared/block/block.ts';
import { lifetimeLockName, type AioInit, type AioWorkerApi } from '../app/shared/contracts.ts';
import { Errno } from '../app/shared/block/errno.ts';
import { attachControl, LAYOUT_VERSION, type Control } from '../app/shared/layout/layout.ts';
import { PoolCore } from '../app/shared/pool/thread-pool.ts';
import { workerThread, type PoolIo } from '../app/shared/pool/worker-thread.ts';
import { nextTask, openImageDb } from './block/image-db.ts';
import { PageCache } from './block/page-cache.ts';
import { RawImage } from './block/raw-idb.ts';

/** Take a Web Lock and never give it back: it is released when this worker dies. */
function holdForLife(name: string): Promise<void> {
  return new Promise((granted) => {
    void navigator.locks.request(name, () => {
      granted();
      return new Promise<void>(() => {});
    });
  });
}

/** The raw driver on this worker's own connection to the image; EIO for all if it won't open. */
async function openRawImage(init: AioInit, ctl: Control): Promise<PoolIo> {
  const mem = new Uint8Array(init.dma);
  try {
    const cache = init.cacheMemory
      ? new PageCache(ctl, init.cacheMemory, init.image.chunkSize)
      : undefined;
    const db = await openImageDb(init.image.name);
    const image = new RawImage(db, init.image, init.cache, ctl, cache);
    return {
      run: (slots) =>
        image.run(
          slots.map((slot) => readSlot(ctl, slot)),
          mem,
        ),
      settle: nextTask,
    };
  } catch (e) {
    console.error(`${init.thread}: every request will fail with EIO:`, e);
    return {
      run: (slots) => Promise.resolve(slots.map(() => -Errno.EIO)),
      settle: () => Promise.resolve(),
    };
  }
}

const api = {
  async init(init: AioInit) {
    const ctl = attachControl(init.ctl);
    const pool = new PoolCore(ctl);
    // Held before the worker counts itself in, so "its lock is free" means "it is not running".
    await holdForLife(lifetimeLockName(init.workerLockPrefix, init.record));
    // Enter worker_thread() once init's answer is posted: from its first act on, it may block.
    setTimeout(() => {
      void workerThread(pool, init.record, () => openRawImage(init, ctl)).finally(() =>
        self.close(),
      );
    }, 0);
    return { thread: init.thread, layoutVersion: LAYOUT_VERSION, byteLength: init.ctl.byteLength };
  },
} satisfies AioWorkerApi;

expose(api);
