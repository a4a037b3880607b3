// A BlockBackend (cf. block/block-backend.c): what a front end sits on — the image held open (its
// Web Lock and metadata), the raw driver's AIO pool, and the block accounting of every request
// that completes. It attaches to a main loop it is given (the machine's, or openBlock's own) and
// knows no vCPU. Two front ends use it: the direct byte API (block-io.ts, like qemu-io) and a
// machine's disk (machine.ts, linux/linux-machine.ts).

import { blkdebugInjectError, type InjectErrorRule } from './blkdebug.ts';
import { acctTypeOf, BlockAcct } from './block-acct.ts';
import type { OpenedImage } from './block-open.ts';
import { backingFault, blockStats, type BlockStats } from './block-stats.ts';
import type { MainLoop } from '../machine/main-loop.ts';
import { spawnAioWorker } from '../spawn.ts';
import { ThreadPool } from '../pool/thread-pool.ts';
import { lifetimeLockFree } from '../pool/worker-lifetime.ts';
import { BLOCK_OP_NAMES, BlockOp, writeSlot, type CacheMode } from '../shared/block/block.ts';
import { stampMs } from '../shared/sync/clock.ts';
import type { AioPoolParams } from '../shared/contracts.ts';
import { mergeAioConfig, type AioConfig } from '../shared/block/aio-config.ts';
import { Errno, ErrnoError, errnoName } from '../shared/block/errno.ts';
import type { ImageMeta } from '../shared/block/image-format.ts';
import { type Control } from '../shared/layout/layout.ts';
import { CACHE_WAYS } from '../shared/block/cache-layout.ts';
import { POOL_RECORDS } from '../shared/pool/record-layout.ts';
import { type ControlParams } from '../shared/layout/control-params.ts';
import type { PoolConfig } from '../shared/pool/pool-config.ts';

/** The front end's request slots: how many, and data segments per request. */
export interface FrontEnd {
  nslots: number;
  maxIov: number;
  /** Entries of an IDE front end's completion ring (v86's disk); none for the others. */
  ideRing?: number;
}

/** A request's end, for its front end: the slot (not freed yet) and its ret. */
export type CompletionFn = (slot: number, ret: number) => void;

/** The client id of the backend's own requests (a writeback at close), on its own slot. */
const BACKEND_CLIENT = -1;

/** Pages of the page cache for this image: whole sets, none if the cache is off. */
const cachePagesOf = ({ config, meta }: OpenedImage) =>
  config.aio.pageCache
    ? Math.floor(config.pageCacheBytes / meta.chunkSize / CACHE_WAYS) * CACHE_WAYS
    : 0;

/**
 * The block layer's part of a control buffer for front end `fe` on `opened`: the front end's
 * slots and one of the backend's own, the page cache, a bit per chunk of the image. Whoever owns
 * the main loop adds its vCPUs and creates the buffer.
 */
export function blockControlParams(
  opened: OpenedImage,
  fe: FrontEnd,
): Omit<ControlParams, 'nvcpus'> {
  const { chunkSize, virtualSize } = opened.meta;
  return {
    nslots: fe.nslots + 1,
    maxIov: fe.maxIov,
    nrecords: POOL_RECORDS,
    cachePages: cachePagesOf(opened),
    diskChunks: Math.ceil(virtualSize / chunkSize),
    ideRing: fe.ideRing ?? 0,
  };
}

