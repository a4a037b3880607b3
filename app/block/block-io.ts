// Direct, byte-granular reads and writes of an image (cf. qemu-io on a BlockBackend): every call
// is one request through the backend's AIO pool, its data in a bounce buffer the workers copy
// to and from. Requests are checked here, as QEMU's block layer checks them, and wait in FIFO
// order for a slot and bounce space.

import { acctTypeOf } from './block-acct.ts';
import { BlockBackend, blockControlParams } from './block-backend.ts';
import { resolveBlockConfig, type BlockBackendOptions } from './block-config.ts';
import { openImage, type OpenedImage } from './block-open.ts';
import { MainLoop } from '../machine/main-loop.ts';
import { BounceBuffer } from '../shared/block/bounce.ts';
import { BLOCK_OP_NAMES, BlockOp, requestRangeError, writeSlot } from '../shared/block/block.ts';
import { stampMs } from '../shared/sync/clock.ts';
import { Errno, ErrnoError, errnoName } from '../shared/block/errno.ts';
import { createControl } from '../shared/layout/layout.ts';
import { THREAD_MAIN } from '../shared/pool/record-layout.ts';

/** Requests in flight at once; more wait for a slot. */
const SLOTS = 256;
/** Bytes of request data in flight at once; also the largest single request (max transfer). */
const BOUNCE_BYTES = 32 << 20;

interface InFlight {
  op: BlockOp;
  byteOffset: number;
  nbytes: number;
  addr: number;
  resolve(data: Uint8Array | undefined): void;
  reject(e: Error): void;
}

interface Waiter {
  nbytes: number;
  grant(slot: number, addr: number): void;
}

export class BlockIo extends BlockBackend {
  private readonly bounce: BounceBuffer;
  private readonly freeSlots: number[];
  private readonly waiters: Waiter[] = [];
  private readonly inflight = new Map<number, InFlight>();
  /** Every request not yet settled: close() waits for them. */
  private readonly unsettled = new Set<Promise<unknown>>();
  private closed = false;

  /** openBlock(): check the options, take the image's lock, read its metadata, start a main
   *  loop of its own (no machine: no vCPU, no BQL) and a pool. */
  static async open(
    image: string,
    opts: BlockBackendOptions = {},
    holder = 'openBlock',
  ): Promise<BlockIo> {
    const opened = await openImage(resolveBlockConfig(image, opts), holder);
    let b: BlockIo | undefined;
    try {
      const fe = { nslots: SLOTS, maxIov: 1 };
      const loop = new MainLoop(createControl({ ...blockControlParams(opened, fe), nvcpus: 0 }));
      b = new BlockIo(opened, loop, new BounceBuffer(BOUNCE_BYTES));
      loop.start();
      await b.start();
      return b;
    } catch (e) {
      if (b) await b.close().catch(() => undefined);
      else opened.release();
      throw e;
    }
  }

  private constructor(opened: OpenedImage, loop: MainLoop, bounce: BounceBuffer) {
    super(opened, loop, bounce.sab);
    this.bounce = bounce;
    this.freeSlots = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
    this.onComplete(THREAD_MAIN, (slot, ret) => this.completed(slot, ret));
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

  /** Drain in-flight requests, then shut the backend down (every worker exits), unlock, and
   *  stop the main loop, which is this front end's own. */
  override async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.unsettled]);
    try {
      await super.close();
    } finally {
      await this.loop.stop();
    }
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
    this.unsettled.add(p);
    const forget = () => this.unsettled.delete(p);
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
    if (this.closed) {
      throw new ErrnoError(Errno.EBADF, `${what}: ${BLOCK_OP_NAMES[op]} after close()`);
    }
    const type = acctTypeOf(op);
    const rangeError = requestRangeError(op, byteOffset, nbytes, this.virtualSize);
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
    const iov = carriesData ? ([[addr, nbytes]] as const) : [];
    // The request was made at t0: its wait for a slot counts as queue wait.
    writeSlot(this.ctl, slot, { op, byteOffset, nbytes, iov }, THREAD_MAIN, slot, t0);
    const done = new Promise<Uint8Array | undefined>((resolve, reject) => {
      this.inflight.set(slot, { op, byteOffset, nbytes, addr, resolve, reject });
    });
    signal?.addEventListener('abort', () => void this.cancel(slot), { once: true });
    await this.submit(slot);
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

  /** The backend's completion of one of our slots (accounted already; not freed yet). */
  private completed(slot: number, ret: number): void {
    const f = this.inflight.get(slot);
    if (!f) return;
    this.inflight.delete(slot);
    const failed = ret < 0;
    const result =
      !failed && f.op === BlockOp.READ
        ? this.bounce.bytes.slice(f.addr, f.addr + f.nbytes)
        : undefined;
    const carried = f.op === BlockOp.READ || f.op === BlockOp.WRITE ? f.nbytes : 0;
    // The completion BH frees the slot when we return; it is ours again from then on.
    queueMicrotask(() => this.giveBack(slot, f.addr, carried));
    if (failed) {
      const why = ret === -Errno.EIO ? this.backingFault() : '';
      f.reject(
        new ErrnoError(
          -ret,
          `image "${this.image}": ${BLOCK_OP_NAMES[f.op]} of ${f.nbytes} bytes at byte ${f.byteOffset} ` +
            `failed with ${errnoName(ret)} (${ret})${why ? `: ${why}` : ''}`,
        ),
      );
    } else {
      f.resolve(result);
    }
  }
}
