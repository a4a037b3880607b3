// Checking one virtio-blk request (cf. virtio_blk_handle_request() and its helpers in
// hw/block/virtio-blk.c): its header and buffers against guest RAM, seg_max and the disk. The
// answer is a block request, GET_ID, or a refusal with its status, counter and reason.

import { BlockOp, SECTOR_SIZE, type BlockRequest, type Iovec } from '../block/block.ts';
import type { VcpuCounter } from '../machine/vcpu-layout.ts';
import { BLK_DWZ_SIZE, BLK_HEADER_SIZE, BlkStatus, BlkType, type GuestMemory } from './virtio.ts';
import type { Desc } from './virtqueue.ts';

/** What a request is checked against. */
export interface RequestLimits {
  mem: GuestMemory;
  segMax: number;
  /** The disk's size in bytes. */
  virtualSize: number;
}

export type Refusal = { status: number; counter: VcpuCounter; why: string };

const refuse = (counter: VcpuCounter, why: string, status: number = BlkStatus.IOERR): Refusal => ({
  status,
  counter,
  why,
});

/** Check a request's header and buffers; what to do with it, or why not. */
export function virtioBlkParseRequest(
  dev: RequestLimits,
  chain: Desc[],
): { op: 'block'; req: BlockRequest } | { op: 'get-id'; buffer: Desc } | Refusal {
  const header = chain[0];
  const data = chain.slice(1, -1);
  if (
    chain.length < 2 ||
    header.write ||
    header.len < BLK_HEADER_SIZE ||
    !dev.mem.contains(header.addr, BLK_HEADER_SIZE)
  ) {
    return refuse('invalidRd', 'request header is not a readable 16-byte buffer in RAM');
  }
  const type = dev.mem.u32(header.addr);
  const sector = dev.mem.u64(header.addr + 8);
  switch (type) {
    case BlkType.IN:
    case BlkType.OUT:
      return parseRw(dev, type === BlkType.IN, sector, data);
    case BlkType.FLUSH:
      return { op: 'block', req: { op: BlockOp.FLUSH, byteOffset: 0, nbytes: 0, iov: [] } };
    case BlkType.GET_ID: {
      const buf = data[0];
      if (data.length !== 1 || !buf.write || !dev.mem.contains(buf.addr, buf.len) || buf.len < 1) {
        return refuse('invalidRd', 'GET_ID needs one writable buffer in RAM');
      }
      return { op: 'get-id', buffer: buf };
    }
    case BlkType.DISCARD:
    case BlkType.WRITE_ZEROES:
      return parseDiscardWriteZeroes(dev, type === BlkType.DISCARD, data);
    default:
      return refuse('unsupported', `request type ${type} is unknown`, BlkStatus.UNSUPP);
  }
}

function parseRw(
  dev: RequestLimits,
  isRead: boolean,
  sector: number,
  data: Desc[],
): { op: 'block'; req: BlockRequest } | Refusal {
  const counter = isRead ? 'invalidRd' : 'invalidWr';
  const what = isRead ? 'read' : 'write';
  if (data.length === 0) return refuse(counter, `${what} has no data segments`);
  if (data.length > dev.segMax) {
    return refuse(counter, `${what} has ${data.length} segments, more than seg_max ${dev.segMax}`);
  }
  const iov: Iovec[] = [];
  let nbytes = 0;
  for (let k = 0; k < data.length; k++) {
    const d = data[k];
    if (d.write !== isRead) {
      return refuse(counter, `${what} segment ${k} is device-${d.write ? 'writable' : 'readable'}`);
    }
    if (!dev.mem.contains(d.addr, d.len)) {
      return refuse(
        counter,
        `${what} segment ${k} [${d.addr}, +${d.len}) is outside RAM (${dev.mem.size} bytes)`,
      );
    }
    iov.push([d.addr, d.len]);
    nbytes += d.len;
  }
  if (nbytes % SECTOR_SIZE !== 0) {
    return refuse(counter, `${what} of ${nbytes} bytes is not a multiple of ${SECTOR_SIZE}`);
  }
  const byteOffset = sector * SECTOR_SIZE;
  if (!Number.isSafeInteger(byteOffset) || byteOffset + nbytes > dev.virtualSize) {
    return refuse(
      counter,
      `${what} of ${nbytes} bytes at sector ${sector} is beyond the disk (${dev.virtualSize} bytes)`,
    );
  }
  return {
    op: 'block',
    req: { op: isRead ? BlockOp.READ : BlockOp.WRITE, byteOffset, nbytes, iov },
  };
}

/** One virtio_blk_discard_write_zeroes segment (max_discard_seg = 1, as QEMU). */
function parseDiscardWriteZeroes(
  dev: RequestLimits,
  isDiscard: boolean,
  data: Desc[],
): { op: 'block'; req: BlockRequest } | Refusal {
  const counter = isDiscard ? 'invalidUnmap' : 'invalidWr';
  const what = isDiscard ? 'discard' : 'write-zeroes';
  const seg = data[0];
  if (
    data.length !== 1 ||
    seg.write ||
    seg.len < BLK_DWZ_SIZE ||
    !dev.mem.contains(seg.addr, BLK_DWZ_SIZE)
  ) {
    return refuse(counter, `${what} needs one readable ${BLK_DWZ_SIZE}-byte range in RAM`);
  }
  const sector = dev.mem.u64(seg.addr);
  const sectors = dev.mem.u32(seg.addr + 8);
  const byteOffset = sector * SECTOR_SIZE;
  const nbytes = sectors * SECTOR_SIZE;
  if (!Number.isSafeInteger(byteOffset) || byteOffset + nbytes > dev.virtualSize) {
    return refuse(counter, `${what} of ${sectors} sectors at sector ${sector} is beyond the disk`);
  }
  return {
    op: 'block',
    req: { op: isDiscard ? BlockOp.DISCARD : BlockOp.WRITE_ZEROES, byteOffset, nbytes, iov: [] },
  };
}
