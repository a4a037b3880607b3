// A block backend's configuration, resolved once where it comes in (openBlock, createMachine,
// createLinux): the image's name, the cache mode, the pool's and the AIO layer's settings and
// the page cache's size, checked and defaulted. What lies below takes a BlockConfig and trusts it.

import {
  DEFAULT_AIO_CONFIG,
  DEFAULT_PAGE_CACHE_BYTES,
  mergeAioConfig,
} from '../shared/block/aio-config.ts';
import type { AioConfig } from '../shared/block/aio-config.ts';
import { checkCacheMode, type CacheMode } from '../shared/block/block.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import { checkImageName, type ImageName } from '../shared/block/image-format.ts';
import {
  DEFAULT_POOL_CONFIG,
  mergePoolConfig,
  type PoolConfig,
} from '../shared/pool/pool-config.ts';

export interface BlockBackendOptions {
  cache?: CacheMode;
  pool?: Partial<PoolConfig>;
  /** Batching, merging and the page cache (default: all on; FAITHFUL_AIO_CONFIG: all off). */
  aio?: Partial<AioConfig>;
  /** The page cache's size (default 32 MiB), rounded down to whole sets of pages. */
  pageCacheBytes?: number;
}

declare const resolved: unique symbol;

/** Options that went through resolveBlockConfig(), and only those (the brand says so). */
export type BlockConfig = Readonly<{
  image: ImageName;
  cache: CacheMode;
  pool: Readonly<PoolConfig>;
  aio: Readonly<AioConfig>;
  pageCacheBytes: number;
}> & { readonly [resolved]: true };

const PAGE_CACHE_BYTES_MAX = 1 << 30;

/** Check `image` and `opts`, fill in the defaults; every refusal is EINVAL naming the value. */
export function resolveBlockConfig(image: unknown, opts: BlockBackendOptions): BlockConfig {
  const name = checkImageName(image);
  const cache = checkCacheMode(opts.cache ?? 'writeback');
  const pool = mergePoolConfig(DEFAULT_POOL_CONFIG, opts.pool ?? {});
  const aio = mergeAioConfig(DEFAULT_AIO_CONFIG, opts.aio ?? {});
  // directsync bypasses the host page cache in QEMU; here it has none either.
  if (cache === 'directsync') aio.pageCache = false;
  const pageCacheBytes = opts.pageCacheBytes ?? DEFAULT_PAGE_CACHE_BYTES;
  if (
    !Number.isSafeInteger(pageCacheBytes) ||
    pageCacheBytes < 0 ||
    pageCacheBytes > PAGE_CACHE_BYTES_MAX
  ) {
    throw new ErrnoError(
      Errno.EINVAL,
      `pageCacheBytes ${String(pageCacheBytes)} is not an integer in 0..${PAGE_CACHE_BYTES_MAX}`,
    );
  }
  return { image: name, cache, pool, aio, pageCacheBytes } as BlockConfig;
}
