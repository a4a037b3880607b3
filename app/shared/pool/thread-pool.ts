// The AIO pool (cf. util/thread-pool.c), the same code on every thread that touches it: the
// counters and request list in shared memory, thread_pool_submit_aio(), the seed patch's
// spawn_thread(), do_spawn_thread() and spawn_thread_bh_fn(), worker_thread()'s steps (its loop
// and idle wait are worker-thread.ts'), thread_pool_cancel(), thread_pool_update_params(),
// thread_pool_free(). The backlog's ring of spawn records is spawn-records.ts'.
// The policy — who creates a worker, and when — is decided here and nowhere else: a caller only
// says how it would create one (a WorkerCreator). Which request a worker takes is the picker's
// (request-picker.ts); workers that die unasked are pool-orphans.ts'; every step of a worker's
// life is reported to one observer (pool-observer.ts). Methods named *Locked run with `lock` held.

import { bhCancel, bhSchedule } from '../sync/bh.ts';
import { stampMs } from '../sync/clock.ts';
import { QemuCond } from '../sync/cond.ts';
import { Errno } from '../block/errno.ts';
import type { Control } from '../layout/layout.ts';
import { BH } from '../sync/loop-layout.ts';
import { WorkerState } from './record-layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import { QemuMutex } from '../sync/mutex.ts';
import { PoolPolicy, writePoolConfig, type PoolConfig } from './pool-config.ts';
import { sharedMemoryObserver, type PoolObserver } from './pool-observer.ts';
import { RequestList } from './request-list.ts';
import { RequestPicker } from './request-picker.ts';
import { allocRecordLocked, backlogPushLocked, backlogShiftLocked } from './spawn-records.ts';
import { PoolTraceKind } from '../trace/trace-ring.ts';

/** How one thread creates pool workers: the page's `new Worker`, or (`inline`) a vCPU's. */
export interface WorkerCreator {
  /** Recorded as each worker's creator: THREAD_MAIN, or threadIdOfVcpu(i). */
  readonly thread: number;
  /** Create and start the worker of spawn record `record` (cf. qemu_thread_create). It must not
   *  block; a worker that never runs is reported back with workerNeverRan(). */
  start(record: number): void;
}

export class PoolCore {
  readonly ctl: Control;
  /** ThreadPool.lock */
  readonly lock: QemuMutex;
  /** ThreadPool.request_cond */
  readonly requestCond: QemuCond;
  /** ThreadPool.request_list */
  readonly requests: RequestList;
  /** How a worker picks its next request(s) from `requests`. */
  readonly picker: RequestPicker;
  /** Told each step of a worker's life, under the lock (the worker loop's steps too). */
  readonly observer: PoolObserver;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly L: Control['L'];

  constructor(ctl: Control, observer: PoolObserver = sharedMemoryObserver(ctl)) {
    this.ctl = ctl;
    this.i32 = ctl.i32;
    this.f64 = ctl.f64;
    this.L = ctl.L;
    this.lock = new QemuMutex(ctl.i32, ctl.L.pool.lock);
    this.requestCond = new QemuCond(ctl.i32, ctl.L.pool.requestCond);
    this.requests = new RequestList(ctl);
    this.picker = new RequestPicker(ctl, this.requests);
    this.observer = observer;
  }

  private get(index: number): number {
    return Atomics.load(this.i32, index);
  }
  private set(index: number, v: number): void {
    Atomics.store(this.i32, index, v);
  }
  private add(index: number, d: number): number {
    return Atomics.add(this.i32, index, d) + d;
  }

  // ---- submitting (any thread) ----

  /**
   * thread_pool_submit_aio()'s locked part; the slot is filled in (writeSlot). If nobody is
   * idle, one more worker is owed (spawn_thread) — with batching, only by a request that starts
   * a batch (see the picker); then queue it. The caller unlocks, then signals `requestCond`.
   */
  submitLocked(slot: number, creator: WorkerCreator): void {
    const p = this.L.pool;
    this.set(this.L.slot.state.at(slot), SlotState.QUEUED);
    if (
      this.get(p.idleThreads) === 0 &&
      this.get(p.curThreads) < this.get(p.maxThreads) &&
      this.picker.startsBatchLocked()
    ) {
      this.spawnThreadLocked(creator);
    }
    this.requests.insertTail(slot);
  }

