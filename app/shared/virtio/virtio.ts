// The guest-visible device ABI, virtio-blk over a virtio-mmio-like register window (cf. the
// virtio 1.x spec, include/standard-headers/linux/virtio_{ring,blk,mmio}.h): register offsets,
// the split virtqueue's layout in guest RAM, request types and status codes, and the used-ring
// push that both the vCPU (immediate completions) and the main loop do under the BQL.

/** virtio-mmio registers the guest reads and writes (offsets as in virtio_mmio.h). */
export const Mmio = {
  DEVICE_ID: 0x008,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  /** The doorbell: writing it exits into device emulation on the writing vCPU. */
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  QUEUE_DESC: 0x080,
  QUEUE_AVAIL: 0x090,
  QUEUE_USED: 0x0a0,
  /** virtio_blk_config: capacity in 512-byte sectors (two 32-bit halves), seg_max. */
  CONFIG_CAPACITY_LO: 0x100,
  CONFIG_CAPACITY_HI: 0x104,
  CONFIG_SEG_MAX: 0x10c,
} as const;

export const VIRTIO_ID_BLOCK = 2;

/** virtq_desc: addr u64, len u32, flags u16, next u16. */
export const DESC_SIZE = 16;
export const DescFlag = { NEXT: 1, WRITE: 2, INDIRECT: 4 } as const;

/**
 * used->flags: the device is draining the avail ring and will re-check it before it stops, so
 * the driver need not kick (cf. virtio_queue_set_notification(); the driver's
 * virtqueue_kick_prepare() reads it). At offset 0 of the used ring, beside used->idx at 2.
 */
export const VRING_USED_F_NO_NOTIFY = 1;

/** Byte sizes of a split virtqueue's parts for `num` entries (no event-idx fields used). */
export const ringSizes = (num: number) => ({
  desc: DESC_SIZE * num,
  avail: 4 + 2 * num + 2,
  used: 4 + 8 * num + 2,
});

/** seg_max for a queue of `queueSize` (QEMU: queue size - 2, so a request fits the ring). */
export const segMaxFor = (queueSize: number) => Math.min(254, Math.max(1, queueSize - 2));

/** Alignment the device requires of each part (virtio 1.x split ring). */
export const RING_ALIGN = { desc: 16, avail: 2, used: 4 } as const;

/** virtio_blk_outhdr: type u32, ioprio u32, sector u64. */
export const BLK_HEADER_SIZE = 16;
/** virtio_blk_discard_write_zeroes: sector u64, num_sectors u32, flags u32. */
export const BLK_DWZ_SIZE = 16;
export const VIRTIO_BLK_ID_BYTES = 20;

export const BlkType = {
  IN: 0,
  OUT: 1,
  FLUSH: 4,
  GET_ID: 8,
  DISCARD: 11,
  WRITE_ZEROES: 13,
} as const;

export const BlkStatus = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;

/** Little-endian access to guest RAM, with atomic 16- and 32-bit views for ring indices. */
export class GuestMemory {
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  private readonly view: DataView;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.bytes = new Uint8Array(sab);
    this.u16 = new Uint16Array(sab);
    this.i32 = new Int32Array(sab);
    this.view = new DataView(sab);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Whether [addr, addr + len) lies inside RAM. */
  contains(addr: number, len: number): boolean {
    return (
      Number.isInteger(addr) &&
      Number.isInteger(len) &&
      addr >= 0 &&
      len >= 0 &&
      addr + len <= this.size
    );
  }

  u8(addr: number): number {
    return this.view.getUint8(addr);
  }
  setU8(addr: number, v: number): void {
    this.view.setUint8(addr, v);
  }
  u16At(addr: number): number {
    return this.view.getUint16(addr, true);
  }
  setU16(addr: number, v: number): void {
    this.view.setUint16(addr, v, true);
  }
  u32(addr: number): number {
    return this.view.getUint32(addr, true);
  }
  setU32(addr: number, v: number): void {
    this.view.setUint32(addr, v, true);
  }
  /** A u64 as a number; above 2^53 it is not exact, which the range checks then refuse. */
  u64(addr: number): number {
    return this.view.getUint32(addr, true) + this.view.getUint32(addr + 4, true) * 2 ** 32;
  }
  setU64(addr: number, v: number): void {
    this.view.setUint32(addr, v % 2 ** 32, true);
    this.view.setUint32(addr + 4, Math.floor(v / 2 ** 32), true);
  }

  /** Publish a ring index (even address): everything written before it is visible after it. */
  storeIdx(addr: number, v: number): void {
    Atomics.store(this.u16, addr >> 1, v & 0xffff);
  }
  loadIdx(addr: number): number {
    return Atomics.load(this.u16, addr >> 1);
  }
}

/** The part of a queue's registers the used-ring push needs. */
export interface UsedRing {
  num: number;
  usedAddr: number;
}

/**
 * virtqueue_push() + virtqueue_flush() for one element: write it at used->ring[idx % num], then
 * publish used->idx. Returns the new index. Caller holds the BQL.
 */
export function usedPush(
  mem: GuestMemory,
  q: UsedRing,
  usedIdx: number,
  head: number,
  len: number,
): number {
  const elem = q.usedAddr + 4 + 8 * (usedIdx % q.num);
  mem.setU32(elem, head);
  mem.setU32(elem + 4, len);
  const next = (usedIdx + 1) & 0xffff;
  mem.storeIdx(q.usedAddr + 2, next);
  return next;
}
