// Block requests as the pool carries them (cf. QEMU_AIO_* in include/block/raw-aio.h): an op,
// a byte range of the image and segments of a DMA buffer; plus the request check every
// submitter runs first (cf. bdrv_check_request) and the cache modes (cf. -drive cache=).

import { stampMs } from '../sync/clock.ts';
import { Errno, ErrnoError } from './errno.ts';
import type { Control } from '../layout/layout.ts';

export const BlockOp = {
  READ: 1,
  WRITE: 2,
  FLUSH: 3,
  DISCARD: 4,
  WRITE_ZEROES: 5,
  /** Internal (close, a stopped machine): every dirty page of the page cache to the image. */
  WRITEBACK: 6,
} as const;
export type BlockOp = (typeof BlockOp)[keyof typeof BlockOp];

export const BLOCK_OP_NAMES = {
  [BlockOp.READ]: 'read',
  [BlockOp.WRITE]: 'write',
  [BlockOp.FLUSH]: 'flush',
  [BlockOp.DISCARD]: 'discard',
  [BlockOp.WRITE_ZEROES]: 'write-zeroes',
  [BlockOp.WRITEBACK]: 'writeback',
} as const satisfies Record<BlockOp, string>;
export type BlockOpName = (typeof BLOCK_OP_NAMES)[BlockOp];

/**
 * Which requests a worker may run in one transaction: reads with reads, writes of any kind with
 * writes. A flush or a writeback is a barrier: it runs alone, and no batch reaches past it.
 */
export function batchClassOf(op: number): 'read' | 'write' | 'barrier' {
  if (op === BlockOp.READ) return 'read';
  if (op === BlockOp.WRITE || op === BlockOp.WRITE_ZEROES || op === BlockOp.DISCARD) return 'write';
  return 'barrier';
}

export const SECTOR_SIZE = 512;

/**
 * QEMU's cache modes: writeback (relaxed writes, flush honoured), writethrough and directsync
 * (every write strict; there is no host page cache to bypass, so the two behave alike here),
 * unsafe (flush ignored).
 */
export const CACHE_MODES = ['writeback', 'writethrough', 'unsafe', 'directsync'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

export function checkCacheMode(mode: unknown): CacheMode {
  if (!CACHE_MODES.includes(mode as CacheMode)) {
    throw new ErrnoError(
      Errno.EINVAL,
      `cache mode "${String(mode)}" is not one of ${CACHE_MODES.join(', ')}`,
    );
  }
  return mode as CacheMode;
}

/** A segment of the DMA buffer: [address, length]. */
export type Iovec = readonly [number, number];

export interface BlockRequest {
  op: BlockOp;
  byteOffset: number;
  nbytes: number;
  iov: readonly Iovec[];
  /** Guest requests it stands for (device merging; default 1). */
  merged?: number;
}

/**
 * Why a request cannot be submitted, or undefined if it can: offsets and lengths are
 * non-negative integers, and the range lies inside an image of `length` bytes.
 */
export function requestRangeError(
  op: BlockOp,
  byteOffset: number,
  nbytes: number,
  length: number,
): string | undefined {
  const what = BLOCK_OP_NAMES[op];
  if (!Number.isSafeInteger(byteOffset) || byteOffset < 0) {
    return `${what}: byte offset ${byteOffset} is not a non-negative integer`;
  }
  if (!Number.isSafeInteger(nbytes) || nbytes < 0) {
    return `${what}: length ${nbytes} is not a non-negative integer`;
  }
  if (byteOffset > length || nbytes > length - byteOffset) {
    return `${what} of ${nbytes} bytes at byte ${byteOffset} is beyond the end of the disk (${length} bytes)`;
  }
  return undefined;
}

/**
 * Fill slot `slot` for submission (submitter only, while the slot is FREE). `tSubmit` is when
 * the request was made: now, unless it waited for the slot.
 */
export function writeSlot(
  ctl: Control,
  slot: number,
  req: BlockRequest,
  client: number,
  tag: number,
  tSubmit: number = stampMs(),
): void {
  const { i32, f64, L } = ctl;
  const S = L.slot;
  if (req.iov.length > L.params.maxIov) {
    throw new ErrnoError(
      Errno.EINVAL,
      `${req.iov.length} segments exceed the ${L.params.maxIov} a request may carry`,
    );
  }
  i32[S.op.at(slot)] = req.op;
  i32[S.merged.at(slot)] = req.merged ?? 1;
  i32[S.niov.at(slot)] = req.iov.length;
  i32[S.client.at(slot)] = client;
  i32[S.tag.at(slot)] = tag;
  i32[S.ret.at(slot)] = 0;
  i32[S.worker.at(slot)] = -1;
  for (let k = 0; k < req.iov.length; k++) {
    i32[S.iovAddr.at(slot, k)] = req.iov[k][0];
    i32[S.iovLen.at(slot, k)] = req.iov[k][1];
  }
  f64[S.byteOffset.at(slot)] = req.byteOffset;
  f64[S.nbytes.at(slot)] = req.nbytes;
  f64[S.tSubmit.at(slot)] = tSubmit;
  f64[S.tStart.at(slot)] = 0;
  f64[S.tDone.at(slot)] = 0;
}

/** The request in a slot, as its worker sees it. */
export function readSlot(ctl: Control, slot: number): BlockRequest {
  const { i32, f64, L } = ctl;
  const S = L.slot;
  const iov: Iovec[] = [];
  for (let k = 0; k < i32[S.niov.at(slot)]; k++) {
    iov.push([i32[S.iovAddr.at(slot, k)], i32[S.iovLen.at(slot, k)]]);
  }
  return {
    op: i32[S.op.at(slot)] as BlockOp,
    byteOffset: f64[S.byteOffset.at(slot)],
    nbytes: f64[S.nbytes.at(slot)],
    iov,
  };
}
