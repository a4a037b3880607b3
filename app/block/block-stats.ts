// query-blockstats for a BlockBackend (cf. bdrv_query_blk_stats() in block/qapi.c): the block
// accounting's counters (block-acct.ts) with what the AIO layer's transactions carried, the page
// cache's state, the pool's counters and workers, the main loop's bottom-half runs, and an
// overlay's traffic with its base. Read from the control buffer's words when asked.

import type { BlockAcct, BlockDeviceStats } from './block-acct.ts';
import type { BhRunStats, MainLoop } from '../machine/main-loop.ts';
import type { ThreadPool } from '../pool/thread-pool.ts';
import type { AioConfig } from '../shared/block/aio-config.ts';
import { BackingFault, backingFaultMessage } from '../shared/block/backing-fault.ts';
import type { BackingMeta } from '../shared/block/image-format.ts';
import type { Control } from '../shared/layout/layout.ts';
import type { SpawnRecord } from '../shared/pool/spawn-records.ts';
import type { PoolCounters } from '../shared/pool/pool-observer.ts';

/** The AIO layer's settings and what its transactions carried, and the page cache's state. */
export interface AioStats {
  config: AioConfig;
  /** IndexedDB transactions the workers committed: reads, relaxed writes, durable ones (each
   *  durable write or flush re-commit counts its two commits), and requests they carried. */
  read_transactions: number;
  read_transaction_requests: number;
  write_transactions: number;
  write_transaction_requests: number;
  durable_transactions: number;
  page_cache: {
    pages: number;
    dirty: number;
    hits: number;
    misses: number;
    evictions: number;
    written_back: number;
  };
}

/** An overlay's traffic: what came from its base over HTTP and what it served itself. */
export interface BackingStats {
  url: string;
  /** Bytes received from the base, and the Range requests that carried them. */
  fetched_bytes: number;
  fetch_requests: number;
  /** Bytes of read requests found in the overlay, and those that needed the base. */
  served_from_overlay_bytes: number;
  served_from_base_bytes: number;
  /** What went wrong with the base last, if anything ('' when nothing). */
  fault: string;
}

export interface BlockStats extends BlockDeviceStats {
  aio: AioStats;
  pool: PoolCounters;
  /** Present for an overlay of a base image over HTTP. */
  backing?: BackingStats;
  /** Every pool worker's life, oldest first. */
  spawns: SpawnRecord[];
  /** Bottom-half run times on the main thread. */
  main_loop: BhRunStats[];
}

/** What a backend's statistics are read from. */
export interface BlockStatsSource {
  ctl: Control;
  acct: BlockAcct;
  aio: AioConfig;
  pool: ThreadPool;
  loop: MainLoop;
  backing: BackingMeta | undefined;
}

export function blockStats(s: BlockStatsSource): BlockStats {
  const stats: BlockStats = {
    ...s.acct.stats(),
    aio: aioStats(s.ctl, s.aio),
    pool: s.pool.counters(),
    spawns: s.pool.records(),
    main_loop: s.loop.stats(),
  };
  if (s.backing) stats.backing = backingStats(s.ctl, s.backing);
  return stats;
}

function aioStats(ctl: Control, config: AioConfig): AioStats {
  const { i32, L } = ctl;
  const get = (index: number) => Atomics.load(i32, index);
  return {
    config,
    read_transactions: get(L.aio.readTx),
    read_transaction_requests: get(L.aio.readTxRequests),
    write_transactions: get(L.aio.writeTx),
    write_transaction_requests: get(L.aio.writeTxRequests),
    durable_transactions: get(L.aio.durableTx),
    page_cache: {
      pages: L.params.cachePages,
      dirty: get(L.cache.dirtyPages),
      hits: get(L.cache.hits),
      misses: get(L.cache.misses),
      evictions: get(L.cache.evictions),
      written_back: get(L.cache.writtenBack),
    },
  };
}

function backingStats(ctl: Control, backing: BackingMeta): BackingStats {
  const { i64, L } = ctl;
  const n = (at: number) => Number(Atomics.load(i64, at));
  return {
    url: backing.url,
    fetched_bytes: n(L.image.baseFetchedBytes),
    fetch_requests: n(L.image.baseFetches),
    served_from_overlay_bytes: n(L.image.overlayReadBytes),
    served_from_base_bytes: n(L.image.baseReadBytes),
    fault: backingFault(ctl, backing),
  };
}

/** The sentence for the base's latest fault ('' if none): the data plane only says EIO. */
export function backingFault(ctl: Control, backing: BackingMeta | undefined): string {
  if (!backing) return '';
  const fault = Atomics.load(ctl.i32, ctl.L.image.backingFault);
  return fault === BackingFault.NONE ? '' : backingFaultMessage(fault, backing);
}
