// The IDE front end's submission as a vCPU exit (cf. the raw driver's raw_co_prw() ->
// thread_pool_submit_co(), on v86's thread as on a vCPU's): under the BQL, its requests written
// into their slots and queued with one hold of the pool lock, the wake-ups after the BQL is
// dropped; each exit counted, timed in the vCPU's stall and BQL histograms, and logged in its
// trace ring under IDE_SUBMIT, as workers/vcpu/cpu.ts does for virtio-blk's doorbell.

import type { WorkerCreator } from '../../app/shared/pool/thread-pool.ts';
import { BlockOp, writeSlot } from '../../app/shared/block/block.ts';
import { stampMs } from '../../app/shared/sync/clock.ts';
import type { Histogram } from '../../app/shared/stats/histogram.ts';
import { IDE_SUBMIT } from '../../app/shared/virtio/ide-ring.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import {
  vcpuCounter,
  vcpuHistogram,
  VcpuState,
  type VcpuCounter,
} from '../../app/shared/machine/vcpu-layout.ts';
import { QemuMutex } from '../../app/shared/sync/mutex.ts';
import type { PoolCore } from '../../app/shared/pool/thread-pool.ts';
import { vcpuTrace, VcpuTraceKind } from '../../app/shared/trace/trace-ring.ts';
import type { TrackedOp } from './tracked-requests.ts';

export const OPS: Record<TrackedOp, BlockOp> = {
  read: BlockOp.READ,
  write: BlockOp.WRITE,
  flush: BlockOp.FLUSH,
};

/** A request with its slot and, unless a flush, its data's place in the DMA buffer. */
export interface ExitRequest {
  op: TrackedOp;
  byteOffset: number;
  nbytes: number;
  slot: number;
  addr: number;
}

export interface IdeExitOptions {
  ctl: Control;
  pool: PoolCore;
  /** How this thread creates pool workers (only under `inline`). */
  creator: WorkerCreator;
  /** The request slots that are this front end's: 0..nslots-1 of the control buffer. */
  nslots: number;
  /** Its vCPU index (0) and thread id (the client of its slots). */
  vcpu: number;
  thread: number;
}

export class IdeExit {
  private readonly o: IdeExitOptions;
  private readonly bql: QemuMutex;
  /** The slots of one exit, for queueMany (reused: no allocation per exit). */
  private readonly slots: Int32Array;
  private readonly stall: Histogram;
  private readonly bqlWait: Histogram;
  private readonly bqlHold: Histogram;
  private readonly perExit: Histogram;

  constructor(o: IdeExitOptions) {
    this.o = o;
    this.bql = new QemuMutex(o.ctl.i32, o.ctl.L.machine.bql);
    this.slots = new Int32Array(o.nslots);
    this.stall = vcpuHistogram(o.ctl, o.vcpu, 'stall');
    this.bqlWait = vcpuHistogram(o.ctl, o.vcpu, 'bqlWait');
    this.bqlHold = vcpuHistogram(o.ctl, o.vcpu, 'bqlHold');
    this.perExit = vcpuHistogram(o.ctl, o.vcpu, 'exitRequests');
  }

  /** Submit `batch`, in order, as one exit. */
  submit(batch: readonly ExitRequest[]): void {
    const { ctl, pool, creator, thread, vcpu } = this.o;
    const { i32, L } = ctl;
    const t0 = stampMs();
    this.setState(VcpuState.IN_EXIT);
    this.bql.lock();
    const t1 = stampMs();
    let owed = 0;
    let t2 = t1;
    try {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i];
        const iov = r.op === 'flush' ? [] : ([[r.addr, r.nbytes]] as const);
        writeSlot(
          ctl,
          r.slot,
          { op: OPS[r.op], byteOffset: r.byteOffset, nbytes: r.nbytes, iov },
          thread,
          r.slot,
          t0,
        );
        this.slots[i] = r.slot;
      }
      Atomics.add(i32, L.ide.inflight, batch.length);
      owed = pool.queueMany(this.slots, batch.length, creator);
    } finally {
      t2 = stampMs();
      this.bql.unlock();
      pool.wake(owed);
      this.setState(VcpuState.RUNNING);
    }
    this.bqlWait.record((t1 - t0) * 1000);
    this.bqlHold.record((t2 - t1) * 1000);
    this.stall.record((t2 - t0) * 1000);
    this.perExit.record(batch.length);
    this.count('exits', 1);
    this.count('popped', batch.length);
    this.count('submitted', batch.length);
    vcpuTrace(ctl, vcpu, VcpuTraceKind.EXIT, IDE_SUBMIT, batch.length, t0, t1, t2);
  }

  private count(name: VcpuCounter, n: number): void {
    Atomics.add(this.o.ctl.i32, vcpuCounter(this.o.ctl, this.o.vcpu, name), n);
  }

  private setState(state: VcpuState): void {
    Atomics.store(this.o.ctl.i32, this.o.ctl.L.vcpu.state.at(this.o.vcpu), state);
  }
}