  /**
   * thread_pool_submit_aio() on a thread that may block, for every request a vCPU exit
   * collected, in order, under one hold of the lock: the same queue and the same spawn
   * decisions as one submitLocked() each, without a lock round trip per request in the exit.
   * Returns the wake-ups owed — one per batch of requests — which the caller gives with wake()
   * once it has dropped the BQL (cf. QEMU's defer_call around a virtqueue's handler): a worker
   * woken inside the exit takes one of the two cores from the vCPU that holds the lock.
   */
  queueMany(slots: ArrayLike<number>, count: number, creator: WorkerCreator): number {
    if (count === 0) return 0;
    this.lock.lock();
    for (let i = 0; i < count; i++) this.submitLocked(slots[i], creator);
    this.lock.unlock();
    return this.picker.workersFor(count);
  }

  /** Wake up to `n` idle workers for what was queued (queueMany's debt). */
  wake(n: number): void {
    if (n > 0) this.requestCond.signal(n);
  }

  /** thread_pool_submit_aio() on the main thread, which may not block: it awaits the lock,
   *  and wakes a worker at once (it holds no BQL a woken worker would wait for). */
  async submitAsync(slot: number, creator: WorkerCreator): Promise<void> {
    await this.lock.lockAsync();
    this.submitLocked(slot, creator);
    this.lock.unlock();
    this.requestCond.signal();
  }

  /** thread_pool_cancel(): only a request no worker has taken; it then completes with -errno. */
  cancelLocked(slot: number, errno: number = Errno.ECANCELED): boolean {
    const S = this.L.slot;
    if (this.get(S.state.at(slot)) !== SlotState.QUEUED) return false;
    this.requests.remove(slot);
    this.set(S.ret.at(slot), -errno);
    this.f64[S.tDone.at(slot)] = stampMs();
    this.markDone(slot);
    return true;
  }

  /** Publish a finished slot (ret and tDone written): DONE, then its bit for the completion BH. */
  private markDone(slot: number): void {
    const S = this.L.slot;
    // Write ret before state, and state before the bit: a slot found by its bit is DONE.
    this.set(S.state.at(slot), SlotState.DONE);
    Atomics.or(this.i32, S.doneBits.at(slot >>> 5), 1 << (slot & 31));
  }

  async cancel(slot: number): Promise<boolean> {
    await this.lock.lockAsync();
    const cancelled = this.cancelLocked(slot);
    this.lock.unlock();
    // A cancelled slot is DONE like any other: the completion BH finds it.
    if (cancelled) bhSchedule(this.ctl, BH.completion);
    return cancelled;
  }

  // ---- growing the pool: the seed's three ideas ----

  /**
   * spawn_thread(): one more worker is owed — counted in cur_threads and, until somebody
   * creates it, in the backlog (new_threads). Under `inline` (QEMU before the patch) the
   * submitter creates it right now, holding the pool lock and, on a vCPU, the BQL. Under the
   * patch the main thread is asked to (new_thread_bh) — unless a worker is being born: that
   * newborn will ask for the next one, so nobody creates many in one go.
   */
  spawnThreadLocked(creator: WorkerCreator): void {
    const p = this.L.pool;
    this.add(p.curThreads, 1);
    const record = allocRecordLocked(this.ctl);
    backlogPushLocked(this.ctl, record);
    this.observer.workerEvent(PoolTraceKind.SPAWN, record);
    // The policy's word, not readPoolConfig(): this runs once per request in a burst's exit.
    if (this.get(p.policy) === PoolPolicy.inline) {
      this.doSpawnThreadLocked(creator)?.();
    } else if (this.get(p.pendingThreads) === 0) {
      bhSchedule(this.ctl, BH.newThread);
    }
  }

  /**
   * do_spawn_thread(): the oldest owed worker leaves the backlog (new_threads--,
   * pending_threads++) and is given to `creator`. Returns the call that creates it, so the
   * caller decides whether to hold the pool lock meanwhile; undefined if nothing is owed.
   * This is the only way a pool worker comes to exist.
   */
  doSpawnThreadLocked(creator: WorkerCreator): (() => void) | undefined {
    const p = this.L.pool;
    const R = this.L.record;
    const record = backlogShiftLocked(this.ctl);
    if (record === -1) return undefined;
    this.add(p.pendingThreads, 1);
    this.set(R.creator.at(record), creator.thread);
    this.set(R.state.at(record), WorkerState.CREATED);
    this.observer.workerEvent(PoolTraceKind.CREATE, record);
    return () => creator.start(record);
  }

