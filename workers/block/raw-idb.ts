// The raw format driver on IndexedDB, run by an AIO worker: the dispatch of a batch (cf.
// aio_worker() in block/raw-posix.c) — requests of one kind, reads or writes, served together,
// through the page cache when there is one (raw-cached-io.ts) or not (raw-io.ts), or a flush
// (raw-flush.ts). Each request gets its own result, bytes >= 0 or -errno, and only once its data
// is where its cache mode says.

import {
  BLOCK_OP_NAMES,
  BlockOp,
  type BlockRequest,
  type CacheMode,
} from '../../app/shared/block/block.ts';
import type { AioImageParams } from '../../app/shared/contracts.ts';
import { Errno, errnoName } from '../../app/shared/block/errno.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import { HttpBacking } from './backing.ts';
import { chunkPieces } from './chunk-map.ts';
import { AbortedOnPurpose, ChunkStore } from './chunk-store.ts';
import { IoVector } from './iov.ts';
import type { PageCache } from './page-cache.ts';
import { cachedPreadv, cachedPwritev, writeBack } from './raw-cached-io.ts';
import { rawFlush } from './raw-flush.ts';
import { rawPreadv, rawPwritev, writePlan } from './raw-io.ts';
import type { RawJob, RawState } from './raw-state.ts';
import { UnsyncedChunks } from './unsynced.ts';
import { WriteGate } from './write-gate.ts';

/** Map a storage failure to -errno: a full quota is ENOSPC, anything else EIO. */
export function errnoOfStorageError(e: unknown): number {
  if (e instanceof AbortedOnPurpose) return -e.errno;
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') return -Errno.ENOSPC;
  return -Errno.EIO;
}

export class RawImage {
  private readonly s: RawState;
  private readonly virtualSize: number;
  private readonly cache: PageCache | undefined;

  constructor(
    db: IDBDatabase,
    image: AioImageParams,
    cacheMode: CacheMode,
    ctl: Control,
    cache: PageCache | undefined,
  ) {
    this.virtualSize = image.virtualSize;
    this.cache = cache;
    const gate = new WriteGate(ctl);
    const { backing } = image;
    const http = backing ? new HttpBacking(db, { ...image, backing }, ctl, gate) : undefined;
    this.s = {
      db,
      name: image.name,
      chunkSize: image.chunkSize,
      cacheMode,
      ctl,
      store: new ChunkStore(db, image.chunkSize, http),
      gate,
      unsynced: new UnsyncedChunks(ctl),
      backing: http,
    };
  }

  /** The page cache, if this image has one and it is switched on. */
  private cached(): PageCache | undefined {
    const { i32, L } = this.s.ctl;
    return Atomics.load(i32, L.aio.pageCache) ? this.cache : undefined;
  }

  /** Perform a batch (one kind of request, as the pool took them), data in `mem`. */
  async run(reqs: readonly BlockRequest[], mem: Uint8Array): Promise<number[]> {
    const rets = new Array<number>(reqs.length).fill(0);
    const jobs: [number, RawJob][] = [];
    reqs.forEach((req, k) => {
      const bad = this.check(req);
      if (bad) rets[k] = bad;
      else {
        try {
          const data = new IoVector(mem, req.iov);
          jobs.push([
            k,
            { req, data, pieces: chunkPieces(req.byteOffset, req.nbytes, this.s.chunkSize) },
          ]);
        } catch (e) {
          console.error(`image "${this.s.name}": ${(e as Error).message}`);
          rets[k] = -Errno.EFAULT;
        }
      }
    });
    if (jobs.length === 0) return rets;
    const op = jobs[0][1].req.op;
    try {
      // blkdebug: one armed rule fails this batch's transaction, and so all its requests.
      const injected = jobs.map(([, j]) => this.injected(j.req.op)).find((e) => e !== 0) ?? 0;
      if (op === BlockOp.READ) {
        if (injected) throw new AbortedOnPurpose(injected);
        await this.preadv(jobs.map(([, j]) => j));
      } else if (op === BlockOp.FLUSH) {
        const ret = await rawFlush(this.s, this.cache, injected);
        for (const [k] of jobs) rets[k] = ret;
        return rets;
      } else if (op === BlockOp.WRITEBACK) {
        if (this.cache) await writeBack(this.s, this.cache);
      } else {
        await this.pwritev(
          jobs.map(([, j]) => j),
          injected,
        );
      }
      for (const [k, j] of jobs) rets[k] = j.req.nbytes;
    } catch (e) {
      const errno = errnoOfStorageError(e);
      if (!(e instanceof AbortedOnPurpose)) {
        console.error(
          `image "${this.s.name}": ${BLOCK_OP_NAMES[op]} failed with ${errnoName(errno)}`,
          e,
        );
      }
      for (const [k] of jobs) rets[k] = errno;
    }
    return rets;
  }

  private check(req: BlockRequest): number {
    if (req.op === BlockOp.FLUSH || req.op === BlockOp.WRITEBACK) return 0;
    const end = req.byteOffset + req.nbytes;
    if (req.byteOffset < 0 || req.nbytes < 0 || end > this.virtualSize) return -Errno.EINVAL;
    return 0;
  }

  /** blkdebug: the errno to fail this op with if a rule is armed (using one shot), else 0. */
  private injected(op: BlockOp): number {
    const { i32, L } = this.s.ctl;
    if ((Atomics.load(i32, L.image.injectOps) & (1 << op)) === 0) return 0;
    if (Atomics.sub(i32, L.image.injectRemaining, 1) <= 0) {
      Atomics.add(i32, L.image.injectRemaining, 1);
      return 0;
    }
    return Atomics.load(i32, L.image.injectErrno);
  }

  /** Reads (cf. raw_co_preadv()): through the cache while it is switched on. */
  private async preadv(jobs: readonly RawJob[]): Promise<void> {
    const cache = this.cached();
    if (cache) await cachedPreadv(this.s, cache, jobs);
    else await rawPreadv(this.s, jobs);
  }

  /** Writes, zero-writes and discards (cf. raw_co_pwritev()): through the cache while it is on. */
  private async pwritev(jobs: readonly RawJob[], injected: number): Promise<void> {
    const plan = writePlan(jobs, this.s.chunkSize);
    if (injected) {
      // A failed write really aborts its transaction: nothing of it reaches the image.
      await this.s.store.write(plan, 'relaxed', { abortWith: () => injected });
      return;
    }
    const cache = this.cached();
    if (cache) await cachedPwritev(this.s, cache, plan);
    else await rawPwritev(this.s, plan, jobs.length);
  }
}
