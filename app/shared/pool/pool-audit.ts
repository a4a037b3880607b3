// Do the pool's counters tell the truth? Recount them from the spawn records and the request
// slots, under the pool lock, and say where they differ. The tests use it after every kind of
// upheaval; the page shows it.

import type { Control } from '../layout/layout.ts';
import { isLiveWorker, WorkerState } from './record-layout.ts';
import { SlotState } from '../block/slot-layout.ts';

/** Discrepancies between the counters and what the records and slots say; [] if none. */
export function auditPoolLocked(ctl: Control): string[] {
  const { i32, L } = ctl;
  const get = (index: number) => Atomics.load(i32, index);
  const R = L.record;
  const S = L.slot;
  const byState = new Map<number, number>();
  for (let r = 0; r < L.params.nrecords; r++) {
    const state = get(R.state.at(r));
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  const n = (state: number) => byState.get(state) ?? 0;
  let live = 0;
  for (const [state, count] of byState) if (isLiveWorker(state)) live += count;
  const problems: string[] = [];
  const expect = (what: string, counter: number, counted: number) => {
    if (counter !== counted) problems.push(`${what} is ${counter}, the records say ${counted}`);
  };
  expect('cur_threads', get(L.pool.curThreads), live + n(WorkerState.BACKLOG));
  expect('new_threads', get(L.pool.newThreads), n(WorkerState.BACKLOG));
  expect('pending_threads', get(L.pool.pendingThreads), n(WorkerState.CREATED));
  expect('idle_threads', get(L.pool.idleThreads), n(WorkerState.IDLE));
  expect('exited', get(L.pool.exited), n(WorkerState.EXITED) + n(WorkerState.LOST));
  let writing = 0;
  for (let r = 0; r < L.params.nrecords; r++) writing += get(R.writeBatch.at(r));
  expect('write batches', get(L.pool.writeBatches), writing);

  let queued = 0;
  for (let s = 0; s < L.params.nslots; s++) {
    const state = get(S.state.at(s));
    if (state === SlotState.QUEUED) queued++;
    if (state === SlotState.ACTIVE) {
      const w = get(S.worker.at(s));
      // A worker serving a batch is busy with each of its slots (R.slot names the first).
      if (w < 0 || get(R.state.at(w)) !== WorkerState.BUSY) {
        problems.push(`slot ${s} is ACTIVE on worker record ${w}, which is not busy`);
      }
    }
  }
  let listed = 0;
  for (
    let s = get(L.pool.queueHead);
    s !== -1 && listed <= L.params.nslots;
    s = get(S.next.at(s))
  ) {
    if (get(S.state.at(s)) !== SlotState.QUEUED)
      problems.push(`slot ${s} is on the queue but not QUEUED`);
    listed++;
  }
  expect('the queue length', get(L.pool.queueLength), listed);
  if (listed !== queued) problems.push(`${queued} slots are QUEUED but ${listed} are on the queue`);
  return problems;
}
