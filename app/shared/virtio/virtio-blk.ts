// The virtio-blk device, emulated on the vCPU that rings its doorbell (cf. hw/block/virtio-blk.c).
// Runs under the BQL, in the exit path: its registers (virtio-mmio.ts), then a drain of the avail
// ring with notifications suppressed; for each new request: walk its descriptors, check
// everything against guest RAM and the disk, and either collect it for the block layer or answer
// it at once (IOERR, UNSUPP, GET_ID). Nothing a guest writes can make it throw. What the vCPU
// submits is prepared in virtio-blk-merge.ts; what the main loop completes, in
// virtio-blk-complete.ts.

import { BlockOp, SECTOR_SIZE, type BlockRequest } from '../block/block.ts';
import type { Histogram } from '../stats/histogram.ts';
import { type Control } from '../layout/layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import {
  VCPU_COUNTERS,
  vcpuCounter,
  vcpuHistogram,
  type VcpuCounter,
} from '../machine/vcpu-layout.ts';
import { raiseIrq, virtioBlkComplete } from './virtio-blk-complete.ts';
import { virtioBlkParseRequest, type RequestLimits } from './virtio-blk-req.ts';
import { VirtioMmio, type Vq } from './virtio-mmio.ts';
import { BlkStatus, GuestMemory, Mmio, VIRTIO_BLK_ID_BYTES, VIRTIO_ID_BLOCK } from './virtio.ts';
import { popChain, virtioQueueEmpty, virtioQueueSetNotification } from './virtqueue.ts';

export interface Disk {
  virtualSize: number;
  /** GET_ID's answer (the image's name, encoded by the vCPU); the first 20 bytes count. */
  id: Uint8Array;
}

/** A checked request, collected during a drain (cf. VirtIOBlockReq in a MultiReqBuffer). */
export interface BlkRequest {
  slot: number;
  req: BlockRequest;
}

/** Hands the requests one drain collected to the block layer, in ring order (the raw driver's
 *  submit; cf. virtio_blk_submit_multireq). */
export type Submit = (reqs: readonly BlkRequest[]) => void;

export class VirtioBlk {
  private readonly ctl: Control;
  private readonly mem: GuestMemory;
  private readonly vcpu: number;
  private readonly disk: Disk;
  private readonly segMax: number;
  /** The transport: the queue's registers and the doorbell. */
  private readonly mmio: VirtioMmio;
  private readonly submit: Submit;
  /** Where this vCPU's request slots start in the pool (a slot's descriptor head is its
   *  distance from here). */
  readonly slotBase: number;
  /** The GET_ID answer, encoded once. */
  private readonly idBytes: Uint8Array;
  /** What each request is checked against. */
  private readonly limits: RequestLimits;
  /** Counter word indices, looked up once. */
  private readonly counterAt: Record<VcpuCounter, number>;
  private readonly exitRequests: Histogram;
  /** The current drain's requests for the block layer (reused: no allocation per exit). */
  private readonly batch: BlkRequest[] = [];
  /** Heads collected in the current drain: a guest that makes one head available twice before
   *  the drain ends must not get one slot submitted twice. */
  private readonly collected: Uint8Array;
  /** The last refusal, for the curious (and the fuzz test's messages). */
  lastRefusal = '';
  /** Requests the last doorbell exit took off the avail ring. */
  lastPopped = 0;
  /** The current exit's requests popped, and whether the device answered any itself. */
  private exitPopped = 0;
  private exitAnswered = false;

  constructor(
    ctl: Control,
    mem: GuestMemory,
    vcpu: number,
    disk: Disk,
    queueSize: number,
    segMax: number,
    submit: Submit,
  ) {
    this.ctl = ctl;
    this.mem = mem;
    this.vcpu = vcpu;
    this.disk = disk;
    this.segMax = segMax;
    this.submit = submit;
    this.slotBase = vcpu * queueSize;
    this.idBytes = disk.id.subarray(0, VIRTIO_BLK_ID_BYTES);
    this.limits = { mem, segMax, virtualSize: disk.virtualSize };
    this.counterAt = Object.fromEntries(
      VCPU_COUNTERS.map((name) => [name, vcpuCounter(ctl, vcpu, name)]),
    ) as Record<VcpuCounter, number>;
    this.exitRequests = vcpuHistogram(ctl, vcpu, 'exitRequests');
    this.collected = new Uint8Array(queueSize);
    this.mmio = new VirtioMmio(ctl, mem, vcpu, queueSize, {
      deviceId: VIRTIO_ID_BLOCK,
      configRead: (reg) => this.configRead(reg),
      handleOutput: () => this.handleOutput(),
      refuse: (why) => {
        this.lastRefusal = why;
        this.count('broken');
      },
    });
  }

  private word(field: { at(i: number): number }): number {
    return field.at(this.vcpu);
  }
  private get(field: { at(i: number): number }): number {
    return Atomics.load(this.ctl.i32, this.word(field));
  }
  private set(field: { at(i: number): number }, v: number): void {
    Atomics.store(this.ctl.i32, this.word(field), v);
  }
  private count(name: VcpuCounter, n = 1): void {
    Atomics.add(this.ctl.i32, this.counterAt[name], n);
  }

  /** An MMIO read (under the BQL). Unknown registers read as 0. */
  mmioRead(reg: number): number {
    return this.mmio.read(reg);
  }

  /** An MMIO write (under the BQL). */
  mmioWrite(reg: number, value: number): void {
    this.mmio.write(reg, value);
  }

