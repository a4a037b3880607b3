// The AIO layer's words: the settings of aio-config.ts as the workers read them, the idle
// poller, the transaction counters, and the write gate (workers/block/write-gate.ts).

import type { Cursor } from '../layout/layout-region.ts';

export function aioRegion(c: Cursor) {
  return {
    /** Settings, written by the page (BlockBackend.setAio), read by workers and the device at
     *  each request: the most requests a worker runs in one transaction, whether the device
     *  merges adjacent requests, whether the page cache is used, how long (µs) an idle worker
     *  polls the request queue before it sleeps. */
    batch: c.i32(1),
    merge: c.i32(1),
    pageCache: c.i32(1),
    pollUs: c.i32(1),
    /** 1 while an idle worker polls (one at a time); compare-exchanged by idle workers. */
    poller: c.i32(1),
    /** Counters, Atomics.add by the workers: IndexedDB transactions they committed, by kind,
     *  and the requests those transactions carried. A flush's writeback counts as `durable`. */
    readTx: c.i32(1),
    readTxRequests: c.i32(1),
    writeTx: c.i32(1),
    writeTxRequests: c.i32(1),
    durableTx: c.i32(1),
    /** The write gate: >= 0 relaxed write transactions under way, -1 a durable writeback (which
     *  admits nothing else, so no other write lands between its two commits); and whether one
     *  waits for it (new relaxed writers then wait too). Workers only. */
    gate: c.i32(1),
    gateWanted: c.i32(1),
  };
}
