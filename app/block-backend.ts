// A BlockBackend on the page (cf. block/block-backend.c): byte-granular reads and writes of an
// image, every one a request through the AIO pool, with the data in a bounce buffer the
// workers copy to and from. Checks and accounting happen here, as in QEMU's block layer.

import { acctTypeOf, BlockAcct, type BlockDeviceStats } from './block-acct.ts';
import { BounceBuffer } from './bounce.ts';
import { acquireImageLock } from './image-lock.ts';
import { readImageMeta } from './images.ts';
import { MainLoop, type BhRunStats } from './main-loop.ts';
import { ThreadPool, type SpawnRecord } from './thread-pool.ts';
import {
  BLOCK_OP_NAMES,
  BlockOp,
  checkCacheMode,
  requestRangeError,
  writeSlot,
  type CacheMode,
} from './shared/block.ts';
import { stampMs } from './shared/clock.ts';
import { Errno, ErrnoError, errnoName, type ErrnoName } from './shared/errno.ts';
import { checkImageName } from './shared/image-format.ts';
import { createControl, THREAD_MAIN, type Control } from './shared/layout.ts';
import {
  DEFAULT_POOL_CONFIG,
  mergePoolConfig,
  type PoolConfig,
  type PoolCounters,
} from './shared/thread-pool.ts';

export interface BlockBackendOptions {
  cache?: CacheMode;
  pool?: Partial<PoolConfig>;
}

export interface BlockStats extends BlockDeviceStats {
  pool: PoolCounters;
  /** Every pool worker's life, oldest first. */
  spawns: SpawnRecord[];
  /** Bottom-half run times on the main thread. */
  main_loop: BhRunStats[];
}

export type InjectableOp = 'read' | 'write' | 'flush' | 'discard' | 'write-zeroes';

/** blkdebug-style fault injection: fail the next `count` requests of these ops. */
export interface InjectErrorRule {
  op: InjectableOp | InjectableOp[];
  errno?: Extract<ErrnoName, 'EIO' | 'ENOSPC'>;
  count?: number;
}

/** Requests in flight at once; more wait for a slot. */
const SLOTS = 256;
/** Bytes of request data in flight at once; also the largest single request (max transfer). */
const BOUNCE_BYTES = 32 << 20;

interface InFlight {
  op: BlockOp;
  byteOffset: number;
  nbytes: number;
  addr: number;
  t0: number;
  resolve(data: Uint8Array | undefined): void;
  reject(e: Error): void;
}

interface Waiter {
  nbytes: number;
  grant(slot: number, addr: number): void;
}

const OP_BY_NAME: Record<InjectableOp, BlockOp> = {
  read: BlockOp.READ,
  write: BlockOp.WRITE,
  flush: BlockOp.FLUSH,
  discard: BlockOp.DISCARD,
  'write-zeroes': BlockOp.WRITE_ZEROES,
};

