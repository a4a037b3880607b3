// A BlockBackend (cf. block/block-backend.c): what a front end sits on — the image held open
// (its Web Lock and metadata), the control buffer, the main loop, the raw driver's AIO pool, and
// the block accounting of every request that completes. Two front ends use it: the direct
// byte API (block-io.ts, like qemu-io) and a machine's virtio-blk device (machine.ts).

import { checkBaseUnchanged } from './base-probe.ts';
import { acctTypeOf, BlockAcct, type BlockDeviceStats } from './block-acct.ts';
import { acquireImageLock } from './image-lock.ts';
import { readImageMeta } from './images.ts';
import { MainLoop, type BhRunStats } from './main-loop.ts';
import { spawnAioWorker } from './spawn.ts';
import { ThreadPool } from './thread-pool.ts';
import { lifetimeLockFree } from './worker-lifetime.ts';
import {
  BLOCK_OP_NAMES,
  BlockOp,
  checkCacheMode,
  writeSlot,
  type BlockOpName,
  type CacheMode,
} from './shared/block.ts';
import { BackingFault, backingFaultMessage } from './shared/backing-fault.ts';
import { stampMs } from './shared/clock.ts';
import type { AioPoolParams } from './shared/contracts.ts';
import {
  DEFAULT_AIO_CONFIG,
  DEFAULT_PAGE_CACHE_BYTES,
  mergeAioConfig,
  type AioConfig,
} from './shared/aio-config.ts';
import { Errno, ErrnoError, errnoName, type ErrnoName } from './shared/errno.ts';
import { checkImageName, type ImageMeta } from './shared/image-format.ts';
import { CACHE_WAYS } from './shared/cache-layout.ts';
import { createControl, type Control } from './shared/layout.ts';
import { POOL_RECORDS } from './shared/record-layout.ts';
import type { SpawnRecord } from './shared/spawn-records.ts';
import { DEFAULT_POOL_CONFIG, mergePoolConfig, type PoolConfig } from './shared/pool-config.ts';
import type { PoolCounters } from './shared/pool-observer.ts';

export interface BlockBackendOptions {
  cache?: CacheMode;
  pool?: Partial<PoolConfig>;
  /** Batching, merging and the page cache (default: all on; FAITHFUL_AIO_CONFIG: all off). */
  aio?: Partial<AioConfig>;
  /** The page cache's size (default 32 MiB), rounded down to whole sets of pages. */
  pageCacheBytes?: number;
}

/** The front end's shape of the control buffer, and the memory its requests point into. */
export interface FrontEnd {
  /** Request slots, segments per request, and vCPUs (0 for none). */
  nslots: number;
  maxIov: number;
  nvcpus: number;
  /** Entries of an IDE front end's completion ring (v86's disk); none for the others. */
  ideRing?: number;
  /** Guest RAM, the direct API's bounce buffer, or v86's staging buffer. */
  dma: SharedArrayBuffer;
}

/** The AIO layer's settings and what its transactions carried, and the page cache's state. */
export interface AioStats {
  config: AioConfig;
  /** IndexedDB transactions the workers committed: reads, relaxed writes, durable ones (each
   *  durable write or flush re-commit counts its two commits), and requests they carried. */
  read_transactions: number;
  read_transaction_requests: number;
  write_transactions: number;
  write_transaction_requests: number;
  durable_transactions: number;
  page_cache: {
    pages: number;
    dirty: number;
    hits: number;
    misses: number;
    evictions: number;
    written_back: number;
  };
}

/** An overlay's traffic: what came from its base over HTTP and what it served itself. */
export interface BackingStats {
  url: string;
  /** Bytes received from the base, and the Range requests that carried them. */
  fetched_bytes: number;
  fetch_requests: number;
  /** Bytes of read requests found in the overlay, and those that needed the base. */
  served_from_overlay_bytes: number;
  served_from_base_bytes: number;
  /** What went wrong with the base last, if anything ('' when nothing). */
  fault: string;
}

export interface BlockStats extends BlockDeviceStats {
  aio: AioStats;
  pool: PoolCounters;
  /** Present for an overlay of a base image over HTTP. */
  backing?: BackingStats;
  /** Every pool worker's life, oldest first. */
  spawns: SpawnRecord[];
  /** Bottom-half run times on the main thread. */
  main_loop: BhRunStats[];
}

export type InjectableOp = Exclude<BlockOpName, 'writeback'>;

