// The guest's virtio-blk driver (cf. drivers/block/virtio_blk.c and virtio_ring.c): it sets up
// its queue in its own part of guest RAM, describes every request with an indirect descriptor
// table, makes it available, rings the doorbell once for a batch (blk-mq's bd->last) unless the
// device says it is draining, and reaps the used ring. It touches only guest RAM and registers.

import { GUEST_PAGE_SIZE, perRequestBytes } from '../../app/shared/guest/guest-job.ts';
import {
  BLK_HEADER_SIZE,
  DESC_SIZE,
  DescFlag,
  Mmio,
  ringSizes,
  VRING_USED_F_NO_NOTIFY,
  type GuestMemory,
} from '../../app/shared/virtio/virtio.ts';

/** What a guest program may do besides touching RAM: MMIO exits, HLT, and a stop check. */
export interface Bus {
  mmioRead(reg: number): number;
  /** Returns how long the exit took (ms). */
  mmioWrite(reg: number, value: number): number;
  halt(timeoutMs?: number): Promise<void>;
  shouldStop(): boolean;
  /** Publish the guest's progress for the page to watch (not a device: no exit). */
  progress(ios: number, verifyChecked: number, verifyErrors: number): void;
}

export const PAGE_SIZE = GUEST_PAGE_SIZE;
/** The driver's status byte before the device answers: "no answer". */
export const STATUS_NONE = 0xff;

export interface RawDesc {
  addr: number;
  len: number;
  write: boolean;
}

export interface Completion {
  id: number;
  status: number;
  len: number;
}

/** A bump allocator over the guest program's RAM. */
class Arena {
  private next: number;
  private readonly end: number;
  constructor(base: number, size: number) {
    this.next = base;
    this.end = base + size;
  }
  alloc(size: number, align: number): number {
    const at = Math.ceil(this.next / align) * align;
    if (at + size > this.end) {
      throw new RangeError(
        `guest RAM region exhausted: ${size} bytes at ${at}, region ends at ${this.end}`,
      );
    }
    this.next = at + size;
    return at;
  }
  remaining(align: number): number {
    return Math.max(0, this.end - Math.ceil(this.next / align) * align);
  }
}

export class BlkDriver {
  readonly num: number;
  readonly segMax: number;
  /** The disk's size in sectors (virtio_blk_config.capacity). */
  readonly capacity: number;
  readonly mem: GuestMemory;
  private readonly bus: Bus;
  private readonly descAddr: number;
  private readonly availAddr: number;
  private readonly usedAddr: number;
  /** Per request id: an indirect table (segMax + 3 entries, one spare for misbehaving guests),
   *  a header, a status byte, and a discard/write-zeroes range. */
  private readonly perId: number;
  private readonly idBase: number;
  private readonly tableLen: number;
  private readonly freeIds: number[];
  private readonly freePages: number[];
  private availIdx = 0;
  /** avail->idx at the last kick: requests made available since then await one. */
  private kickedIdx = 0;
  private lastUsed = 0;
  /** Doorbell writes, and kicks skipped because the device was draining (VRING_USED_F_NO_NOTIFY). */
  kicks = 0;
  kicksSuppressed = 0;

  constructor(bus: Bus, mem: GuestMemory, base: number, size: number, queueSize: number) {
    this.bus = bus;
    this.mem = mem;
    this.num = Math.min(queueSize, bus.mmioRead(Mmio.QUEUE_NUM_MAX));
    this.segMax = bus.mmioRead(Mmio.CONFIG_SEG_MAX);
    this.capacity =
      bus.mmioRead(Mmio.CONFIG_CAPACITY_LO) + bus.mmioRead(Mmio.CONFIG_CAPACITY_HI) * 2 ** 32;
    const arena = new Arena(base, size);
    const sizes = ringSizes(this.num);
    this.descAddr = arena.alloc(sizes.desc, 16);
    this.availAddr = arena.alloc(sizes.avail, 4);
    this.usedAddr = arena.alloc(sizes.used, 4);
    this.tableLen = this.segMax + 3;
    this.perId = perRequestBytes(this.segMax);
    this.idBase = arena.alloc(this.perId * this.num, 16);
    this.freeIds = Array.from({ length: this.num }, (_, i) => this.num - 1 - i);
    const pages = Math.floor(arena.remaining(PAGE_SIZE) / PAGE_SIZE);
    const first = pages > 0 ? arena.alloc(pages * PAGE_SIZE, PAGE_SIZE) : 0;
    this.freePages = Array.from({ length: pages }, (_, i) => first + i * PAGE_SIZE);
    mem.bytes.fill(0, this.descAddr, this.descAddr + sizes.desc);
    mem.bytes.fill(0, this.availAddr, this.availAddr + sizes.avail);
    mem.bytes.fill(0, this.usedAddr, this.usedAddr + sizes.used);
    bus.mmioWrite(Mmio.QUEUE_READY, 0);
    bus.mmioWrite(Mmio.QUEUE_NUM, this.num);
    bus.mmioWrite(Mmio.QUEUE_DESC, this.descAddr);
    bus.mmioWrite(Mmio.QUEUE_AVAIL, this.availAddr);
    bus.mmioWrite(Mmio.QUEUE_USED, this.usedAddr);
    bus.mmioWrite(Mmio.QUEUE_READY, 1);
    if (bus.mmioRead(Mmio.QUEUE_READY) !== 1) throw new Error('the device refused the queue');
  }