export class BlockBackend {
  readonly image: string;
  readonly length: number;
  readonly cache: CacheMode;
  private readonly ctl: Control;
  private readonly loop: MainLoop;
  private readonly pool: ThreadPool;
  private readonly bounce: BounceBuffer;
  private readonly acct = new BlockAcct();
  private readonly releaseLock: () => void;
  private readonly freeSlots: number[];
  private readonly waiters: Waiter[] = [];
  private readonly inflight = new Map<number, InFlight>();
  private readonly settled = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  /** openBlock(): take the image's lock, read its metadata, start a main loop and a pool. */
  static async open(image: string, opts: BlockBackendOptions = {}): Promise<BlockBackend> {
    checkImageName(image);
    const cache = checkCacheMode(opts.cache ?? 'writeback');
    const config = mergePoolConfig(DEFAULT_POOL_CONFIG, opts.pool ?? {});
    const release = await acquireImageLock(image);
    try {
      const meta = await readImageMeta(image);
      return new BlockBackend(image, meta.virtualSize, meta.chunkSize, cache, config, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  private constructor(
    image: string,
    length: number,
    chunkSize: number,
    cache: CacheMode,
    config: PoolConfig,
    releaseLock: () => void,
  ) {
    this.image = image;
    this.length = length;
    this.cache = cache;
    this.releaseLock = releaseLock;
    this.ctl = createControl({ nslots: SLOTS, maxIov: 1, nrecords: 512, nvcpus: 0 });
    this.bounce = new BounceBuffer(BOUNCE_BYTES);
    this.freeSlots = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
    this.loop = new MainLoop(this.ctl);
    this.pool = new ThreadPool({
      ctl: this.ctl,
      loop: this.loop,
      dma: this.bounce.sab,
      image: { name: image, virtualSize: length, chunkSize },
      cache,
      config,
    });
    this.pool.onComplete(THREAD_MAIN, (slot) => this.complete(slot));
    this.loop.start();
    void this.pool.start();
  }

  pread(
    byteOffset: number,
    nbytes: number,
    opts: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    return this.request(
      BlockOp.READ,
      byteOffset,
      nbytes,
      undefined,
      opts.signal,
    ) as Promise<Uint8Array>;
  }

  async pwrite(
    byteOffset: number,
    data: Uint8Array,
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      this.acct.invalid(acctTypeOf(BlockOp.WRITE));
      throw new ErrnoError(
        Errno.EINVAL,
        `image "${this.image}": write data is ${Object.prototype.toString.call(data)}, not a Uint8Array`,
      );
    }
    await this.request(BlockOp.WRITE, byteOffset, data.length, data, opts.signal);
  }

  async flush(): Promise<void> {
    await this.request(BlockOp.FLUSH, 0, 0);
  }

  async discard(byteOffset: number, nbytes: number): Promise<void> {
    await this.request(BlockOp.DISCARD, byteOffset, nbytes);
  }

  async writeZeroes(byteOffset: number, nbytes: number): Promise<void> {
    await this.request(BlockOp.WRITE_ZEROES, byteOffset, nbytes);
  }

  /** Change the pool at run time (thread_pool_update_params); resolves once applied. */
  setPool(cfg: Partial<PoolConfig>): Promise<void> {
    return this.pool.setConfig(cfg);
  }

  get poolConfig(): Readonly<PoolConfig> {
    return this.pool.configuration;
  }

  /** Recount the pool's counters from its records and slots; [] if they agree. */
  auditPool(): Promise<string[]> {
    return this.pool.audit();
  }

  stats(): BlockStats {
    return {
      ...this.acct.stats(),
      pool: this.pool.counters(),
      spawns: this.pool.records(),
      main_loop: this.loop.stats(),
    };
  }

  /** Fail the next `count` (default 1) requests of the given ops with `errno` (default EIO). */
  injectError(rule: InjectErrorRule): void {
    const ops = Array.isArray(rule.op) ? rule.op : [rule.op];
    let mask = 0;
    for (const op of ops) {
      if (!(op in OP_BY_NAME)) {
        throw new ErrnoError(
          Errno.EINVAL,
          `cannot inject into "${String(op)}" (known: ${Object.keys(OP_BY_NAME).join(', ')})`,
        );
      }
      mask |= 1 << OP_BY_NAME[op];
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

  /** Drain in-flight requests, then shut the pool down (every worker exits), then unlock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.settled]);
      try {
        await this.pool.shutdown();
        await this.loop.stop();
      } finally {
        this.releaseLock();
      }
    })();
    return this.closing;
  }

  // ---- one request ----

  private request(
    op: BlockOp,
    byteOffset: number,
    nbytes: number,
    data?: Uint8Array,
    signal?: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const p = this.doRequest(op, byteOffset, nbytes, data, signal);
    this.settled.add(p);
    const forget = () => this.settled.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async doRequest(
    op: BlockOp,
    byteOffset: number,
    nbytes: number,
    data: Uint8Array | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array | undefined> {
    const what = `image "${this.image}"`;
    if (this.closing) {
      throw new ErrnoError(Errno.EBADF, `${what}: ${BLOCK_OP_NAMES[op]} after close()`);
    }
    const type = acctTypeOf(op);
    const rangeError = requestRangeError(op, byteOffset, nbytes, this.length);
    if (rangeError) {
      this.acct.invalid(type);
      throw new ErrnoError(Errno.EINVAL, `${what}: ${rangeError}`);
    }
    const carriesData = op === BlockOp.READ || op === BlockOp.WRITE;
    if (carriesData && nbytes > this.bounce.size) {
      this.acct.invalid(type);
      throw new ErrnoError(
        Errno.EINVAL,
        `${what}: ${BLOCK_OP_NAMES[op]} of ${nbytes} bytes exceeds the largest transfer, ${this.bounce.size} bytes`,
      );
    }
    const t0 = stampMs();
    const cancelled = () => {
      this.acct.account(type, nbytes, stampMs() - t0, true);
      return new ErrnoError(
        Errno.ECANCELED,
        `${what}: ${BLOCK_OP_NAMES[op]} of ${nbytes} bytes at byte ${byteOffset} cancelled`,
      );
    };
    if (signal?.aborted) throw cancelled();

    const need = carriesData ? nbytes : 0;
    const granted = await this.admit(need, signal).catch(() => undefined);
    if (!granted) throw cancelled();
    const { slot, addr } = granted;
    if (signal?.aborted) {
      this.giveBack(slot, addr, need);
      throw cancelled();
    }
    if (data) this.bounce.bytes.set(data, addr);
    writeSlot(
      this.ctl,
      slot,
      { op, byteOffset, nbytes, iov: carriesData ? [[addr, nbytes]] : [] },
      THREAD_MAIN,
      slot,
    );
    const done = new Promise<Uint8Array | undefined>((resolve, reject) => {
      this.inflight.set(slot, { op, byteOffset, nbytes, addr, t0, resolve, reject });
    });
    signal?.addEventListener('abort', () => void this.pool.cancel(slot), { once: true });
    await this.pool.submit(slot);
    return done;
  }

  /** Wait, in FIFO order, for a free slot and `nbytes` of bounce buffer. */
  private admit(nbytes: number, signal?: AbortSignal): Promise<{ slot: number; addr: number }> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { nbytes, grant: (slot, addr) => resolve({ slot, addr }) };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            reject(new Error('aborted'));
          }
        },
        { once: true },
      );
      this.admitWaiters();
    });
  }

  private admitWaiters(): void {
    while (this.waiters.length && this.freeSlots.length) {
      const w = this.waiters[0];
      const addr = w.nbytes ? this.bounce.alloc(w.nbytes) : 0;
      if (addr === undefined) return;
      this.waiters.shift();
      const slot = this.freeSlots.pop();
      if (slot === undefined) return;
      w.grant(slot, addr);
    }
  }

  private giveBack(slot: number, addr: number, nbytes: number): void {
    if (nbytes) this.bounce.release(addr, nbytes);
    this.freeSlots.push(slot);
    this.admitWaiters();
  }

  /** The completion BH's call for one of our slots (before it is freed). */
  private complete(slot: number): void {
    const f = this.inflight.get(slot);
    if (!f) return;
    this.inflight.delete(slot);
    const { i32, f64, L } = this.ctl;
    const S = L.slot;
    const ret = Atomics.load(i32, S.ret.at(slot));
    const tComplete = stampMs();
    this.acct.split(
      f64[S.tSubmit.at(slot)],
      f64[S.tStart.at(slot)],
      f64[S.tDone.at(slot)],
      tComplete,
    );
    const failed = ret < 0;
    this.acct.account(acctTypeOf(f.op), f.nbytes, tComplete - f.t0, failed);
    const isWrite = f.op === BlockOp.WRITE || f.op === BlockOp.WRITE_ZEROES;
    if (!failed && isWrite) this.acct.wrote(f.byteOffset + f.nbytes);
    const result =
      !failed && f.op === BlockOp.READ
        ? this.bounce.bytes.slice(f.addr, f.addr + f.nbytes)
        : undefined;
    const carried = f.op === BlockOp.READ || f.op === BlockOp.WRITE ? f.nbytes : 0;
    // The completion BH frees the slot when we return; it is ours again from then on.
    queueMicrotask(() => this.giveBack(slot, f.addr, carried));
    if (failed) {
      f.reject(
        new ErrnoError(
          -ret,
          `image "${this.image}": ${BLOCK_OP_NAMES[f.op]} of ${f.nbytes} bytes at byte ${f.byteOffset} ` +
            `failed with ${errnoName(ret)} (${ret})`,
        ),
      );
    } else {
      f.resolve(result);
    }
  }
}
