// What the pool core tells whoever watches it, through one hook (cf. the trace-events of
// util/thread-pool.c): each step of a worker's life goes to the trace ring, the high-water
// marks and the worker's spawn record; the page reads them back as PoolCounters and records.

import { stampMs } from '../sync/clock.ts';
import type { Control } from '../layout/layout.ts';
import { PoolTraceKind, poolTraceLocked } from '../trace/trace-ring.ts';

/** The hook the core calls, under the pool lock, after it has changed its counters. */
export interface PoolObserver {
  /** Worker `record`'s life moved on (spawn_thread, do_spawn_thread, its first act, …). */
  workerEvent(kind: PoolTraceKind, record: number): void;
  /** Worker `record` took `slots` (one batch) at `now`. */
  requestsTaken(record: number, slots: readonly number[], now: number): void;
}

/** The pool's counters under QEMU's names, plus the totals. */
export interface PoolCounters {
  cur_threads: number;
  idle_threads: number;
  new_threads: number;
  pending_threads: number;
  min_threads: number;
  max_threads: number;
  spawned: number;
  exited: number;
  queued: number;
  cur_high_water: number;
  pending_high_water: number;
  /** Workers that died with the vCPU that created them, and requests they had to give back. */
  lost_with_creator: number;
  requeued: number;
}

/** A snapshot; exact when taken under the pool lock, a display value otherwise. */
export function poolCounters(ctl: Control): PoolCounters {
  const p = ctl.L.pool;
  const get = (index: number) => Atomics.load(ctl.i32, index);
  return {
    cur_threads: get(p.curThreads),
    idle_threads: get(p.idleThreads),
    new_threads: get(p.newThreads),
    pending_threads: get(p.pendingThreads),
    min_threads: get(p.minThreads),
    max_threads: get(p.maxThreads),
    spawned: get(p.spawned),
    exited: get(p.exited),
    queued: get(p.queueLength),
    cur_high_water: get(p.curHighWater),
    pending_high_water: get(p.pendingHighWater),
    lost_with_creator: get(p.lostWithCreator),
    requeued: get(p.requeued),
  };
}

/** The observer every thread's core uses: it writes to the control buffer, which all share. */
export function sharedMemoryObserver(ctl: Control): PoolObserver {
  const { i32, f64, L } = ctl;
  const p = L.pool;
  const R = L.record;
  const raise = (highWater: number, value: number) => {
    if (value > Atomics.load(i32, highWater)) Atomics.store(i32, highWater, value);
  };
  return {
    workerEvent(kind, record) {
      // spawn_thread()'s time is the record's: allocRecordLocked() stamped it.
      const now = kind === PoolTraceKind.SPAWN ? f64[R.tRequested.at(record)] : stampMs();
      switch (kind) {
        case PoolTraceKind.SPAWN:
          raise(p.curHighWater, Atomics.load(i32, p.curThreads));
          break;
        case PoolTraceKind.CREATE:
          raise(p.pendingHighWater, Atomics.load(i32, p.pendingThreads));
          f64[R.tCreated.at(record)] = now;
          break;
        case PoolTraceKind.READY:
          f64[R.tReady.at(record)] = now;
          break;
        case PoolTraceKind.IDLE:
          Atomics.store(i32, R.slot.at(record), -1);
          break;
        case PoolTraceKind.EXIT:
        case PoolTraceKind.LOST:
          f64[R.tExited.at(record)] = now;
          break;
      }
      poolTraceLocked(ctl, kind, record, now);
    },
    requestsTaken(record, slots, now) {
      Atomics.store(i32, R.slot.at(record), slots[0]);
      const served = Atomics.add(i32, R.served.at(record), slots.length) + slots.length;
      if (served === slots.length) f64[R.tFirstRequest.at(record)] = now;
    },
  };
}
