// The one file that knows the control SharedArrayBuffer: every word, slot and region, its index,
// its owner, and the byte length computed from the parameters. Nothing else holds an index.
// A worker attaches only after checking the magic number, the layout version and the length.

import { Histogram, HISTOGRAM_BUCKETS, HISTOGRAM_STATS } from './histogram.ts';

export const LAYOUT_MAGIC = 0x57_41_49_4f; // "WAIO"
export const LAYOUT_VERSION = 8;

/** The most pool workers one pool may have (max_threads is at most this). */
export const POOL_MAX_THREADS = 128;

/** Spawn records a pool keeps (ControlParams.nrecords): the oldest reusable one goes first. */
export const POOL_RECORDS = 4 * POOL_MAX_THREADS;

/** Events each vCPU's trace ring holds (its exits and halts), and the pool's (its counters'
 *  changes); the page drains them while it records a trace, and the oldest are overwritten. */
export const VCPU_TRACE_EVENTS = 4096;
export const POOL_TRACE_EVENTS = 8192;

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

/** The page cache is set-associative: chunk c may live only in set c % sets, in one of its
 *  ways. Pages are sets x ways. */
export const CACHE_WAYS = 16;
export const cacheWays = (cachePages: number) => Math.min(CACHE_WAYS, Math.max(1, cachePages));
export const cacheSets = (cachePages: number) => Math.ceil(cachePages / cacheWays(cachePages));

/** Page cache states (cache.state), under cache.lock. */
export const PageState = {
  /** Holds nothing: not in the hash table. */
  FREE: 0,
  /** Claimed by one worker, which fills it (from the image, or whole from a request); others
   *  wait on cache.cond until it leaves this state. */
  FILLING: 1,
  /** The chunk as the image holds it. */
  CLEAN: 2,
  /** Newer than the image: written by requests since its last writeback. */
  DIRTY: 3,
} as const;
export type PageState = (typeof PageState)[keyof typeof PageState];

/** Bottom halves of a main loop: one bit each in `loop.bhScheduled` (cf. util/async.c). */
export const BH = {
  /** thread-pool.c spawn_thread_bh_fn: create one pool worker. */
  newThread: 0,
  /** thread-pool.c thread_pool_completion_bh: complete DONE requests. */
  completion: 1,
  /** The self-test's probe: measures worker -> main wake-up. */
  probe: 2,
} as const;
export type BhId = (typeof BH)[keyof typeof BH];
export const BH_COUNT = 3;

/** vCPU run states, written by the vCPU itself. */
export const VcpuState = {
  /** Not started, or stopped (its thread has exited). */
  STOPPED: 0,
  /** Running guest code. */
  RUNNING: 1,
  /** In an MMIO exit: device emulation on this thread, under the BQL. */
  IN_EXIT: 2,
  /** Halted, waiting for its interrupt (Atomics.waitAsync: its event loop keeps turning). */
  HALTED: 3,
} as const;
export type VcpuState = (typeof VcpuState)[keyof typeof VcpuState];

/** `{ IN_EXIT: 2, … }` → `['stopped', …, 'in-exit', …]`: a state's display name, by code. */
export function stateNames<K extends string>(states: Record<K, number>): string[] {
  const names: string[] = [];
  for (const [key, code] of Object.entries<number>(states)) {
    names[code] = key.toLowerCase().replaceAll('_', '-');
  }
  return names;
}

/** Per-vCPU histograms (µs), in this order, each written only by its vCPU. */
export const VCPU_HISTOGRAMS = [
  'stall',
  'bqlWait',
  'bqlHold',
  'halted',
  'irqDelivery',
  /** Requests the device took off the avail ring per doorbell exit (a count, not µs). */
  'exitRequests',
] as const;
export type VcpuHistogram = (typeof VCPU_HISTOGRAMS)[number];

