// v86's hard disk as a front end on WebAIO's block layer (cf. QEMU's IDE: ide_dma_cb ->
// blk_aio_preadv -> the raw driver -> thread_pool_submit_aio): an object with v86's buffer
// interface whose requests go from this thread straight into the AIO pool through shared
// memory, under the BQL like a vCPU's exit (ide-exit.ts), and come back through the main loop's
// completion BH and the IDE completion ring. v86's memory is not shared: data is staged in a shared DMA
// buffer, copied in for a write before v86's call returns, out for a read.

import { BLOCK_OP_NAMES } from '../../app/shared/block/block.ts';
import type { BounceBuffer } from '../../app/shared/block/bounce.ts';
import { stampMs } from '../../app/shared/sync/clock.ts';
import { errnoName } from '../../app/shared/block/errno.ts';
import type { Histogram } from '../../app/shared/stats/histogram.ts';
import { ideRingDrain } from '../../app/shared/virtio/ide-ring.ts';
import { vcpuCounter, vcpuHistogram, VcpuState } from '../../app/shared/machine/vcpu-layout.ts';
import { IdeExit, OPS, type IdeExitOptions } from './ide-exit.ts';
import { TrackedRequests, type Tracked, type TrackedOp } from './tracked-requests.ts';

/** v86's completion callback: data for a read; an Error (the patched IDE reports it). */
type Callback = (result?: Uint8Array | Error) => void;

interface DiskRequest extends Tracked {
  fn: Callback;
  /** The PC it came from (AioDisk.forgetAnswers): an earlier one's answer is dropped. */
  generation: number;
  /** A write's data, copied, while it waits for its turn or for room in the DMA buffer. */
  data: Uint8Array | undefined;
  slot: number;
  addr: number;
}

export interface AioDiskOptions extends IdeExitOptions {
  dma: BounceBuffer;
  virtualSize: number;
  /** With a write cache, IDENTIFY says so and FLUSH CACHE reaches flush() (patched v86). */
  writeCache: boolean;
}

export class AioDisk {
  /** v86's buffer interface. */
  readonly byteLength: number;
  onload: ((e: unknown) => void) | undefined;
  /** Present only with a write cache: the patched IDE advertises one when it finds this. */
  readonly flush: ((fn: Callback) => void) | undefined;

  private readonly o: AioDiskOptions;
  /** Where its requests enter the pool, as a vCPU's exits. */
  private readonly exit: IdeExit;
  private readonly tracked = new TrackedRequests<DiskRequest>();
  /** Free to start, waiting for a slot or room in the DMA buffer; in guest order. */
  private readonly ready: DiskRequest[] = [];
  private readonly freeSlots: number[];
  private readonly bySlot: (DiskRequest | undefined)[];
  private readonly cached = new Map<string, Uint8Array>();
  private readonly irqDelivery: Histogram;
  private completed = 0;
  private stopped = false;
  private generation = 0;

  constructor(o: AioDiskOptions) {
    this.o = o;
    this.byteLength = o.virtualSize;
    this.exit = new IdeExit(o);
    this.freeSlots = Array.from({ length: o.nslots }, (_, i) => o.nslots - 1 - i);
    this.bySlot = new Array(o.nslots).fill(undefined);
    this.irqDelivery = vcpuHistogram(o.ctl, o.vcpu, 'irqDelivery');
    this.flush = o.writeCache ? (fn) => this.add('flush', 0, 0, fn) : undefined;
    this.setState(VcpuState.RUNNING);
  }

  // ---- v86's buffer interface ----

  load(): void {
    queueMicrotask(() => this.onload?.({}));
  }

  get(byteOffset: number, nbytes: number, fn: Callback): void {
    this.add('read', byteOffset, nbytes, fn);
  }

  /** `data` may be a view of a buffer v86 reuses (PIO): it is copied before this returns. */
  set(byteOffset: number, data: Uint8Array, fn: Callback): void {
    this.add('write', byteOffset, data.byteLength, fn, data);
  }

  /** Before the PC starts, v86 reads sector 0 this way; the IDE then asks get_from_cache. */
  get_and_cache(byteOffset: number, nbytes: number, fn: Callback): void {
    this.get(byteOffset, nbytes, (data) => {
      if (data instanceof Uint8Array) this.cached.set(`${byteOffset}+${nbytes}`, data);
      fn(data);
    });
  }

  get_from_cache(byteOffset: number, nbytes: number): Uint8Array | undefined {
    return this.cached.get(`${byteOffset}+${nbytes}`);
  }

  /** A saved machine state does not carry the disk (it is in IndexedDB). */
  get_state(): unknown[] {
    return [];
  }
  set_state(): void {}

  // ---- requests ----

