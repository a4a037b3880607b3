// An AIO pool worker: the thread that runs worker_thread() (app/shared/thread-pool.ts) with the
// raw driver as its function, against an image in IndexedDB, then closes itself.

import { expose } from 'comlink';
import { readSlot } from '../app/shared/block.ts';
import type { AioInit, AioWorkerApi } from '../app/shared/contracts.ts';
import { Errno } from '../app/shared/errno.ts';
import { attachControl, LAYOUT_VERSION } from '../app/shared/layout.ts';
import { PoolCore } from '../app/shared/thread-pool.ts';
import { workerThread } from '../app/shared/worker-thread.ts';
import { openImageDb } from './block/image-db.ts';
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

const api = {
  async init(init: AioInit) {
    const ctl = attachControl(init.ctl);
    const pool = new PoolCore(ctl);
    await holdForLife(init.lifetimeLock);
    pool.lock.lock();
    const counted = pool.workerStartedLocked(init.record);
    pool.lock.unlock();
    if (!counted) {
      // Given up for lost before it ran (its creator died first): leave without a trace.
      self.close();
      return {
        thread: init.thread,
        layoutVersion: LAYOUT_VERSION,
        byteLength: init.ctl.byteLength,
      };
    }

    const mem = new Uint8Array(init.dma);
    let image: RawImage | undefined;
    try {
      const db = await openImageDb(init.image.name);
      image = new RawImage(db, init.image.name, init.image, init.cache, ctl);
    } catch (e) {
      console.error(`${init.thread}: every request will fail with EIO:`, e);
    }
    const run = async (slot: number) => (image ? image.run(readSlot(ctl, slot), mem) : -Errno.EIO);

    // Enter the loop after init's answer has been posted: once in it, this worker blocks.
    setTimeout(async () => {
      await workerThread(pool, init.record, run, () => image?.settle() ?? Promise.resolve());
      self.close();
    }, 0);
    return { thread: init.thread, layoutVersion: LAYOUT_VERSION, byteLength: init.ctl.byteLength };
  },
} satisfies AioWorkerApi;

expose(api);