  /** virtio_blk_update_config(): capacity in sectors and seg_max; 0 for any other register. */
  private configRead(reg: number): number {
    switch (reg) {
      case Mmio.CONFIG_CAPACITY_LO:
        return (this.disk.virtualSize / SECTOR_SIZE) % 2 ** 32;
      case Mmio.CONFIG_CAPACITY_HI:
        return Math.floor(this.disk.virtualSize / SECTOR_SIZE / 2 ** 32);
      case Mmio.CONFIG_SEG_MAX:
        return this.segMax;
      default:
        return 0;
    }
  }

  /**
   * virtio_blk_handle_output() → virtio_blk_handle_vq(): take every request the guest made
   * available, with notifications suppressed meanwhile; re-enable them, and if the ring is not
   * empty any more, drain again (QEMU's do … while (!virtio_queue_empty(vq))). Then hand what
   * was collected to the block layer in one go, and raise the interrupt once if the device
   * answered any request itself.
   */
  private handleOutput(): void {
    const V = this.ctl.L.vcpu;
    this.count('exits');
    this.lastPopped = 0;
    const vq = this.mmio.queue();
    if (!vq) return;
    const batch = this.batch;
    this.exitPopped = 0;
    this.exitAnswered = false;
    try {
      for (;;) {
        virtioQueueSetNotification(this.mem, vq.usedAddr, false);
        const ok = this.drain(vq);
        virtioQueueSetNotification(this.mem, vq.usedAddr, true);
        if (!ok || virtioQueueEmpty(this.mem, vq.availAddr, this.get(V.qLastAvail))) break;
        this.count('rechecks');
      }
      if (batch.length > 0) {
        this.count('submitted', batch.length);
        this.submit(batch);
      }
    } finally {
      for (const r of batch) this.collected[this.headOf(r.slot)] = 0;
      batch.length = 0;
    }
    this.lastPopped = this.exitPopped;
    this.count('popped', this.exitPopped);
    this.exitRequests.record(this.exitPopped);
    if (this.exitAnswered) raiseIrq(this.ctl, this.vcpu);
  }

  /** The descriptor head whose request `slot` carries (this queue's slots start at slotBase). */
  private headOf(slot: number): number {
    return slot - this.slotBase;
  }

  /** Pop every available request (virtqueue_pop) and handle each; false if the ring is broken. */
  private drain(vq: Vq): boolean {
    const V = this.ctl.L.vcpu;
    const availIdx = this.mem.loadIdx(vq.availAddr + 2);
    let last = this.get(V.qLastAvail);
    if (((availIdx - last) & 0xffff) > vq.num) {
      // The guest moved its index by more than the queue holds (virtio_error in QEMU).
      this.lastRefusal = `avail index moved from ${last} to ${availIdx} on a queue of ${vq.num}`;
      this.count('broken');
      this.set(V.qLastAvail, availIdx);
      return false;
    }
    while (last !== availIdx) {
      const head = this.mem.u16At(vq.availAddr + 4 + 2 * (last % vq.num));
      last = (last + 1) & 0xffff;
      this.set(V.qLastAvail, last);
      this.exitPopped++;
      if (this.handleRequest(vq, head)) this.exitAnswered = true;
    }
    return true;
  }

  /**
   * virtio_blk_handle_request(): one request. Either it is collected for the block layer
   * (false), or the device answers it here and now — refused, or GET_ID (true).
   */
  private handleRequest(vq: Vq, head: number): boolean {
    const V = this.ctl.L.vcpu;
    if (head >= vq.num) {
      this.lastRefusal = `avail entry names head ${head} of a queue of ${vq.num}`;
      this.count('broken');
      return false;
    }
    const slot = this.slotBase + head;
    if (
      this.collected[head] !== 0 ||
      Atomics.load(this.ctl.i32, this.ctl.L.slot.state.at(slot)) !== SlotState.FREE
    ) {
      this.lastRefusal = `head ${head} is already in flight`;
      this.count('broken');
      return false;
    }
    Atomics.add(this.ctl.i32, this.word(V.qInflight), 1);
    const chain = popChain(this.mem, { num: vq.num, descAddr: vq.descAddr }, head);
    if (typeof chain === 'string') return this.broken(head, -1, chain);
    const status = chain[chain.length - 1];
    if (!status.write || status.len < 1 || !this.mem.contains(status.addr, 1)) {
      return this.broken(head, -1, `request at head ${head} has no writable status byte`);
    }
    const statusAddr = status.addr + status.len - 1;
    const result = virtioBlkParseRequest(this.limits, chain);
    if ('counter' in result) {
      this.lastRefusal = result.why;
      this.count(result.counter);
      virtioBlkComplete(this.ctl, this.mem, this.vcpu, head, statusAddr, result.status, 1);
      return true;
    }
    if (result.op === 'get-id') {
      const n = Math.min(result.buffer.len, VIRTIO_BLK_ID_BYTES);
      this.mem.bytes.fill(0, result.buffer.addr, result.buffer.addr + n);
      this.mem.bytes.set(this.idBytes.subarray(0, n), result.buffer.addr);
      virtioBlkComplete(this.ctl, this.mem, this.vcpu, head, statusAddr, BlkStatus.OK, n + 1);
      return true;
    }
    const { i32, L } = this.ctl;
    i32[L.vreq.statusAddr.at(slot)] = statusAddr;
    i32[L.vreq.inLen.at(slot)] = (result.req.op === BlockOp.READ ? result.req.nbytes : 0) + 1;
    this.collected[head] = 1;
    this.batch.push({ slot, req: result.req });
    return false;
  }

  /** A chain too broken to answer: return the descriptor, say nothing else. */
  private broken(head: number, statusAddr: number, why: string): boolean {
    this.lastRefusal = why;
    this.count('broken');
    virtioBlkComplete(this.ctl, this.mem, this.vcpu, head, statusAddr, BlkStatus.IOERR, 0);
    return true;
  }
}
