// The sizes a control buffer is built from (layout.ts places its regions from them), the range
// each may take, and the order the buffer's header stores them in for an attacher.

import { cacheWays } from '../block/cache-layout.ts';
import { POOL_MAX_THREADS } from '../pool/pool-layout.ts';
import { MAX_VCPUS } from '../machine/vcpu-layout.ts';

/** Sizes a control buffer is built from; stored in its header so an attacher can recompute. */
export interface ControlParams {
  /** Request slots (QEMU's ThreadPoolElement), shared by every submitter. */
  nslots: number;
  /** Data segments per request (a virtio-blk request's data descriptors). */
  maxIov: number;
  /** Spawn records kept, oldest reused first (never a live worker's); more than
   *  POOL_MAX_THREADS so a free one always exists. */
  nrecords: number;
  /** vCPUs of the machine this buffer serves; 0 for a bare block backend. */
  nvcpus: number;
  /** Pages of the page cache (0: none); each holds one chunk, in the cache memory buffer. */
  cachePages: number;
  /** Chunks of the image: one unsynced bit each. */
  diskChunks: number;
  /** Entries of the IDE front end's completion ring (v86's disk, workers/linux/); absent or 0
   *  for a buffer without one. One per request slot of that front end is enough. */
  ideRing?: number;
}
type Param = keyof ControlParams;

/** Each parameter's range, [min, max]; the header stores the parameters in this order. */
const LIMITS: Record<Param, readonly [number, number]> = {
  nslots: [1, 1 << 15],
  maxIov: [1, 1024],
  nrecords: [POOL_MAX_THREADS + 1, 1 << 14],
  nvcpus: [0, MAX_VCPUS],
  cachePages: [0, 1 << 16],
  diskChunks: [0, 2 ** 28],
  ideRing: [0, 1 << 15],
};
/** The parameters in header order. */
export const PARAMS = Object.keys(LIMITS) as Param[];
/** A whole set of parameters, each `value(key, its header index)`. */
export const paramsOf = (value: (key: Param, k: number) => number) =>
  Object.fromEntries(PARAMS.map((key, k) => [key, value(key, k)])) as Required<ControlParams>;

/** The smallest control buffer: enough for a main loop and its bottom halves. */
export const MIN_CONTROL_PARAMS = paramsOf((key) => LIMITS[key][0]);

/** Refuse sizes out of range, naming the value. */
export function checkParams(p: ControlParams): void {
  for (const key of PARAMS) {
    const v = p[key] ?? 0;
    const [min, max] = LIMITS[key];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`control layout: ${key} = ${v} is not an integer in ${min}..${max}`);
    }
  }
  if (p.cachePages % cacheWays(p.cachePages) !== 0) {
    throw new RangeError(
      `control layout: cachePages = ${p.cachePages} is not a multiple of ${cacheWays(p.cachePages)} ways`,
    );
  }
}