  /** Requests v86 made that have not completed. */
  get pending(): number {
    return this.tracked.size;
  }

  /** The PC was reset (a new v86 on this disk): what the old one asked still completes, as
   *  commands a drive had accepted, but its answers go nowhere. */
  forgetAnswers(): void {
    this.generation++;
  }

  private add(op: TrackedOp, byteOffset: number, nbytes: number, fn: Callback, data?: Uint8Array) {
    const req: DiskRequest = {
      op,
      byteOffset,
      nbytes,
      fn,
      generation: this.generation,
      data: undefined,
      slot: -1,
      addr: -1,
    };
    if (!this.tracked.add(req)) {
      req.data = data?.slice();
      return;
    }
    this.ready.push(req);
    // Straight into the DMA buffer when it can go now, else a copy until it can.
    if (this.ready.length === 1 && this.take(req)) {
      if (data) this.o.dma.bytes.set(data, req.addr);
      this.ready.shift();
      this.exit.submit([req]);
      return;
    }
    req.data = data?.slice();
  }

  /** A slot and DMA room for `req`, if free now. */
  private take(req: DiskRequest): boolean {
    const slot = this.freeSlots.pop();
    if (slot === undefined) return false;
    if (req.op !== 'flush' && req.nbytes > 0) {
      const addr = this.o.dma.alloc(req.nbytes);
      if (addr === undefined) {
        this.freeSlots.push(slot);
        return false;
      }
      req.addr = addr;
    }
    req.slot = slot;
    this.bySlot[slot] = req;
    return true;
  }

  /** Start what is ready, in order, as far as slots and DMA room go. */
  private pump(): void {
    const batch: DiskRequest[] = [];
    while (this.ready.length > 0 && this.take(this.ready[0])) {
      const req = this.ready.shift() as DiskRequest;
      if (req.data) this.o.dma.bytes.set(req.data, req.addr);
      req.data = undefined;
      batch.push(req);
    }
    if (batch.length > 0) this.exit.submit(batch);
  }

  // ---- completions ----

  /**
   * This thread's interrupt handler: wait for the line without blocking the event loop (v86
   * runs on it), then take every completion the main loop published. Runs until stop().
   */
  async serveInterrupts(): Promise<void> {
    const { i32, f64, L } = this.o.ctl;
    const irq = L.vcpu.irq.at(this.o.vcpu);
    while (!this.stopped) {
      // Lower the line before reading the ring: a completion published after we read it
      // raises the line again, so the wait below returns at once.
      if (Atomics.exchange(i32, irq, 0) !== 0) {
        const raised = f64[L.vcpu.tIrqRaised.at(this.o.vcpu)];
        if (raised > 0) this.irqDelivery.record((stampMs() - raised) * 1000);
      }
      this.complete();
      const w = Atomics.waitAsync(i32, irq, 0);
      if (w.async) await w.value;
    }
  }

  stop(): void {
    this.stopped = true;
    this.setState(VcpuState.STOPPED);
    Atomics.notify(this.o.ctl.i32, this.o.ctl.L.vcpu.irq.at(this.o.vcpu));
  }

  private complete(): void {
    const done: [DiskRequest, number][] = [];
    ideRingDrain(this.o.ctl, (slot, ret) => {
      const req = this.bySlot[slot];
      if (!req) throw new Error(`IDE completion for slot ${slot}, which has no request`);
      this.bySlot[slot] = undefined;
      done.push([req, ret]);
    });
    if (done.length === 0) return;
    const answers: (() => void)[] = [];
    for (const [req, ret] of done) {
      let result: Uint8Array | Error | undefined;
      if (ret < 0) {
        result = new Error(
          `${BLOCK_OP_NAMES[OPS[req.op]]} of ${req.nbytes} bytes at byte ${req.byteOffset} ` +
            `failed with ${errnoName(ret)} (${ret})`,
        );
      } else if (req.op === 'read') {
        result = this.o.dma.bytes.slice(req.addr, req.addr + req.nbytes);
      }
      if (req.addr >= 0) this.o.dma.release(req.addr, req.nbytes);
      this.freeSlots.push(req.slot);
      for (const next of this.tracked.complete(req)) this.ready.push(next);
      if (req.generation === this.generation) answers.push(() => req.fn(result));
    }
    this.completed += done.length;
    Atomics.store(this.o.ctl.i32, vcpuCounter(this.o.ctl, this.o.vcpu, 'guestIos'), this.completed);
    // Start what waited before v86 hears of the completions (its answers may add more).
    this.pump();
    for (const answer of answers) answer();
  }

  private setState(state: VcpuState): void {
    Atomics.store(this.o.ctl.i32, this.o.ctl.L.vcpu.state.at(this.o.vcpu), state);
  }
}