export class BlockBackend {
  readonly image: string;
  /** The disk's size in bytes. */
  readonly virtualSize: number;
  readonly cache: CacheMode;
  readonly meta: ImageMeta;
  /** The main loop it is attached to, and that loop's control buffer. */
  readonly loop: MainLoop;
  readonly ctl: Control;
  /** What every pool worker starts with (a vCPU creating its own under `inline` too). */
  readonly aioParams: AioPoolParams;
  readonly pool: ThreadPool;
  /** Requests refused before submission are the front end's to count here (invalid). */
  readonly acct = new BlockAcct();
  /** Called at the end of each completion pass (the machine raises its interrupts there). */
  afterCompletions: (() => void) | undefined;
  /** Told of every request completed (its slot, not freed yet, and the completion stamp),
   *  while a trace is being recorded. */
  onTrace: ((slot: number, tComplete: number) => void) | undefined;
  private readonly releaseLock: () => void;
  private readonly clients = new Map<number, CompletionFn>();
  /** The backend's own slot, the last (the front end's are below it), and its requests, one
   *  at a time. */
  private readonly ownSlot: number;
  private ownRequests: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /**
   * Attach to `loop`, whose control buffer was made from blockControlParams() for this image, its
   * requests' data in `dma` (guest RAM, a bounce buffer, a staging buffer); then start() it. The
   * backend holds the image's lock from here on, until close().
   */
  constructor(opened: OpenedImage, loop: MainLoop, dma: SharedArrayBuffer) {
    const { config, meta } = opened;
    const ctl = loop.ctl;
    const P = ctl.L.params;
    const diskChunks = Math.ceil(meta.virtualSize / meta.chunkSize);
    const cachePages = cachePagesOf(opened);
    if (P.diskChunks !== diskChunks || P.cachePages !== cachePages || P.nslots < 1) {
      throw new Error(
        `the main loop's control buffer (${P.nslots} slots, ${P.diskChunks} chunks, ` +
          `${P.cachePages} cache pages) was not made for image "${config.image}" ` +
          `(${diskChunks} chunks, ${cachePages} cache pages): see blockControlParams()`,
      );
    }
    this.image = config.image;
    this.virtualSize = meta.virtualSize;
    this.meta = meta;
    this.cache = config.cache;
    this.releaseLock = opened.release;
    this.loop = loop;
    this.ctl = ctl;
    this.ownSlot = P.nslots - 1;
    this.writeAioConfig({ ...config.aio, pageCache: cachePages > 0 });
    const workerLockPrefix = `webaio-aio:${crypto.randomUUID()}`;
    this.aioParams = {
      ctl: ctl.sab,
      dma,
      image: {
        name: config.image,
        virtualSize: meta.virtualSize,
        chunkSize: meta.chunkSize,
        backing: meta.backing,
      },
      cache: config.cache,
      workerLockPrefix,
      cacheMemory: cachePages > 0 ? new SharedArrayBuffer(cachePages * meta.chunkSize) : null,
    };
    this.onComplete(BACKEND_CLIENT, () => undefined);
    this.pool = new ThreadPool(ctl, {
      loop,
      aio: this.aioParams,
      config: config.pool,
      spawn: spawnAioWorker,
      gone: (record) => lifetimeLockFree(workerLockPrefix, record),
      complete: (slot) => this.complete(slot),
      afterCompletions: () => this.afterCompletions?.(),
    });
  }

  /** Apply the pool's settings (prealloc creates its workers); the main loop runs already. */
  async start(): Promise<void> {
    await this.pool.start();
  }

  /** Who completes the slots submitted with `client` (writeSlot's client). */
  onComplete(client: number, fn: CompletionFn): void {
    this.clients.set(client, fn);
  }

  /** Submit a filled slot to the raw driver's pool (thread_pool_submit_aio from the page). */
  submit(slot: number): Promise<void> {
    return this.pool.submit(slot);
  }

  /** Cancel a slot still queued; it then completes with -ECANCELED. */
  cancel(slot: number): Promise<boolean> {
    return this.pool.cancel(slot);
  }

  /** Change the pool at run time (thread_pool_update_params); resolves once applied. */
  setPool(cfg: Partial<PoolConfig>): Promise<void> {
    return this.pool.setConfig(cfg);
  }

  get poolConfig(): Readonly<PoolConfig> {
    return this.pool.configuration;
  }

  /** The AIO settings in force, read from their words. */
  get aioConfig(): Readonly<AioConfig> {
    const { i32, L } = this.ctl;
    return {
      batch: Atomics.load(i32, L.aio.batch),
      merge: Atomics.load(i32, L.aio.merge) !== 0,
      pollUs: Atomics.load(i32, L.aio.pollUs),
      pageCache: Atomics.load(i32, L.aio.pageCache) !== 0,
    };
  }

  /**
   * Change batching and merging at run time (the next requests use them). The page cache is
   * chosen when the image is opened: switching it here is refused.
   */
  setAio(cfg: Partial<AioConfig>): void {
    const next = mergeAioConfig(this.aioConfig, cfg);
    if (next.pageCache !== this.aioConfig.pageCache) {
      throw new ErrnoError(
        Errno.EINVAL,
        `aio pageCache = ${String(cfg.pageCache)}: the page cache is chosen when image ` +
          `"${this.image}" is opened (aio.pageCache, pageCacheBytes), not while it is open`,
      );
    }
    this.writeAioConfig(next);
  }

