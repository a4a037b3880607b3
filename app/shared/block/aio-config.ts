// How the AIO layer does its I/O: how many requests a worker may run in one IndexedDB
// transaction, whether the device merges adjacent requests (virtio-blk's request-merging),
// whether the page cache is used. The faithful setting is one request per transaction, as QEMU's
// thread pool runs one preadv per request: the teaching comparison and the ceiling measure that.

import { Errno, ErrnoError } from './errno.ts';

export interface AioConfig {
  /** Requests a worker runs in one transaction at most (1: one each). */
  batch: number;
  /** The device merges adjacent requests of one queue (cf. virtio-blk request-merging). */
  merge: boolean;
  /** Requests go through the page cache; chosen when the image is opened. */
  pageCache: boolean;
  /** An idle worker polls the request queue this long (µs) before it sleeps (cf. QEMU's
   *  poll-max-ns); one worker at a time; 0: sleep at once. */
  pollUs: number;
}

export const AIO_BATCH_MAX = 64;
export const AIO_POLL_US_MAX = 10_000;

export const DEFAULT_AIO_CONFIG: Readonly<AioConfig> = {
  batch: 32,
  merge: true,
  pageCache: true,
  pollUs: 100,
};

/** One request per transaction, no merging, no page cache, no polling: the path of QEMU's
 *  thread pool. */
export const FAITHFUL_AIO_CONFIG: Readonly<AioConfig> = {
  batch: 1,
  merge: false,
  pageCache: false,
  pollUs: 0,
};

/** Pages of the page cache: 32 MiB of chunks unless told otherwise. */
export const DEFAULT_PAGE_CACHE_BYTES = 32 << 20;

/** Validate a partial AIO configuration against the one it would change; returns the result. */
export function mergeAioConfig(base: AioConfig, cfg: Partial<AioConfig>): AioConfig {
  if (typeof cfg !== 'object' || cfg === null) {
    throw new ErrnoError(Errno.EINVAL, `aio configuration ${String(cfg)} is not an object`);
  }
  for (const key of Object.keys(cfg)) {
    if (!(key in DEFAULT_AIO_CONFIG)) {
      throw new ErrnoError(
        Errno.EINVAL,
        `unknown aio setting "${key}" (known: ${Object.keys(DEFAULT_AIO_CONFIG).join(', ')})`,
      );
    }
  }
  const next = { ...base };
  if (cfg.batch !== undefined) {
    const v = cfg.batch;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > AIO_BATCH_MAX) {
      throw new ErrnoError(
        Errno.EINVAL,
        `aio batch = ${String(v)} is not an integer in 1..${AIO_BATCH_MAX}`,
      );
    }
    next.batch = v;
  }
  if (cfg.pollUs !== undefined) {
    const v = cfg.pollUs;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > AIO_POLL_US_MAX) {
      throw new ErrnoError(
        Errno.EINVAL,
        `aio pollUs = ${String(v)} is not an integer in 0..${AIO_POLL_US_MAX}`,
      );
    }
    next.pollUs = v;
  }
  for (const key of ['merge', 'pageCache'] as const) {
    const v = cfg[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') {
      throw new ErrnoError(Errno.EINVAL, `aio ${key} = ${String(v)} is not true or false`);
    }
    next[key] = v;
  }
  return next;
}
