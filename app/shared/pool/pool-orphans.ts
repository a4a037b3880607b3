// Pool workers that never run, or die unasked — QEMU's threads do neither. A worker's script may
// fail to load; under `inline` a worker dies with the vCPU that created it: that vCPU first takes
// the pool lock and waits its workers out of their I/O, then the page counts them out, gives
// back the requests they had taken, and grows the pool again for what still waits.

import { bhSchedule } from '../sync/bh.ts';
import { Errno } from '../block/errno.ts';
import { BH } from '../sync/loop-layout.ts';
import { WorkerState } from './record-layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import { liveWorkersOf } from './spawn-records.ts';
import type { PoolCore, WorkerCreator } from './thread-pool.ts';

/**
 * Worker `record` enters or leaves a batch's I/O (no lock: the worker's own word). Outside it,
 * the worker holds nothing a death could leave held but the pool lock.
 */
export function inIo(pool: PoolCore, record: number, on: boolean): void {
  const { i32, L } = pool.ctl;
  const at = L.record.inIo.at(record);
  Atomics.store(i32, at, on ? 1 : 0);
  if (!on) Atomics.notify(i32, at);
}

/**
 * VcpuWorkerApi.quiesce for any thread that creates pool workers itself (`inline`): if it made
 * some, which die with it, take the pool lock, keep it, and wait until none of them is inside a
 * batch's I/O. Returns whether this thread now holds the pool lock (the page then ends the
 * thread, counts its workers out and unlocks on its behalf).
 */
export async function quiesceOwnWorkers(pool: PoolCore, thread: number): Promise<boolean> {
  const mine = liveWorkersOf(pool.ctl, thread);
  if (mine.length === 0) return false;
  pool.lock.lock();
  await waitOutOfIoLocked(pool, mine);
  return true;
}

/**
 * Before the thread that created workers `records` is ended (they die with it): with the pool
 * lock held, wait until none of them is inside a batch's I/O — a worker that finishes one then
 * blocks on the pool lock holding nothing else, and dies there. The wait keeps the caller's
 * event loop turning: a nested worker's messages to its creator wait for that event loop.
 */
async function waitOutOfIoLocked(pool: PoolCore, records: readonly number[]): Promise<void> {
  const { i32, L } = pool.ctl;
  for (const r of records) {
    const at = L.record.inIo.at(r);
    while (Atomics.load(i32, at) !== 0) {
      const w = Atomics.waitAsync(i32, at, 1);
      if (w.async) await w.value;
    }
  }
}

/**
 * A worker's creator learned it will never run (its script failed to load, its init threw):
 * count it out unless it already counted itself in. If that leaves the pool with no worker at
 * all, nobody will serve what is queued: those requests fail with EIO now rather than wait for
 * ever (the next submit tries again). Returns whether it was counted out, i.e. it never ran and
 * cannot be blocked — safe to terminate.
 */
export async function workerNeverRan(pool: PoolCore, record: number): Promise<boolean> {
  const { ctl, requests } = pool;
  await pool.lock.lockAsync();
  const neverRan = Atomics.load(ctl.i32, ctl.L.record.state.at(record)) === WorkerState.CREATED;
  let failed = 0;
  if (neverRan) {
    workerLostLocked(pool, record);
    if (Atomics.load(ctl.i32, ctl.L.pool.curThreads) === 0) {
      while (!requests.empty() && pool.cancelLocked(requests.head(), Errno.EIO)) failed++;
    }
  }
  pool.lock.unlock();
  if (neverRan) Atomics.notify(ctl.i32, ctl.L.pool.curThreads);
  if (failed > 0) bhSchedule(ctl, BH.completion);
  return neverRan;
}

/**
 * A worker died with the vCPU that created it. The caller holds the lock on the dead vCPU's
 * behalf — it took it before it was ended, so no worker died inside a critical section — and
 * knows the worker is gone. Undo what the worker counted, and put the requests it had taken (a
 * batch) back at the head of the queue: a batch is one transaction, so redoing one whose commit
 * raced the death is safe. Returns how many requests were requeued.
 */
export function orphanLostLocked(pool: PoolCore, record: number): number {
  const { i32, f64, L } = pool.ctl;
  const S = L.slot;
  const state = Atomics.load(i32, L.record.state.at(record));
  if (state === WorkerState.EXITED || state === WorkerState.LOST) return 0;
  let requeued = 0;
  if (state === WorkerState.BUSY) {
    // Every request of its batch goes back, in slot order, at the head of the queue.
    for (let slot = L.params.nslots - 1; slot >= 0; slot--) {
      if (
        Atomics.load(i32, S.state.at(slot)) !== SlotState.ACTIVE ||
        Atomics.load(i32, S.worker.at(slot)) !== record
      ) {
        continue;
      }
      Atomics.store(i32, S.worker.at(slot), -1);
      f64[S.tStart.at(slot)] = 0;
      Atomics.store(i32, S.state.at(slot), SlotState.QUEUED);
      pool.requests.insertHead(slot);
      Atomics.add(i32, L.pool.requeued, 1);
      requeued++;
    }
  }
  // Its write batch, if it had one, no longer holds queued writes back.
  pool.picker.batchFinishedLocked(record);
  Atomics.add(i32, L.pool.lostWithCreator, 1);
  workerLostLocked(pool, record);
  return requeued;
}

/**
 * A worker will never run (again): it failed to load, or died with its creator. Undo what it
 * counted, and since it will not ask for the next owed worker, ask in its place (under `inline`
 * nothing is owed).
 */
function workerLostLocked(pool: PoolCore, record: number): void {
  const { i32, L } = pool.ctl;
  const state = Atomics.load(i32, L.record.state.at(record));
  if (state === WorkerState.CREATED) Atomics.add(i32, L.pool.pendingThreads, -1);
  // One that died in its idle wait was still counted idle.
  if (state === WorkerState.IDLE) Atomics.add(i32, L.pool.idleThreads, -1);
  pool.workerGoneLocked(record, WorkerState.LOST);
  if (Atomics.load(i32, L.pool.newThreads) > 0) bhSchedule(pool.ctl, BH.newThread);
}

/**
 * After workers were lost: requests wait and nobody is idle, so grow as submits would have
 * (spawn_thread once per batch's worth of waiting requests, up to max_threads).
 */
export function regrowLocked(pool: PoolCore, creator: WorkerCreator): void {
  const { i32, L } = pool.ctl;
  const p = L.pool;
  const get = (index: number) => Atomics.load(i32, index);
  let owed = pool.picker.workersFor(get(p.queueLength)) - get(p.idleThreads);
  while (owed-- > 0 && get(p.curThreads) < get(p.maxThreads)) pool.spawnThreadLocked(creator);
}
