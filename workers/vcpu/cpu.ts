// A vCPU as its guest sees it (cf. the KVM run loop in accel/kvm/kvm-all.c): MMIO accesses exit
// into device emulation on this thread under the BQL, and HLT waits for the interrupt line.
// It keeps the vCPU's state word, its stall, BQL and halt histograms, and its trace ring (every
// exit and halt, for the page's timeline) in shared memory.

import { stampMs } from '../../app/shared/sync/clock.ts';
import type { Histogram } from '../../app/shared/stats/histogram.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import { vcpuCounter, vcpuHistogram, VcpuState } from '../../app/shared/machine/vcpu-layout.ts';
import { QemuMutex } from '../../app/shared/sync/mutex.ts';
import { vcpuTrace, VcpuTraceKind } from '../../app/shared/trace/trace-ring.ts';
import { Mmio } from '../../app/shared/virtio/virtio.ts';
import type { VirtioBlk } from '../../app/shared/virtio/virtio-blk.ts';

export class Cpu {
  readonly index: number;
  private readonly ctl: Control;
  private readonly device: VirtioBlk;
  private readonly bql: QemuMutex;
  private readonly stall: Histogram;
  private readonly bqlWait: Histogram;
  private readonly bqlHold: Histogram;
  private readonly halted: Histogram;
  private readonly irqDelivery: Histogram;
  /** What the exit deferred until the BQL is dropped (the pool's wake-ups). */
  private readonly afterExit: () => void;

  constructor(ctl: Control, index: number, device: VirtioBlk, afterExit: () => void) {
    this.ctl = ctl;
    this.afterExit = afterExit;
    this.index = index;
    this.device = device;
    this.bql = new QemuMutex(ctl.i32, ctl.L.machine.bql);
    this.stall = vcpuHistogram(ctl, index, 'stall');
    this.bqlWait = vcpuHistogram(ctl, index, 'bqlWait');
    this.bqlHold = vcpuHistogram(ctl, index, 'bqlHold');
    this.halted = vcpuHistogram(ctl, index, 'halted');
    this.irqDelivery = vcpuHistogram(ctl, index, 'irqDelivery');
  }

  private setState(state: VcpuState): void {
    Atomics.store(this.ctl.i32, this.ctl.L.vcpu.state.at(this.index), state);
  }

  /**
   * Run device emulation for one exit at register `reg`, holding the BQL; logs it (start, BQL
   * taken, BQL dropped) and returns the exit's duration (ms).
   */
  private exit<T>(reg: number, fn: () => T): { value: T; ms: number } {
    const t0 = stampMs();
    this.setState(VcpuState.IN_EXIT);
    this.bql.lock();
    const t1 = stampMs();
    let value: T;
    let t2 = t1;
    try {
      value = fn();
    } finally {
      t2 = stampMs();
      this.bql.unlock();
      this.afterExit();
      this.bqlWait.record((t1 - t0) * 1000);
      this.bqlHold.record((t2 - t1) * 1000);
      this.setState(VcpuState.RUNNING);
      const popped = reg === Mmio.QUEUE_NOTIFY ? this.device.lastPopped : 0;
      vcpuTrace(this.ctl, this.index, VcpuTraceKind.EXIT, reg, popped, t0, t1, t2);
    }
    return { value, ms: t2 - t0 };
  }

  mmioRead(reg: number): number {
    return this.exit(reg, () => this.device.mmioRead(reg)).value;
  }

  /** A register write; a doorbell's exit time is the request's submission latency (slat). */
  mmioWrite(reg: number, value: number): number {
    const { ms } = this.exit(reg, () => this.device.mmioWrite(reg, value));
    if (reg === Mmio.QUEUE_NOTIFY) this.stall.record(ms * 1000);
    return ms;
  }

  /** The page asked this vCPU to stop; the guest checks at its safe points. */
  shouldStop(): boolean {
    return Atomics.load(this.ctl.i32, this.ctl.L.vcpu.stop.at(this.index)) !== 0;
  }

  /**
   * HLT: wait for the interrupt line (or a stop request) without blocking this thread's event
   * loop. Returns at once if the line is already raised.
   */
  async halt(timeoutMs = Infinity): Promise<void> {
    const { i32, f64, L } = this.ctl;
    const irq = L.vcpu.irq.at(this.index);
    if (Atomics.load(i32, irq) !== 0 || this.shouldStop()) return;
    const t0 = stampMs();
    this.setState(VcpuState.HALTED);
    const w = Atomics.waitAsync(i32, irq, 0, timeoutMs);
    if (w.async) await w.value;
    const now = stampMs();
    this.halted.record((now - t0) * 1000);
    vcpuTrace(this.ctl, this.index, VcpuTraceKind.HALT, 0, 0, t0, now, now);
    if (Atomics.load(i32, irq) !== 0) {
      const raised = f64[L.vcpu.tIrqRaised.at(this.index)];
      if (raised >= t0) this.irqDelivery.record((now - raised) * 1000);
    }
    this.setState(VcpuState.RUNNING);
  }

  progress(ios: number, verifyChecked: number, verifyErrors: number): void {
    const { i32 } = this.ctl;
    Atomics.store(i32, vcpuCounter(this.ctl, this.index, 'guestIos'), ios);
    Atomics.store(i32, vcpuCounter(this.ctl, this.index, 'verifyChecked'), verifyChecked);
    Atomics.store(i32, vcpuCounter(this.ctl, this.index, 'verifyErrors'), verifyErrors);
  }

  started(): void {
    this.setState(VcpuState.RUNNING);
  }

  stopped(): void {
    this.setState(VcpuState.STOPPED);
  }
}