/** blkdebug-style fault injection: fail the next `count` requests of these ops. */
export interface InjectErrorRule {
  op: InjectableOp | InjectableOp[];
  errno?: Extract<ErrnoName, 'EIO' | 'ENOSPC'>;
  count?: number;
}

/** A request's end, for its front end: the slot (not freed yet) and its ret. */
export type CompletionFn = (slot: number, ret: number) => void;

const OP_BY_NAME = new Map(
  Object.entries(BLOCK_OP_NAMES)
    .filter(([, name]) => name !== 'writeback')
    .map(([op, name]) => [name, Number(op) as BlockOp]),
);

/** The client id of the backend's own requests (a writeback at close), on its own slot. */
const BACKEND_CLIENT = -1;

/** An image opened for a front end: its lock's release and its metadata. */
export interface OpenedImage {
  image: string;
  meta: ImageMeta;
  cache: CacheMode;
  pool: PoolConfig;
  aio: AioConfig;
  pageCacheBytes: number;
  release(): void;
}

export class BlockBackend {
  readonly image: string;
  /** The disk's size in bytes. */
  readonly virtualSize: number;
  readonly cache: CacheMode;
  readonly meta: ImageMeta;
  readonly ctl: Control;
  /** What every pool worker starts with (a vCPU creating its own under `inline` too). */
  readonly aioParams: AioPoolParams;
  readonly loop: MainLoop;
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
  /** The backend's own slot (the front end's are below it), and its requests, one at a time. */
  private readonly ownSlot: number;
  private ownRequests: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /** Check the options, take the image's lock for `holder` (EBUSY if held), read its metadata;
   *  an overlay's base must not have changed (EIO). */
  static async openImage(
    image: string,
    opts: BlockBackendOptions,
    holder = 'openBlock',
  ): Promise<OpenedImage> {
    checkImageName(image);
    const cache = checkCacheMode(opts.cache ?? 'writeback');
    const pool = mergePoolConfig(DEFAULT_POOL_CONFIG, opts.pool ?? {});
    const aio = mergeAioConfig(DEFAULT_AIO_CONFIG, opts.aio ?? {});
    // directsync bypasses the host page cache in QEMU; here it has none either.
    if (cache === 'directsync') aio.pageCache = false;
    const pageCacheBytes = opts.pageCacheBytes ?? DEFAULT_PAGE_CACHE_BYTES;
    if (!Number.isSafeInteger(pageCacheBytes) || pageCacheBytes < 0 || pageCacheBytes > 1 << 30) {
      throw new ErrnoError(
        Errno.EINVAL,
        `pageCacheBytes ${String(pageCacheBytes)} is not an integer in 0..${1 << 30}`,
      );
    }
    const release = await acquireImageLock(image, holder);
    try {
      const meta = await readImageMeta(image);
      if (meta.importing) {
        throw new ErrnoError(Errno.EIO, `image "${image}" is an import that did not finish`);
      }
      if (meta.backing) await checkBaseUnchanged(image, meta.backing);
      return { image, meta, cache, pool, aio, pageCacheBytes, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** A backend for a front end of this shape on an image openImage() opened; start() it. */
  constructor(opened: OpenedImage, fe: FrontEnd) {
    this.image = opened.image;
    this.virtualSize = opened.meta.virtualSize;
    this.meta = opened.meta;
    this.cache = opened.cache;
    this.releaseLock = opened.release;
    const { chunkSize, virtualSize } = opened.meta;
    const ways = CACHE_WAYS;
    const cachePages = opened.aio.pageCache
      ? Math.floor(opened.pageCacheBytes / chunkSize / ways) * ways
      : 0;
    this.ownSlot = fe.nslots;
    this.ctl = createControl({
      nslots: fe.nslots + 1,
      maxIov: fe.maxIov,
      nrecords: POOL_RECORDS,
      nvcpus: fe.nvcpus,
      cachePages,
      diskChunks: Math.ceil(virtualSize / chunkSize),
      ideRing: fe.ideRing ?? 0,
    });
    this.writeAioConfig({ ...opened.aio, pageCache: cachePages > 0 });
    this.loop = new MainLoop(this.ctl);
    const workerLockPrefix = `webaio-aio:${crypto.randomUUID()}`;
    this.aioParams = {
      ctl: this.ctl.sab,
      dma: fe.dma,
      image: {
        name: opened.image,
        virtualSize: opened.meta.virtualSize,
        chunkSize: opened.meta.chunkSize,
        backing: opened.meta.backing,
      },
      cache: opened.cache,
      workerLockPrefix,
      cacheMemory: cachePages > 0 ? new SharedArrayBuffer(cachePages * chunkSize) : null,
    };
    this.onComplete(BACKEND_CLIENT, () => undefined);
    this.pool = new ThreadPool(this.ctl, {
      loop: this.loop,
      aio: this.aioParams,
      config: opened.pool,
      spawn: spawnAioWorker,
      gone: (record) => lifetimeLockFree(workerLockPrefix, record),
      complete: (slot) => this.complete(slot),
      afterCompletions: () => this.afterCompletions?.(),
    });
  }

  /** Start the main loop and apply the pool's settings (prealloc creates its workers). */
  async start(): Promise<void> {
    this.loop.start();
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

  private aioStats(): AioStats {
    const { i32, L } = this.ctl;
    const get = (index: number) => Atomics.load(i32, index);
    return {
      config: this.aioConfig,
      read_transactions: get(L.aio.readTx),
      read_transaction_requests: get(L.aio.readTxRequests),
      write_transactions: get(L.aio.writeTx),
      write_transaction_requests: get(L.aio.writeTxRequests),
      durable_transactions: get(L.aio.durableTx),
      page_cache: {
        pages: L.params.cachePages,
        dirty: get(L.cache.dirtyPages),
        hits: get(L.cache.hits),
        misses: get(L.cache.misses),
        evictions: get(L.cache.evictions),
        written_back: get(L.cache.writtenBack),
      },
    };
  }

  /** Recount the pool's counters from its records and slots; [] if they agree. */
  auditPool(): Promise<string[]> {
    return this.pool.audit();
  }

  stats(): BlockStats {
    const stats: BlockStats = {
      ...this.acct.stats(),
      aio: this.aioStats(),
      pool: this.pool.counters(),
      spawns: this.pool.records(),
      main_loop: this.loop.stats(),
    };
    const backing = this.backingStats();
    if (backing) stats.backing = backing;
    return stats;
  }

  private backingStats(): BackingStats | undefined {
    const b = this.meta.backing;
    if (!b) return undefined;
    const { i64, L } = this.ctl;
    const n = (at: number) => Number(Atomics.load(i64, at));
    return {
      url: b.url,
      fetched_bytes: n(L.image.baseFetchedBytes),
      fetch_requests: n(L.image.baseFetches),
      served_from_overlay_bytes: n(L.image.overlayReadBytes),
      served_from_base_bytes: n(L.image.baseReadBytes),
      fault: this.backingFault(),
    };
  }

  /** The sentence for the base's latest fault ('' if none): the data plane only says EIO. */
  backingFault(): string {
    const b = this.meta.backing;
    if (!b) return '';
    const fault = Atomics.load(this.ctl.i32, this.ctl.L.image.backingFault);
    return fault === BackingFault.NONE ? '' : backingFaultMessage(fault, b);
  }

  /** Fail the next `count` (default 1) requests of the given ops with `errno` (default EIO). */
  injectError(rule: InjectErrorRule): void {
    const ops = Array.isArray(rule.op) ? rule.op : [rule.op];
    let mask = 0;
    for (const name of ops) {
      const op = OP_BY_NAME.get(name);
      if (op === undefined) {
        throw new ErrnoError(
          Errno.EINVAL,
          `cannot inject into "${String(name)}" (known: ${[...OP_BY_NAME.keys()].join(', ')})`,
        );
      }
      mask |= 1 << op;
    }
    const errno = rule.errno ?? 'EIO';
    if (errno !== 'EIO' && errno !== 'ENOSPC') {
      throw new ErrnoError(Errno.EINVAL, `cannot inject errno "${String(errno)}" (EIO or ENOSPC)`);
    }
    const count = rule.count ?? 1;
    if (!Number.isInteger(count) || count < 0) {
      throw new ErrnoError(Errno.EINVAL, `inject count ${count} is not a non-negative integer`);
    }
    const { i32, L } = this.ctl;
    Atomics.store(i32, L.image.injectOps, 0);
    Atomics.store(i32, L.image.injectErrno, Errno[errno]);
    Atomics.store(i32, L.image.injectRemaining, count);
    Atomics.store(i32, L.image.injectOps, count > 0 ? mask : 0);
  }

  /** Write the page cache back, shut the pool down (every worker exits), stop the main loop,
   *  release the image. The front end has drained its requests first. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.writeBack();
        await this.pool.shutdown();
        await this.loop.stop();
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