/** Per-vCPU device counters, in this order, each written only by its vCPU. */
export const VCPU_COUNTERS = [
  /** Doorbell writes (QUEUE_NOTIFY exits). */
  'exits',
  /** Requests the device took off the avail ring in those exits (cf. virtqueue_pop). */
  'popped',
  /** Times the re-check after re-enabling notifications found more requests to drain. */
  'rechecks',
  /** Requests handed to the block layer. */
  'submitted',
  /** Requests refused by the device, by accounting type (read, write, flush, unmap), and
   *  those of unknown type. */
  'invalidRd',
  'invalidWr',
  'invalidFlush',
  'invalidUnmap',
  'unsupported',
  /** Descriptor chains too broken to carry a status byte. */
  'broken',
  /** The guest's own progress, published by its vCPU for the page (a window into the guest,
   *  not a device): requests it saw complete, sectors it verified, verify failures. */
  'guestIos',
  'verifyChecked',
  'verifyErrors',
] as const;
export type VcpuCounter = (typeof VCPU_COUNTERS)[number];

/** Slot states, cf. ThreadState in util/thread-pool.c, plus FREE for an unused slot. */
export const SlotState = {
  FREE: 0,
  QUEUED: 1,
  ACTIVE: 2,
  DONE: 3,
  /** Carried by another slot's request (the device merged it in); freed with that one. */
  MERGED: 4,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** Spawn-record states: the life of one pool worker, in order. */
export const WorkerState = {
  /** Never used (a fresh record). */
  UNUSED: 0,
  /** spawn_thread() counted it in new_threads; nobody has created it yet. */
  BACKLOG: 1,
  /** Created (pending_threads), its first line has not run. */
  CREATED: 2,
  /** Running its loop, neither waiting nor serving (just born, opening the image). */
  RUNNING: 3,
  /** Running, waiting on the request condition variable. */
  IDLE: 4,
  /** Running a request (`slot` says which). */
  BUSY: 5,
  /** Left its loop and closed itself. */
  EXITED: 6,
  /** Never ran, or died without exiting (shut down before birth, failed to load, creator gone). */
  LOST: 7,
} as const;
export type WorkerState = (typeof WorkerState)[keyof typeof WorkerState];

/** A worker that exists — created and not gone: it may run, so its record is taken. */
export const isLiveWorker = (state: number): boolean =>
  state >= WorkerState.CREATED && state <= WorkerState.BUSY;

/** Index of the next i32, f64 or i64 in a buffer being laid out; 8-byte regions are aligned. */
class Cursor {
  bytes = 0;
  i32(count: number): number {
    const index = this.bytes / 4;
    this.bytes += count * 4;
    return index;
  }
  f64(count: number): number {
    this.bytes = Math.ceil(this.bytes / 8) * 8;
    const index = this.bytes / 8;
    this.bytes += count * 8;
    return index;
  }
  /** BigInt64 words: byte counters that may pass 2^53 and are added to by several threads. */
  i64(count: number): number {
    return this.f64(count);
  }
}

/** Words of a bitmap of `n` bits (one bit per slot, chunk…; bit b is word b >>> 5, 1 << (b & 31)). */
export const bitmapWords = (n: number): number => Math.ceil(n / 32);

/** Index arithmetic for one struct-of-arrays field: `at(i)` is element i's word. */
export interface Field {
  at(i: number): number;
}
/** A class, not a closure per field: every field's `at` is then one function, so V8's feedback
 *  for a call site holds whichever layout it runs on (the exit path is warmed up on another). */
class StridedField implements Field {
  private readonly base: number;
  private readonly stride: number;
  constructor(base: number, stride: number) {
    this.base = base;
    this.stride = stride;
  }
  at(i: number): number {
    return this.base + i * this.stride;
  }
}
function field(base: number, stride = 1): Field {
  return new StridedField(base, stride);
}

/** A per-element array of `count` words: `at(i, k)` is element i's k-th word. */
export interface SegmentField {
  at(i: number, k: number): number;
}
class Segments implements SegmentField {
  private readonly base: number;
  private readonly count: number;
  constructor(base: number, count: number) {
    this.base = base;
    this.count = count;
  }
  at(i: number, k: number): number {
    return this.base + i * this.count + k;
  }
}
function segmentField(base: number, count: number): SegmentField {
  return new Segments(base, count);
}

/** The header comes first and has no parameters, so an attacher can read it before anything. */
function headerFields(c: Cursor) {
  return {
    /** All header words are written once by createControl(), magic last. */
    magic: c.i32(1),
    version: c.i32(1),
    byteLength: c.i32(1),
    nslots: c.i32(1),
    maxIov: c.i32(1),
    nrecords: c.i32(1),
    nvcpus: c.i32(1),
    cachePages: c.i32(1),
    diskChunks: c.i32(1),
    ideRing: c.i32(1),
  };
}
const HEADER_CURSOR = new Cursor();
const HEADER = headerFields(HEADER_CURSOR);
const HEADER_BYTES = HEADER_CURSOR.bytes;

function computeLayout(p: ControlParams) {
  const c = new Cursor();
  const header = headerFields(c);
  const loop = {
    /** Bumped and notified by bhSchedule() on any thread; the main loop waits on it. */
    notifier: c.i32(1),
    /** One bit per BH; set by any thread (Atomics.or), cleared by the main loop (exchange). */
    bhScheduled: c.i32(1),
  };
  const pool = {
    /** ThreadPool.lock: a qemu_mutex word. */
    lock: c.i32(1),
    /** ThreadPool.request_cond: a qemu_cond word; idle workers wait on it. */
    requestCond: c.i32(1),
    // Everything below in `pool` is written under `lock` only (cf. struct ThreadPool); the page
    // may read it without the lock for display.
    /** Also the word thread_pool_free() waits on: each worker notifies it as it leaves. */
    curThreads: c.i32(1),
    idleThreads: c.i32(1),
    /** Backlog: threads counted in cur_threads that nobody has created yet. */
    newThreads: c.i32(1),
    /** Created, first line not run yet. */
    pendingThreads: c.i32(1),
    minThreads: c.i32(1),
    maxThreads: c.i32(1),
    idleTimeoutMs: c.i32(1),
    /** PoolPolicy code (see thread-pool.ts). */
    policy: c.i32(1),
    /** Highest cur_threads and pending_threads ever seen, for the tests and the lesson. */
    curHighWater: c.i32(1),
    pendingHighWater: c.i32(1),
    /** Spawn records handed out so far, and where the next search for a free record starts. */
    spawned: c.i32(1),
    recordCursor: c.i32(1),
    /** Workers that left their loop, or were lost, so far. */
    exited: c.i32(1),
    /** Workers that died with the vCPU that created them (the `inline` policy's lesson), and
     *  the requests they had taken that went back to the queue. */
    lostWithCreator: c.i32(1),
    requeued: c.i32(1),
    /** Write batches taken and not yet finished (each worker's `record.writeBatch` summed);
     *  with aio.batch > 1, queued writes wait while one runs. Under `pool.lock`. */
    writeBatches: c.i32(1),
    /** Records of the backlog in spawn order: a ring of POOL_MAX_THREADS, head and length. */
    backlog: field(c.i32(POOL_MAX_THREADS)),
    backlogHead: c.i32(1),
    /** Head and tail slot of the request list (QTAILQ), -1 when empty, and its length. */
    queueHead: c.i32(1),
    queueTail: c.i32(1),
    queueLength: c.i32(1),
  };
  const poolTrace = {
    /** Events written so far, under `pool.lock` (whoever changes a counter); entry n is at
     *  n % POOL_TRACE_EVENTS, its fields written before the head moves past it. */
    head: c.i32(1),
    /** PoolTraceKind, and the spawn record it is about. */
    kind: field(c.i32(POOL_TRACE_EVENTS)),
    record: field(c.i32(POOL_TRACE_EVENTS)),
    /** The counters just after the event: cur, idle, new, pending threads. */
    cur: field(c.i32(POOL_TRACE_EVENTS)),
    idle: field(c.i32(POOL_TRACE_EVENTS)),
    backlog: field(c.i32(POOL_TRACE_EVENTS)),
    pending: field(c.i32(POOL_TRACE_EVENTS)),
    /** When (stamp). */
    t: field(c.f64(POOL_TRACE_EVENTS)),
  };
  const image = {
    /** QEMU's page_cache_inconsistent: set by the worker whose flush failed; never cleared. */
    flushPoisoned: c.i32(1),
    /** blkdebug-style fault injection, set by the page: which ops (bit per BlockOp), the errno
     *  to fail them with, and how many more to fail (workers decrement it atomically). */
    injectOps: c.i32(1),
    injectErrno: c.i32(1),
    injectRemaining: c.i32(1),
    /** An overlay's base (workers/block/backing.ts): the first BackingFault a worker met, set
     *  once with compareExchange from NONE; a poisoning one makes every later fetch fail. */
    backingFault: c.i32(1),
    /** An overlay's traffic, Atomics.add by the worker that served it (i64 words): bytes
     *  received from the base over HTTP and the requests that carried them; request bytes found
     *  in the overlay, and request bytes that had to come from the base. */
    baseFetchedBytes: c.i64(1),
    baseFetches: c.i64(1),
    overlayReadBytes: c.i64(1),
    baseReadBytes: c.i64(1),
  };
  const aio = {
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
  const cache = {
    /** A qemu_mutex: every word below but the statistics is written under it. */
    lock: c.i32(1),
    /** A qemu_cond: pages leave FILLING, pins drop, the writeback lock frees. */
    cond: c.i32(1),
    /** Held (1) by the one worker writing pages back. */
    writeback: c.i32(1),
    /** The dirtying sequence, and pages DIRTY. */
    seq: c.i32(1),
    dirtyPages: c.i32(1),
    /** Statistics (Atomics.add, any worker): hits, misses, evictions, pages written back. */
    hits: c.i32(1),
    misses: c.i32(1),
    evictions: c.i32(1),
    writtenBack: c.i32(1),
    /** Per page (page = set * ways + way): chunk index (-1 none), PageState, workers using its
     *  bytes (a pinned page is not evicted), the `seq` of its last dirtying, and the clock's
     *  referenced bit. */
    tag: field(c.i32(p.cachePages)),
    state: field(c.i32(p.cachePages)),
    pins: field(c.i32(p.cachePages)),
    dirtySeq: field(c.i32(p.cachePages)),
    ref: field(c.i32(p.cachePages)),
    /** Each set's clock hand: the way eviction looks at next. */
    hand: field(c.i32(cacheSets(p.cachePages))),
  };
  const unsynced = {
    /** One bit per chunk written to the image by a relaxed transaction since the last flush:
     *  set by the worker (Atomics.or) before its request completes, taken by the flush
     *  (Atomics.exchange), which commits those chunks again, durably. */
    bits: field(c.i32(bitmapWords(p.diskChunks))),
  };
  const slot = {
    /** SlotState; FREE->QUEUED by the submitter, QUEUED->ACTIVE by a worker under `pool.lock`,
     *  QUEUED->DONE by a canceller under `pool.lock`, ACTIVE->DONE by the worker (after `ret`),
     *  DONE->FREE by the main loop's completion BH. */
    state: field(c.i32(p.nslots)),
    /** Request fields, written by the submitter before QUEUED, read-only afterwards. */
    op: field(c.i32(p.nslots)),
    /** Requests this one stands for: 1, or more when the device merged others into it. */
    merged: field(c.i32(p.nslots)),
    niov: field(c.i32(p.nslots)),
    /** Whose request this is (see pool clients); read by the completion BH. */
    client: field(c.i32(p.nslots)),
    /** Submitter's own tag (a descriptor head, a promise id); a merged request's riders have
     *  theirs too. */
    tag: field(c.i32(p.nslots)),
    /** Result, bytes >= 0 or -errno; written by the worker (or canceller) before DONE, read by
     *  the completion BH after it has seen DONE. */
    ret: field(c.i32(p.nslots)),
    /** Spawn record of the worker that ran it; written with ACTIVE. */
    worker: field(c.i32(p.nslots)),
    /** Request-list links, under `pool.lock`. */
    next: field(c.i32(p.nslots)),
    prev: field(c.i32(p.nslots)),
    /** Segments: addresses and lengths in the DMA buffer, by the submitter. */
    iovAddr: segmentField(c.i32(p.nslots * p.maxIov), p.maxIov),
    iovLen: segmentField(c.i32(p.nslots * p.maxIov), p.maxIov),
    /** f64 fields: request geometry and stamps (ms since the epoch, timeOrigin + now()). */
    byteOffset: field(c.f64(p.nslots)),
    nbytes: field(c.f64(p.nslots)),
    tSubmit: field(c.f64(p.nslots)),
    tStart: field(c.f64(p.nslots)),
    tDone: field(c.f64(p.nslots)),
    /** One bit per slot that went DONE and has not been completed yet: set (Atomics.or) by
     *  whoever made it DONE, after the state; taken (Atomics.exchange) by the completion BH,
     *  which so visits only finished slots (cf. QEMU walking its list of requests). */
    doneBits: field(c.i32(bitmapWords(p.nslots))),
  };
  const record = {
    /** WorkerState: BACKLOG by spawn_thread(), CREATED by the creator, later ones by the
     *  worker itself, LOST by whoever learns the worker will never run; all under `pool.lock`. */
    state: field(c.i32(p.nrecords)),
    /** Spawn number (the pool's `spawned` when it was handed out), by spawn_thread(). */
    seq: field(c.i32(p.nrecords)),
    /** Thread id of the creator (THREAD_MAIN or a vCPU's id), by the creator. */
    creator: field(c.i32(p.nrecords)),
    /** Slot being served while BUSY, by the worker. */
    slot: field(c.i32(p.nrecords)),
    /** Requests served, by the worker. */
    served: field(c.i32(p.nrecords)),
    /** 1 while the worker runs a batch (it may hold the write gate, the cache's writeback
     *  lock, page pins), by the worker itself; a dying creator waits for 0 (see quiesce). */
    inIo: field(c.i32(p.nrecords)),
    /** 1 from taking a write batch until it is finished (counted in `pool.writeBatches`);
     *  under `pool.lock`, by the worker, or by whoever counts a dead worker out. */
    writeBatch: field(c.i32(p.nrecords)),
    tRequested: field(c.f64(p.nrecords)),
    tCreated: field(c.f64(p.nrecords)),
    tReady: field(c.f64(p.nrecords)),
    tFirstRequest: field(c.f64(p.nrecords)),
    tExited: field(c.f64(p.nrecords)),
  };
  const vreq = {
    /** The virtio-blk request behind a slot (cf. VirtIOBlockReq), written by the vCPU that
     *  submitted it, read by the completion BH: where its status byte is, and how many bytes
     *  the device writes (data for a read, plus the status byte). */
    statusAddr: field(c.i32(p.nslots)),
    inLen: field(c.i32(p.nslots)),
    /** The next slot of a merged request's riders (MERGED), -1 at the end; by the vCPU. */
    mergedNext: field(c.i32(p.nslots)),
  };
  const machine = {
    /** The BQL: vCPUs hold it in their exit path, the main loop while it runs bottom halves. */
    bql: c.i32(1),
  };
  const V = p.nvcpus;
  const vcpu = {
    /** VcpuState, by the vCPU. */
    state: field(c.i32(V)),
    /** Interrupt line: set to 1 (and notified) under the BQL by whoever completes a request,
     *  cleared by the vCPU's INTERRUPT_ACK. The vCPU halts waiting on it. */
    irq: field(c.i32(V)),
    /** Stop request: set by the page (then it notifies `irq`), read by the vCPU at safe points. */
    stop: field(c.i32(V)),
    /** When `irq` was last raised (stamp), by the raiser. */
    tIrqRaised: field(c.f64(V)),
    /** The queue's registers (virtio-mmio QueueNum, QueueDesc, QueueAvail, QueueUsed,
     *  QueueReady), written by the vCPU's device emulation under the BQL. */
    qNum: field(c.i32(V)),
    qDesc: field(c.i32(V)),
    qAvail: field(c.i32(V)),
    qUsed: field(c.i32(V)),
    qReady: field(c.i32(V)),
    /** Next avail entry the device will pop (device-private, the vCPU only). */
    qLastAvail: field(c.i32(V)),
    /** The device's copy of used->idx, under the BQL (main loop or vCPU). */
    qUsedIdx: field(c.i32(V)),
    /** Requests popped and not yet pushed to the used ring, under the BQL. */
    qInflight: field(c.i32(V)),
    counters: field(c.i32(V * VCPU_COUNTERS.length), VCPU_COUNTERS.length),
    /** Histogram counts then stats, VCPU_HISTOGRAMS of them per vCPU. */
    histCounts: field(
      c.i32(V * VCPU_HISTOGRAMS.length * HISTOGRAM_BUCKETS),
      VCPU_HISTOGRAMS.length * HISTOGRAM_BUCKETS,
    ),
    histStats: field(
      c.f64(V * VCPU_HISTOGRAMS.length * HISTOGRAM_STATS),
      VCPU_HISTOGRAMS.length * HISTOGRAM_STATS,
    ),
    // The vCPU's trace ring, written by the vCPU alone: entry n of vCPU i at (i, n %
    // VCPU_TRACE_EVENTS), its fields written before `traceHead` moves past it.
    /** Events written so far. */
    traceHead: field(c.i32(V)),
    /** VcpuTraceKind, and its argument (the register of an exit). */
    traceKind: segmentField(c.i32(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    traceArg: segmentField(c.i32(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    /** Requests the exit took off the avail ring (doorbell exits), else 0. */
    traceCount: segmentField(c.i32(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    /** Stamps: the start; the BQL taken (exits; a halt's end); the BQL dropped (exits). */
    traceT0: segmentField(c.f64(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    traceT1: segmentField(c.f64(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    traceT2: segmentField(c.f64(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
  };
  const R = p.ideRing ?? 0;
  const ide = {
    /** Requests of the IDE front end (v86's disk, in its worker) in the pool: Atomics.add by
     *  that worker as it submits one, Atomics.sub by the completion BH as it completes one. */
    inflight: c.i32(1),
    /** The completion ring (cf. virtio's used ring): the completion BH, under the BQL, writes
     *  entry head % ideRing (the slot and its ret) and then moves `head`; the worker reads the
     *  entries up to `head` and moves `tail` (its word alone). The BQL's holder raises vCPU 0's
     *  `irq` once a pass; the worker waits on it. */
    head: c.i32(1),
    tail: c.i32(1),
    slot: field(c.i32(R)),
    ret: field(c.i32(R)),
  };
  const probe = {
    /** Bumped by the main loop's probe BH each time it runs; the self-test worker waits on it. */
    ack: c.i32(1),
    /** Stamp taken by the self-test worker just before it schedules the probe BH. */
    tScheduled: c.f64(1),
  };
  const byteLength = c.bytes;
  return {
    params: p,
    header,
    loop,
    pool,
    poolTrace,
    image,
    aio,
    cache,
    unsynced,
    slot,
    record,
    vreq,
    machine,
    vcpu,
    ide,
    probe,
    byteLength,
  };
}

export type ControlLayout = ReturnType<typeof computeLayout>;

/** Thread ids used in records: the main thread is 0; vCPU i is 1 + i. */
export const THREAD_MAIN = 0;
export const threadIdOfVcpu = (vcpu: number) => 1 + vcpu;

export const MAX_VCPUS = 16;
const MAX = {
  nslots: 1 << 15,
  maxIov: 1024,
  nrecords: 1 << 14,
  nvcpus: MAX_VCPUS,
  cachePages: 1 << 16,
  diskChunks: 2 ** 28,
  ideRing: 1 << 15,
};
const MIN = {
  nslots: 1,
  maxIov: 1,
  nrecords: POOL_MAX_THREADS + 1,
  nvcpus: 0,
  cachePages: 0,
  diskChunks: 0,
  ideRing: 0,
};

/** Where page `page` of the page cache starts in the cache memory buffer. */
export const cachePageByte = (page: number, chunkSize: number) => page * chunkSize;

/** The smallest control buffer: enough for a main loop and its bottom halves. */
export const MIN_CONTROL_PARAMS: ControlParams = { ...MIN };

function checkParams(p: ControlParams): void {
  for (const key of [
    'nslots',
    'maxIov',
    'nrecords',
    'nvcpus',
    'cachePages',
    'diskChunks',
    'ideRing',
  ] as const) {
    const v = p[key] ?? 0;
    if (!Number.isInteger(v) || v < MIN[key] || v > MAX[key]) {
      throw new RangeError(
        `control layout: ${key} = ${v} is not an integer in ${MIN[key]}..${MAX[key]}`,
      );
    }
  }
  if (p.cachePages % cacheWays(p.cachePages) !== 0) {
    throw new RangeError(
      `control layout: cachePages = ${p.cachePages} is not a multiple of ${cacheWays(p.cachePages)} ways`,
    );
  }
}

export function layoutBytes(p: ControlParams): number {
  checkParams(p);
  return computeLayout(p).byteLength;
}

/** A control buffer as seen by one thread: the same words through three typed views. */
export interface Control {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  readonly L: ControlLayout;
}

function views(sab: SharedArrayBuffer, L: ControlLayout): Control {
  return {
    sab,
    i32: new Int32Array(sab),
    f64: new Float64Array(sab),
    i64: new BigInt64Array(sab),
    L,
  };
}

/** vCPU `v`'s histogram `name`, over its words of the control buffer. */
export function vcpuHistogram(ctl: Control, v: number, name: VcpuHistogram): Histogram {
  const k = VCPU_HISTOGRAMS.indexOf(name);
  const counts = ctl.L.vcpu.histCounts.at(v) + k * HISTOGRAM_BUCKETS;
  const stats = ctl.L.vcpu.histStats.at(v) + k * HISTOGRAM_STATS;
  return new Histogram(
    ctl.i32.subarray(counts, counts + HISTOGRAM_BUCKETS),
    ctl.f64.subarray(stats, stats + HISTOGRAM_STATS),
  );
}

/** The index of vCPU `v`'s counter `name`. */
export function vcpuCounter(ctl: Control, v: number, name: VcpuCounter): number {
  return ctl.L.vcpu.counters.at(v) + VCPU_COUNTERS.indexOf(name);
}

/** Allocate and initialise a control buffer (main thread, before any worker sees it). */
export function createControl(p: ControlParams): Control {
  checkParams(p);
  const L = computeLayout(p);
  const ctl = views(new SharedArrayBuffer(L.byteLength), L);
  const { i32 } = ctl;
  for (let s = 0; s < p.nslots; s++) {
    i32[L.slot.next.at(s)] = -1;
    i32[L.slot.prev.at(s)] = -1;
  }
  i32[L.pool.queueHead] = -1;
  i32[L.pool.queueTail] = -1;
  i32[L.header.nslots] = p.nslots;
  i32[L.header.maxIov] = p.maxIov;
  i32[L.header.nrecords] = p.nrecords;
  i32[L.header.nvcpus] = p.nvcpus;
  i32[L.header.cachePages] = p.cachePages;
  i32[L.header.diskChunks] = p.diskChunks;
  i32[L.header.ideRing] = p.ideRing ?? 0;
  for (let page = 0; page < p.cachePages; page++) i32[L.cache.tag.at(page)] = -1;
  i32[L.header.byteLength] = L.byteLength;
  i32[L.header.version] = LAYOUT_VERSION;
  // Magic last: a buffer is attachable only once it is whole.
  Atomics.store(i32, L.header.magic, LAYOUT_MAGIC);
  return ctl;
}

/** Attach to a control buffer made by createControl(), refusing anything else. */
export function attachControl(sab: SharedArrayBuffer): Control {
  if (sab.byteLength < HEADER_BYTES) {
    throw new Error(`control buffer of ${sab.byteLength} bytes is too small for a header`);
  }
  const head = new Int32Array(sab, 0, HEADER_BYTES / 4);
  const magic = Atomics.load(head, HEADER.magic);
  if (magic !== LAYOUT_MAGIC) {
    throw new Error(
      `control buffer magic 0x${(magic >>> 0).toString(16)} is not 0x${LAYOUT_MAGIC.toString(16)}`,
    );
  }
  const version = head[HEADER.version];
  if (version !== LAYOUT_VERSION) {
    throw new Error(`control layout version ${version}, this bundle reads ${LAYOUT_VERSION}`);
  }
  const p: ControlParams = {
    nslots: head[HEADER.nslots],
    maxIov: head[HEADER.maxIov],
    nrecords: head[HEADER.nrecords],
    nvcpus: head[HEADER.nvcpus],
    cachePages: head[HEADER.cachePages],
    diskChunks: head[HEADER.diskChunks],
    ideRing: head[HEADER.ideRing],
  };
  checkParams(p);
  const L = computeLayout(p);
  const stored = head[HEADER.byteLength];
  if (stored !== L.byteLength || sab.byteLength !== L.byteLength) {
    throw new Error(
      `control buffer is ${sab.byteLength} bytes (header says ${stored}), ` +
        `layout v${LAYOUT_VERSION} for ${JSON.stringify(p)} needs ${L.byteLength}`,
    );
  }
  return views(sab, L);
}
