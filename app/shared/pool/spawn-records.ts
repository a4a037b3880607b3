// Spawn records: the life of every pool worker, one record each, in shared memory — when it was
// asked for, created (and by whom), ready, first busy, gone. QEMU keeps no such thing; the
// lesson needs it (who created each worker, and how long it took to serve). QEMU's backlog is a
// count (new_threads); here it is also the ring of records it counts, oldest first.

import { stampMs } from '../sync/clock.ts';
import type { Control } from '../layout/layout.ts';
import { stateNames } from '../layout/layout-region.ts';
import { POOL_MAX_THREADS } from './pool-layout.ts';
import { isLiveWorker, THREAD_MAIN, WorkerState } from './record-layout.ts';

export type SpawnState = 'backlog' | 'created' | 'running' | 'idle' | 'busy' | 'exited' | 'lost';
const SPAWN_STATE_NAMES = stateNames(WorkerState) as (SpawnState | 'unused')[];

/** One pool worker's life; times are ms since the epoch, 0 if it has not happened. */
export interface SpawnRecord {
  /** Spawn number: the n-th worker this pool asked for. */
  seq: number;
  state: SpawnState;
  /** Which thread created it: "main", "vcpu0", …; null while in the backlog. */
  creator: string | null;
  /** Slot it is serving while busy, else -1. */
  slot: number;
  served: number;
  tRequested: number;
  tCreated: number;
  tReady: number;
  tFirstRequest: number;
  tExited: number;
}

/** "main" or "vcpuN" for a thread id; null for none (-1). */
export function threadName(id: number): string | null {
  if (id < 0) return null;
  return id === THREAD_MAIN ? 'main' : `vcpu${id - 1}`;
}

/** The worker of a record, as the pool names its thread ("aio-7"). */
export function workerName(ctl: Control, record: number): string {
  return `aio-${Atomics.load(ctl.i32, ctl.L.record.seq.at(record))}`;
}

/**
 * A record that neither a live worker nor the backlog holds, searching from the cursor; it is
 * counted as spawned and cleared. Under the pool lock; nrecords > POOL_MAX_THREADS, so one is
 * always free.
 */
export function allocRecordLocked(ctl: Control): number {
  const { i32, f64, L } = ctl;
  const p = L.pool;
  const R = L.record;
  const n = L.params.nrecords;
  let record = Atomics.load(i32, p.recordCursor);
  for (let tries = 0; tries < n; tries++, record = (record + 1) % n) {
    const state = Atomics.load(i32, R.state.at(record));
    if (state !== WorkerState.BACKLOG && !isLiveWorker(state)) break;
  }
  Atomics.store(i32, p.recordCursor, (record + 1) % n);
  Atomics.store(i32, R.seq.at(record), Atomics.add(i32, p.spawned, 1));
  Atomics.store(i32, R.creator.at(record), -1);
  Atomics.store(i32, R.slot.at(record), -1);
  Atomics.store(i32, R.served.at(record), 0);
  Atomics.store(i32, R.inIo.at(record), 0);
  f64[R.tCreated.at(record)] = 0;
  f64[R.tReady.at(record)] = 0;
  f64[R.tFirstRequest.at(record)] = 0;
  f64[R.tExited.at(record)] = 0;
  f64[R.tRequested.at(record)] = stampMs();
  return record;
}

/** spawn_thread()'s new_threads++: `record` joins the backlog, after every record in it. */
export function backlogPushLocked(ctl: Control, record: number): void {
  const { i32, L } = ctl;
  const p = L.pool;
  const n = Atomics.load(i32, p.newThreads);
  Atomics.store(i32, L.record.state.at(record), WorkerState.BACKLOG);
  Atomics.store(
    i32,
    p.backlog.at((Atomics.load(i32, p.backlogHead) + n) % POOL_MAX_THREADS),
    record,
  );
  Atomics.store(i32, p.newThreads, n + 1);
}

/** do_spawn_thread()'s new_threads--: the oldest record leaves the backlog; -1 if it is empty. */
export function backlogShiftLocked(ctl: Control): number {
  const { i32, L } = ctl;
  const p = L.pool;
  const n = Atomics.load(i32, p.newThreads);
  if (n === 0) return -1;
  const head = Atomics.load(i32, p.backlogHead);
  Atomics.store(i32, p.backlogHead, (head + 1) % POOL_MAX_THREADS);
  Atomics.store(i32, p.newThreads, n - 1);
  return Atomics.load(i32, p.backlog.at(head));
}

/** Records of workers `thread` created that may still run. */
export function liveWorkersOf(ctl: Control, thread: number): number[] {
  const { i32, L } = ctl;
  const out: number[] = [];
  for (let r = 0; r < L.params.nrecords; r++) {
    const live = isLiveWorker(Atomics.load(i32, L.record.state.at(r)));
    if (live && Atomics.load(i32, L.record.creator.at(r)) === thread) out.push(r);
  }
  return out;
}

/** Every record in use, oldest first (a display snapshot: read without the lock). */
export function spawnRecords(ctl: Control): SpawnRecord[] {
  const { i32, f64, L } = ctl;
  const R = L.record;
  const out: SpawnRecord[] = [];
  for (let r = 0; r < L.params.nrecords; r++) {
    const state = SPAWN_STATE_NAMES[Atomics.load(i32, R.state.at(r))];
    if (state === undefined || state === 'unused') continue;
    out.push({
      seq: Atomics.load(i32, R.seq.at(r)),
      state,
      creator: threadName(Atomics.load(i32, R.creator.at(r))),
      slot: Atomics.load(i32, R.slot.at(r)),
      served: Atomics.load(i32, R.served.at(r)),
      tRequested: f64[R.tRequested.at(r)],
      tCreated: f64[R.tCreated.at(r)],
      tReady: f64[R.tReady.at(r)],
      tFirstRequest: f64[R.tFirstRequest.at(r)],
      tExited: f64[R.tExited.at(r)],
    });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