  get pagesFree(): number {
    return this.freePages.length;
  }
  get idsFree(): number {
    return this.freeIds.length;
  }

  /** Data pages for a buffer of `nbytes`, as (address, length) segments; undefined if short. */
  allocBuffer(nbytes: number): RawDesc[] | undefined {
    const n = Math.ceil(nbytes / PAGE_SIZE);
    if (n > this.freePages.length) return undefined;
    const segs: RawDesc[] = [];
    for (let k = 0; k < n; k++) {
      const addr = this.freePages.pop() ?? 0;
      segs.push({ addr, len: Math.min(PAGE_SIZE, nbytes - k * PAGE_SIZE), write: false });
    }
    return segs;
  }

  freeBuffer(segs: readonly RawDesc[]): void {
    for (const s of segs) this.freePages.push(s.addr - (s.addr % PAGE_SIZE));
  }

  allocId(): number | undefined {
    return this.freeIds.pop();
  }

  /** A request id and a buffer of `nbytes` for it, or undefined if either is short. */
  allocRequest(nbytes: number): { id: number; segs: RawDesc[] } | undefined {
    const segs = this.allocBuffer(nbytes);
    if (!segs) return undefined;
    const id = this.allocId();
    if (id === undefined) {
      this.freeBuffer(segs);
      return undefined;
    }
    return { id, segs };
  }

  private headerAddr(id: number): number {
    return this.idBase + id * this.perId + this.tableLen * DESC_SIZE;
  }
  statusAddr(id: number): number {
    return this.headerAddr(id) + BLK_HEADER_SIZE;
  }
  /** A 16-byte scratch area of request `id` (the discard/write-zeroes range). */
  scratchAddr(id: number): number {
    return this.statusAddr(id) + 16;
  }

  /** Make request `id` available and ring the doorbell (add, then kick): the exit's ms. */
  submit(id: number, type: number, sector: number, data: readonly RawDesc[]): number {
    this.add(id, type, sector, data);
    return this.kick();
  }

  /**
   * virtqueue_add_split(): make request `id` available, without a kick: header (type, sector),
   * the given data descriptors as they are (a misbehaving guest may pass anything), then the
   * status byte.
   */
  add(id: number, type: number, sector: number, data: readonly RawDesc[]): void {
    const { mem } = this;
    const table = this.idBase + id * this.perId;
    const header = this.headerAddr(id);
    mem.setU32(header, type);
    mem.setU32(header + 4, 0);
    mem.setU64(header + 8, sector);
    mem.setU8(this.statusAddr(id), STATUS_NONE);
    const chain: RawDesc[] = [
      { addr: header, len: BLK_HEADER_SIZE, write: false },
      ...data.slice(0, this.tableLen - 2),
      { addr: this.statusAddr(id), len: 1, write: true },
    ];
    chain.forEach((d, k) => {
      const at = table + k * DESC_SIZE;
      const last = k === chain.length - 1;
      mem.setU64(at, d.addr);
      mem.setU32(at + 8, d.len);
      mem.setU16(at + 12, (d.write ? DescFlag.WRITE : 0) | (last ? 0 : DescFlag.NEXT));
      mem.setU16(at + 14, last ? 0 : k + 1);
    });
    const head = this.descAddr + id * DESC_SIZE;
    mem.setU64(head, table);
    mem.setU32(head + 8, chain.length * DESC_SIZE);
    mem.setU16(head + 12, DescFlag.INDIRECT);
    mem.setU16(head + 14, 0);
    mem.setU16(this.availAddr + 4 + 2 * (this.availIdx % this.num), id);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    // Publish the index after the entry (a seq-cst store); the kick check reads after it.
    mem.storeIdx(this.availAddr + 2, this.availIdx);
  }

  /** Requests made available since the last kick. */
  get unkicked(): number {
    return (this.availIdx - this.kickedIdx) & 0xffff;
  }

  /**
   * virtqueue_kick(): virtqueue_kick_prepare() — anything new, and the device not draining
   * (used->flags without VRING_USED_F_NO_NOTIFY: a draining device re-checks the ring before
   * it stops) — then the doorbell write. Returns the exit's duration (ms), 0 if none.
   */
  kick(): number {
    if (this.unkicked === 0) return 0;
    this.kickedIdx = this.availIdx;
    if (this.mem.loadIdx(this.usedAddr) & VRING_USED_F_NO_NOTIFY) {
      this.kicksSuppressed++;
      return 0;
    }
    this.kicks++;
    return this.bus.mmioWrite(Mmio.QUEUE_NOTIFY, 0);
  }

  /** INTERRUPT_ACK, before reaping, so a completion after the reap raises the line again. */
  ack(): void {
    this.bus.mmioWrite(Mmio.INTERRUPT_ACK, 1);
  }

  /** Everything the device has pushed since the last reap; ids go back to the free list. */
  reap(): Completion[] {
    const out: Completion[] = [];
    const usedIdx = this.mem.loadIdx(this.usedAddr + 2);
    while (this.lastUsed !== usedIdx) {
      const elem = this.usedAddr + 4 + 8 * (this.lastUsed % this.num);
      const id = this.mem.u32(elem);
      const len = this.mem.u32(elem + 4);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      const status = this.mem.u8(this.statusAddr(id));
      out.push({ id, status, len });
      this.freeIds.push(id);
    }
    return out;
  }
}