  private writeAioConfig(cfg: AioConfig): void {
    const { i32, L } = this.ctl;
    Atomics.store(i32, L.aio.batch, cfg.batch);
    Atomics.store(i32, L.aio.merge, cfg.merge ? 1 : 0);
    Atomics.store(i32, L.aio.pollUs, cfg.pollUs);
    Atomics.store(i32, L.aio.pageCache, cfg.pageCache ? 1 : 0);
  }

  /**
   * Write every dirty page of the page cache to the image (a stopped machine, close()). Not a
   * flush: what survives a power cut is still what a flush covered.
   */
  writeBack(): Promise<void> {
    if (!this.aioParams.cacheMemory) return Promise.resolve();
    const run = this.ownRequests.then(() => this.ownRequest(BlockOp.WRITEBACK));
    this.ownRequests = run.catch(() => undefined);
    return run;
  }

  private ownRequest(op: BlockOp): Promise<void> {
    const slot = this.ownSlot;
    writeSlot(this.ctl, slot, { op, byteOffset: 0, nbytes: 0, iov: [] }, BACKEND_CLIENT, slot);
    const done = new Promise<void>((resolve, reject) => {
      this.onComplete(BACKEND_CLIENT, (_slot, ret) => {
        if (ret >= 0) resolve();
        else {
          reject(
            new ErrnoError(
              -ret,
              `image "${this.image}": ${BLOCK_OP_NAMES[op]} failed with ${errnoName(ret)} (${ret})`,
            ),
          );
        }
      });
    });
    void this.submit(slot);
    return done;
  }

  /** Recount the pool's counters from its records and slots; [] if they agree. */
  auditPool(): Promise<string[]> {
    return this.pool.audit();
  }

  stats(): BlockStats {
    const { ctl, acct, pool, loop } = this;
    return blockStats({ ctl, acct, aio: this.aioConfig, pool, loop, backing: this.meta.backing });
  }

  /** The sentence for the base's latest fault ('' if none): the data plane only says EIO. */
  backingFault(): string {
    return backingFault(this.ctl, this.meta.backing);
  }

  /** Fail the next `count` (default 1) requests of the given ops with `errno` (default EIO). */
  injectError(rule: InjectErrorRule): void {
    blkdebugInjectError(this.ctl, rule);
  }

  /** Write the page cache back, shut the pool down (every worker exits), release the image.
   *  The front end has drained its requests first; the main loop is its owner's to stop. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.writeBack();
        await this.pool.shutdown();
      } finally {
        this.releaseLock();
      }
    })();
    return this.closing;
  }

  /** The completion BH's call for one DONE slot: account it, then hand it to its front end. */
  private complete(slot: number): void {
    const { i32, f64, L } = this.ctl;
    const S = L.slot;
    const ret = Atomics.load(i32, S.ret.at(slot));
    const op = i32[S.op.at(slot)] as BlockOp;
    const client = i32[S.client.at(slot)];
    if (client === BACKEND_CLIENT) {
      this.clients.get(client)?.(slot, ret);
      return;
    }
    const nbytes = f64[S.nbytes.at(slot)];
    const tSubmit = f64[S.tSubmit.at(slot)];
    const tComplete = stampMs();
    this.acct.split(tSubmit, f64[S.tStart.at(slot)], f64[S.tDone.at(slot)], tComplete);
    const failed = ret < 0;
    const type = acctTypeOf(op);
    // A merged request is accounted as the requests it stands for: their bytes, their count.
    const merged = i32[S.merged.at(slot)];
    this.acct.account(type, nbytes, tComplete - tSubmit, failed);
    for (let k = 1; k < merged; k++) this.acct.account(type, 0, tComplete - tSubmit, failed);
    if (merged > 1) this.acct.merged(type, merged - 1);
    if (!failed && (op === BlockOp.WRITE || op === BlockOp.WRITE_ZEROES)) {
      this.acct.wrote(f64[S.byteOffset.at(slot)] + nbytes);
    }
    this.onTrace?.(slot, tComplete);
    this.clients.get(client)?.(slot, ret);
  }
}
