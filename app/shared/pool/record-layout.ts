// Spawn records (spawn-records.ts): the life of every pool worker, one record each, and the
// thread ids that name who created it. QEMU keeps no such thing; the lesson needs it.

import { field, type Cursor } from '../layout/layout-region.ts';
import { POOL_MAX_THREADS } from './pool-layout.ts';

/** Spawn records a pool keeps (ControlParams.nrecords): the oldest reusable one goes first. */
export const POOL_RECORDS = 4 * POOL_MAX_THREADS;

/** Thread ids used in records: the main thread is 0; vCPU i is 1 + i. */
export const THREAD_MAIN = 0;
export const threadIdOfVcpu = (vcpu: number) => 1 + vcpu;

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

export function recordRegion(c: Cursor, nrecords: number) {
  return {
    /** WorkerState: BACKLOG by spawn_thread(), CREATED by the creator, later ones by the
     *  worker itself, LOST by whoever learns the worker will never run; all under `pool.lock`. */
    state: field(c.i32(nrecords)),
    /** Spawn number (the pool's `spawned` when it was handed out), by spawn_thread(). */
    seq: field(c.i32(nrecords)),
    /** Thread id of the creator (THREAD_MAIN or a vCPU's id), by the creator. */
    creator: field(c.i32(nrecords)),
    /** Slot being served while BUSY, by the worker. */
    slot: field(c.i32(nrecords)),
    /** Requests served, by the worker. */
    served: field(c.i32(nrecords)),
    /** 1 while the worker runs a batch (it may hold the write gate, the cache's writeback
     *  lock, page pins), by the worker itself; a dying creator waits for 0 (see quiesce). */
    inIo: field(c.i32(nrecords)),
    /** 1 from taking a write batch until it is finished (counted in `pool.writeBatches`);
     *  under `pool.lock`, by the worker, or by whoever counts a dead worker out. */
    writeBatch: field(c.i32(nrecords)),
    /** Stamps of its life (ms since the epoch; 0: not yet). */
    tRequested: field(c.f64(nrecords)),
    tCreated: field(c.f64(nrecords)),
    tReady: field(c.f64(nrecords)),
    tFirstRequest: field(c.f64(nrecords)),
    tExited: field(c.f64(nrecords)),
  };
}
