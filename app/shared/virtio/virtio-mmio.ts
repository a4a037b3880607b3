// The virtio-mmio transport of one vCPU's queue (cf. virtio_mmio_read() and virtio_mmio_write()
// in hw/virtio/virtio-mmio.c): its registers, kept in the vCPU's words of the control buffer and
// touched by that vCPU under the BQL. A queue goes live only with a sane size and its rings
// inside guest RAM, aligned. The device behind it (virtio-blk.ts) answers its config space and
// the doorbell.

import type { Control } from '../layout/layout.ts';
import { Mmio, RING_ALIGN, ringSizes, type GuestMemory } from './virtio.ts';

/** The queue's registers, read once per exit. */
export interface Vq {
  num: number;
  descAddr: number;
  availAddr: number;
  usedAddr: number;
}

/** What the transport asks of the device behind it. */
export interface VirtioMmioDevice {
  readonly deviceId: number;
  /** A register of the device's config space (cf. virtio_config_read); 0 for any other. */
  configRead(reg: number): number;
  /** QUEUE_NOTIFY, the doorbell (cf. virtio_queue_notify() -> the device's handle_output). */
  handleOutput(): void;
  /** The guest set a queue up that cannot go live; `why` names its values. */
  refuse(why: string): void;
}

type VcpuField = { at(i: number): number };

export class VirtioMmio {
  private readonly ctl: Control;
  private readonly mem: GuestMemory;
  private readonly vcpu: number;
  /** QUEUE_NUM_MAX: the largest queue the guest may set up. */
  private readonly queueSize: number;
  private readonly device: VirtioMmioDevice;

  constructor(
    ctl: Control,
    mem: GuestMemory,
    vcpu: number,
    queueSize: number,
    device: VirtioMmioDevice,
  ) {
    this.ctl = ctl;
    this.mem = mem;
    this.vcpu = vcpu;
    this.queueSize = queueSize;
    this.device = device;
  }

  private get(field: VcpuField): number {
    return Atomics.load(this.ctl.i32, field.at(this.vcpu));
  }
  private set(field: VcpuField, v: number): void {
    Atomics.store(this.ctl.i32, field.at(this.vcpu), v);
  }

  /** The live queue's registers; undefined while the queue is not ready. */
  queue(): Vq | undefined {
    const V = this.ctl.L.vcpu;
    if (!this.get(V.qReady)) return undefined;
    return {
      num: this.get(V.qNum),
      descAddr: this.get(V.qDesc),
      availAddr: this.get(V.qAvail),
      usedAddr: this.get(V.qUsed),
    };
  }

  /** An MMIO read (under the BQL). Unknown registers read as 0. */
  read(reg: number): number {
    const V = this.ctl.L.vcpu;
    switch (reg) {
      case Mmio.DEVICE_ID:
        return this.device.deviceId;
      case Mmio.QUEUE_NUM_MAX:
        return this.queueSize;
      case Mmio.QUEUE_READY:
        return this.get(V.qReady);
      case Mmio.INTERRUPT_STATUS:
        return this.get(V.irq);
      default:
        return this.device.configRead(reg);
    }
  }

  /** An MMIO write (under the BQL). */
  write(reg: number, value: number): void {
    const V = this.ctl.L.vcpu;
    const v = value >>> 0;
    switch (reg) {
      case Mmio.QUEUE_NUM:
        if (!this.get(V.qReady)) this.set(V.qNum, v);
        return;
      case Mmio.QUEUE_DESC:
        if (!this.get(V.qReady)) this.set(V.qDesc, v);
        return;
      case Mmio.QUEUE_AVAIL:
        if (!this.get(V.qReady)) this.set(V.qAvail, v);
        return;
      case Mmio.QUEUE_USED:
        if (!this.get(V.qReady)) this.set(V.qUsed, v);
        return;
      case Mmio.QUEUE_READY:
        this.setReady(v === 1);
        return;
      case Mmio.INTERRUPT_ACK:
        this.set(V.irq, 0);
        return;
      case Mmio.QUEUE_NOTIFY:
        this.device.handleOutput();
        return;
    }
  }

  /** A queue may go live only with a sane size and its rings inside RAM, aligned. */
  private setReady(ready: boolean): void {
    const V = this.ctl.L.vcpu;
    if (!ready) {
      this.set(V.qReady, 0);
      return;
    }
    const num = this.get(V.qNum);
    const sizes = ringSizes(num);
    const desc = this.get(V.qDesc);
    const avail = this.get(V.qAvail);
    const used = this.get(V.qUsed);
    const pow2 = num > 0 && (num & (num - 1)) === 0;
    const ok =
      pow2 &&
      num <= this.queueSize &&
      this.mem.contains(desc, sizes.desc) &&
      this.mem.contains(avail, sizes.avail) &&
      this.mem.contains(used, sizes.used) &&
      desc % RING_ALIGN.desc === 0 &&
      avail % RING_ALIGN.avail === 0 &&
      used % RING_ALIGN.used === 0;
    if (!ok) {
      this.device.refuse(`queue of ${num} at desc ${desc}, avail ${avail}, used ${used} refused`);
      return;
    }
    // The guest starts from index 0 on both rings.
    this.set(V.qLastAvail, this.mem.loadIdx(avail + 2));
    this.set(V.qUsedIdx, this.mem.loadIdx(used + 2));
    this.set(V.qReady, 1);
  }
}
