// The device's side of a split virtqueue (cf. virtqueue_pop in hw/virtio/virtio.c): walk one
// descriptor chain in guest RAM, direct or through an indirect table, and refuse chains that
// loop, point outside RAM, nest indirect tables or put a readable buffer after a writable one.

import { DESC_SIZE, DescFlag, VRING_USED_F_NO_NOTIFY, type GuestMemory } from './virtio.ts';

export interface Desc {
  addr: number;
  len: number;
  /** Device-writable (VIRTQ_DESC_F_WRITE). */
  write: boolean;
}

export interface Queue {
  num: number;
  descAddr: number;
}

/**
 * virtio_queue_set_notification(): ask the driver not to kick while the device drains (false),
 * or to kick again (true). A seq-cst store: the device's re-check of avail->idx that follows
 * cannot be ordered before it, and the driver's kick check comes after its own seq-cst store of
 * avail->idx, so one of the two always sees the other's write (no kick is lost).
 */
export function virtioQueueSetNotification(mem: GuestMemory, usedAddr: number, on: boolean) {
  mem.storeIdx(usedAddr, on ? 0 : VRING_USED_F_NO_NOTIFY);
}

/** virtio_queue_empty(): nothing the device has not popped yet. */
export function virtioQueueEmpty(mem: GuestMemory, availAddr: number, lastAvail: number): boolean {
  return mem.loadIdx(availAddr + 2) === lastAvail;
}

/** Indirect tables longer than this are refused (Linux never makes them near this long). */
export const MAX_INDIRECT = 1024;

/** The chain starting at `head`, or why it cannot be walked. */
export function popChain(mem: GuestMemory, q: Queue, head: number): Desc[] | string {
  if (!Number.isInteger(head) || head < 0 || head >= q.num) {
    return `head ${head} is outside the queue of ${q.num}`;
  }
  let table = q.descAddr;
  let tableLen = q.num;
  let i = head;
  let indirect = false;
  const descs: Desc[] = [];
  let sawWrite = false;
  for (;;) {
    const at = table + i * DESC_SIZE;
    const addr = mem.u64(at);
    const len = mem.u32(at + 8);
    const flags = mem.u16At(at + 12);
    const next = mem.u16At(at + 14);
    if (flags & DescFlag.INDIRECT) {
      if (indirect) return `descriptor ${i} nests an indirect table`;
      if (flags & DescFlag.NEXT) return `descriptor ${i} is indirect and has NEXT`;
      if (len === 0 || len % DESC_SIZE !== 0 || len / DESC_SIZE > MAX_INDIRECT) {
        return `indirect table of ${len} bytes is not 1..${MAX_INDIRECT} descriptors`;
      }
      if (!mem.contains(addr, len) || addr % DESC_SIZE !== 0) {
        return `indirect table [${addr}, +${len}) is outside RAM or misaligned`;
      }
      indirect = true;
      table = addr;
      tableLen = len / DESC_SIZE;
      i = 0;
      continue;
    }
    const write = (flags & DescFlag.WRITE) !== 0;
    if (!write && sawWrite) return `readable descriptor ${i} follows a writable one`;
    sawWrite ||= write;
    descs.push({ addr, len, write });
    if (descs.length > tableLen) return `descriptor chain from head ${head} loops`;
    if (!(flags & DescFlag.NEXT)) return descs;
    if (next >= tableLen)
      return `descriptor ${i} links to ${next}, outside its table of ${tableLen}`;
    i = next;
  }
}