  /**
   * spawn_thread_bh_fn(): the main thread creates one owed worker per run, dropping the pool
   * lock while it does (the patch; the BQL, if any, stays held). It creates nothing while a
   * newborn is pending: that one asks again when it runs, so at most one worker is being born,
   * however often this was scheduled meanwhile.
   */
  async spawnThreadBh(creator: WorkerCreator): Promise<void> {
    await this.lock.lockAsync();
    const create =
      this.get(this.L.pool.pendingThreads) === 0 ? this.doSpawnThreadLocked(creator) : undefined;
    this.lock.unlock();
    create?.();
  }

  /**
   * The newborn's first act (cf. worker_thread(): pending_threads--, do_spawn_thread()): it is
   * running, and if more workers are owed it asks the main thread for the next one. It does not
   * create it itself: a worker created by a worker would be owned by it and die with it. False
   * for a worker given up for lost before it ran: it must not count itself in.
   */
  workerStartedLocked(record: number): boolean {
    const p = this.L.pool;
    const R = this.L.record;
    if (this.get(R.state.at(record)) !== WorkerState.CREATED) return false;
    this.add(p.pendingThreads, -1);
    this.set(R.state.at(record), WorkerState.RUNNING);
    this.observer.workerEvent(PoolTraceKind.READY, record);
    if (this.get(p.newThreads) > 0) bhSchedule(this.ctl, BH.newThread);
    return true;
  }

  // ---- a worker's side (worker-thread.ts) ----

  /**
   * worker_thread() takes `first` (the picker's nextLocked()) and, with batching, the queued
   * requests the picker adds to its batch: each leaves the list, ACTIVE on this worker; the
   * worker BUSY.
   */
  takeRequestsLocked(record: number, first: number): number[] {
    const S = this.L.slot;
    const slots = this.picker.batchLocked(record, first);
    const now = stampMs();
    for (const slot of slots) {
      this.requests.remove(slot);
      this.f64[S.tStart.at(slot)] = now;
      this.set(S.worker.at(slot), record);
      this.set(S.state.at(slot), SlotState.ACTIVE);
    }
    this.set(this.L.record.state.at(record), WorkerState.BUSY);
    this.observer.requestsTaken(record, slots, now);
    return slots;
  }

  /** The worker finished `slot` (no lock): publish ret, then DONE, then wake the main loop. */
  requestDone(slot: number, ret: number): void {
    const S = this.L.slot;
    this.set(S.ret.at(slot), ret);
    this.f64[S.tDone.at(slot)] = stampMs();
    this.markDone(slot);
    bhSchedule(this.ctl, BH.completion);
  }

  /**
   * A worker leaves cur_threads for good (cf. worker_thread()'s cur_threads--): EXITED from its
   * loop (the caller unlocks, signals `requestCond` and notifies cur), or LOST — never created
   * (thread_pool_free()), or never to run again (pool-orphans.ts).
   */
  workerGoneLocked(
    record: number,
    state: typeof WorkerState.EXITED | typeof WorkerState.LOST,
  ): void {
    this.add(this.L.pool.curThreads, -1);
    this.add(this.L.pool.exited, 1);
    this.set(this.L.record.state.at(record), state);
    const kind = state === WorkerState.EXITED ? PoolTraceKind.EXIT : PoolTraceKind.LOST;
    this.observer.workerEvent(kind, record);
  }

  // ---- settings and shutdown (the main thread) ----

  /**
   * thread_pool_update_params(): apply the settings; where the policy pre-allocates, spawn up
   * to min_threads. Then wake every idle worker: surplus ones exit (cur_threads > max_threads),
   * the others wait again with the new timeout.
   */
  async updateParams(cfg: PoolConfig, creator: WorkerCreator): Promise<void> {
    await this.lock.lockAsync();
    writePoolConfig(this.ctl, cfg);
    if (cfg.policy === 'prealloc') {
      for (let i = this.get(this.L.pool.curThreads); i < cfg.minThreads; i++) {
        this.spawnThreadLocked(creator);
      }
    }
    this.lock.unlock();
    this.requestCond.broadcast();
  }

  /**
   * thread_pool_free()'s locked part: forget the backlog (cur_threads -= new_threads), and make
   * every worker leave its loop (max_threads = 0). The caller unlocks, broadcasts, and waits
   * for cur_threads to reach 0.
   */
  freeLocked(): void {
    const p = this.L.pool;
    bhCancel(this.ctl, BH.newThread);
    for (let r = backlogShiftLocked(this.ctl); r !== -1; r = backlogShiftLocked(this.ctl)) {
      this.workerGoneLocked(r, WorkerState.LOST);
    }
    this.set(p.maxThreads, 0);
    this.set(p.minThreads, 0);
  }
}
