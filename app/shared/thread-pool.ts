// The AIO pool's core (cf. util/thread-pool.c), shared by every thread that touches the pool:
// its counters, its request list, spawn_thread() and the locked half of do_spawn_thread().
// A policy decides only who creates a worker and when; everything else is one code path.
// Methods named *Locked run with `lock` held by the caller.

import { bhCancel, bhSchedule } from './bh.ts';
import { stampMs } from './clock.ts';
import { QemuCond } from './cond.ts';
import { Errno } from './errno.ts';
import {
  BH,
  POOL_MAX_THREADS,
  SlotState,
  WorkerState,
  type Control,
  type ControlLayout,
} from './layout.ts';
import { QemuMutex } from './mutex.ts';
import { POOL_POLICIES, PoolPolicy, type PoolConfig, type PoolPolicyName } from './pool-config.ts';

// The settings live in pool-config.ts; most users want them with the core.
export {
  DEFAULT_POOL_CONFIG,
  mergePoolConfig,
  POOL_POLICIES,
  PoolPolicy,
  type PoolConfig,
  type PoolPolicyName,
} from './pool-config.ts';

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

export class PoolCore {
  readonly ctl: Control;
  /** ThreadPool.lock */
  readonly lock: QemuMutex;
  /** ThreadPool.request_cond */
  readonly requestCond: QemuCond;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly L: ControlLayout;

  constructor(ctl: Control) {
    this.ctl = ctl;
    this.i32 = ctl.i32;
    this.f64 = ctl.f64;
    this.L = ctl.L;
    this.lock = new QemuMutex(ctl.i32, ctl.L.pool.lock);
    this.requestCond = new QemuCond(ctl.i32, ctl.L.pool.requestCond);
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

  /** A snapshot; exact when taken under the lock, a display value otherwise. */
  counters(): PoolCounters {
    const p = this.L.pool;
    return {
      cur_threads: this.get(p.curThreads),
      idle_threads: this.get(p.idleThreads),
      new_threads: this.get(p.newThreads),
      pending_threads: this.get(p.pendingThreads),
      min_threads: this.get(p.minThreads),
      max_threads: this.get(p.maxThreads),
      spawned: this.get(p.spawned),
      exited: this.get(p.exited),
      queued: this.get(p.queueLength),
      cur_high_water: this.get(p.curHighWater),
      pending_high_water: this.get(p.pendingHighWater),
      lost_with_creator: this.get(p.lostWithCreator),
      requeued: this.get(p.requeued),
    };
  }

  policy(): PoolPolicyName {
    const code = this.get(this.L.pool.policy);
    return POOL_POLICIES.find((name) => PoolPolicy[name] === code) ?? 'bh';
  }

  idleTimeoutMs(): number {
    return this.get(this.L.pool.idleTimeoutMs);
  }

  /** Before any worker exists: write the whole configuration. */
  initLocked(cfg: PoolConfig): void {
    const p = this.L.pool;
    this.set(p.policy, PoolPolicy[cfg.policy]);
    this.set(p.minThreads, cfg.minThreads);
    this.set(p.maxThreads, cfg.maxThreads);
    this.set(p.idleTimeoutMs, cfg.idleTimeoutMs);
  }

  // ---- the request list (QTAILQ of slots) ----

  queueEmpty(): boolean {
    return this.get(this.L.pool.queueHead) === -1;
  }

  private enqueueLocked(slot: number): void {
    const { pool, slot: S } = this.L;
    const tail = this.get(pool.queueTail);
    this.set(S.next.at(slot), -1);
    this.set(S.prev.at(slot), tail);
    if (tail === -1) this.set(pool.queueHead, slot);
    else this.set(S.next.at(tail), slot);
    this.set(pool.queueTail, slot);
    this.add(pool.queueLength, 1);
  }

  private pushFrontLocked(slot: number): void {
    const { pool, slot: S } = this.L;
    const head = this.get(pool.queueHead);
    this.set(S.prev.at(slot), -1);
    this.set(S.next.at(slot), head);
    if (head === -1) this.set(pool.queueTail, slot);
    else this.set(S.prev.at(head), slot);
    this.set(pool.queueHead, slot);
    this.add(pool.queueLength, 1);
  }

  private unlinkLocked(slot: number): void {
    const { pool, slot: S } = this.L;
    const next = this.get(S.next.at(slot));
    const prev = this.get(S.prev.at(slot));
    if (prev === -1) this.set(pool.queueHead, next);
    else this.set(S.next.at(prev), next);
    if (next === -1) this.set(pool.queueTail, prev);
    else this.set(S.prev.at(next), prev);
    this.set(S.next.at(slot), -1);
    this.set(S.prev.at(slot), -1);
    this.add(pool.queueLength, -1);
  }

  /**
   * A worker takes the oldest queued request: ACTIVE, stamped, and the worker's record BUSY
   * with it. The caller has checked the queue is not empty.
   */
  takeRequestLocked(record: number): number {
    const S = this.L.slot;
    const R = this.L.record;
    const slot = this.get(this.L.pool.queueHead);
    this.unlinkLocked(slot);
    const now = stampMs();
    this.f64[S.tStart.at(slot)] = now;
    this.set(S.worker.at(slot), record);
    this.set(S.state.at(slot), SlotState.ACTIVE);
    this.set(R.state.at(record), WorkerState.BUSY);
    this.set(R.slot.at(record), slot);
    if (this.add(R.served.at(record), 1) === 1) this.f64[R.tFirstRequest.at(record)] = now;
    return slot;
  }

  /** The worker finished `slot` (no lock): publish ret, then DONE, then wake the main loop. */
  requestDone(slot: number, ret: number): void {
    const S = this.L.slot;
    this.set(S.ret.at(slot), ret);
    this.f64[S.tDone.at(slot)] = stampMs();
    // Write ret before state.
    this.set(S.state.at(slot), SlotState.DONE);
    bhSchedule(this.ctl, BH.completion);
  }

  /** worker_thread()'s loop condition: cur_threads <= max_threads. */
  mayRunLocked(): boolean {
    return this.get(this.L.pool.curThreads) <= this.get(this.L.pool.maxThreads);
  }

  /** Whether an idle worker whose wait timed out may leave: more than min_threads exist. */
  aboveMinLocked(): boolean {
    return this.get(this.L.pool.curThreads) > this.get(this.L.pool.minThreads);
  }

  /** Wait for a request as an idle worker; false if the idle timeout passed. */
  idleWaitLocked(record: number): boolean {
    const p = this.L.pool;
    const R = this.L.record;
    this.add(p.idleThreads, 1);
    this.set(R.state.at(record), WorkerState.IDLE);
    this.set(R.slot.at(record), -1);
    const woken = this.requestCond.timedWait(this.lock, this.get(p.idleTimeoutMs));
    this.add(p.idleThreads, -1);
    return woken;
  }

  /**
   * thread_pool_submit_aio()'s locked part: the slot is filled in; grow the pool if nobody is
   * idle, then queue it. The caller unlocks, then signals `requestCond`.
   */
  submitLocked(slot: number): void {
    const p = this.L.pool;
    this.set(this.L.slot.state.at(slot), SlotState.QUEUED);
    if (this.get(p.idleThreads) === 0 && this.get(p.curThreads) < this.get(p.maxThreads)) {
      this.spawnThreadLocked();
    }
    this.enqueueLocked(slot);
  }

  /** Cancel a request that no worker has taken yet (cf. thread_pool_cancel). */
  cancelLocked(slot: number, errno: number = Errno.ECANCELED): boolean {
    const S = this.L.slot;
    if (this.get(S.state.at(slot)) !== SlotState.QUEUED) return false;
    this.unlinkLocked(slot);
    this.set(S.ret.at(slot), -errno);
    this.f64[S.tDone.at(slot)] = stampMs();
    // Write ret before state.
    this.set(S.state.at(slot), SlotState.DONE);
    return true;
  }

  // ---- growing the pool ----

  /**
   * spawn_thread(): one more thread is owed. Count it and put a record in the backlog. Under
   * `bh` and `prealloc`, ask the main thread to create it unless a newborn is pending — that
   * newborn will ask again (cf. the patch). Under `inline` the submitter drains the backlog
   * itself, right now, with its locks held.
   */
  spawnThreadLocked(): void {
    const p = this.L.pool;
    const R = this.L.record;
    const cur = this.add(p.curThreads, 1);
    if (cur > this.get(p.curHighWater)) this.set(p.curHighWater, cur);
    const record = this.allocRecordLocked();
    this.set(R.state.at(record), WorkerState.BACKLOG);
    this.f64[R.tRequested.at(record)] = stampMs();
    const n = this.get(p.newThreads);
    const head = this.get(p.backlogHead);
    this.set(p.backlog + ((head + n) % POOL_MAX_THREADS), record);
    this.set(p.newThreads, n + 1);
    if (this.policy() !== 'inline' && this.get(p.pendingThreads) === 0) {
      bhSchedule(this.ctl, BH.newThread);
    }
  }

  /**
   * do_spawn_thread()'s locked part: take the oldest backlog record for a worker that `creator`
   * is about to create (pending_threads++). -1 if the backlog is empty. The caller drops the lock
   * before it creates the worker.
   */
  takeBacklogLocked(creator: number): number {
    const record = this.popBacklogLocked();
    if (record === -1) return -1;
    const p = this.L.pool;
    const R = this.L.record;
    const pending = this.add(p.pendingThreads, 1);
    if (pending > this.get(p.pendingHighWater)) this.set(p.pendingHighWater, pending);
    this.set(R.creator.at(record), creator);
    this.set(R.state.at(record), WorkerState.CREATED);
    this.f64[R.tCreated.at(record)] = stampMs();
    return record;
  }

  /**
   * The bottom half's take: like takeBacklogLocked(THREAD_MAIN), but only while no newborn is
   * pending. If one is, it will ask again when it runs — so at most one worker is ever being
   * born under `bh`, however often the bottom half was scheduled meanwhile.
   */
  bhTakeBacklogLocked(creator: number): number {
    if (this.get(this.L.pool.pendingThreads) > 0) return -1;
    return this.takeBacklogLocked(creator);
  }

  private popBacklogLocked(): number {
    const p = this.L.pool;
    const n = this.get(p.newThreads);
    if (n === 0) return -1;
    const head = this.get(p.backlogHead);
    this.set(p.backlogHead, (head + 1) % POOL_MAX_THREADS);
    this.set(p.newThreads, n - 1);
    return this.get(p.backlog + head);
  }

  /**
   * The newborn's first act: it is running (pending_threads--), and if the backlog is not empty,
   * it asks the main thread for the next one. It does not create it itself: a worker created by
   * a worker would be owned by it and die with it (DESIGN.md §2).
   */
  workerStartedLocked(record: number): boolean {
    const p = this.L.pool;
    // A worker given up for lost (its creator died before it ran) must not count itself in.
    if (this.get(this.L.record.state.at(record)) !== WorkerState.CREATED) return false;
    this.add(p.pendingThreads, -1);
    this.set(this.L.record.state.at(record), WorkerState.RUNNING);
    this.f64[this.L.record.tReady.at(record)] = stampMs();
    if (this.get(p.newThreads) > 0) bhSchedule(this.ctl, BH.newThread);
    return true;
  }

  /** A worker leaves its loop. The caller unlocks, signals `requestCond` and notifies cur. */
  workerExitLocked(record: number): void {
    this.add(this.L.pool.curThreads, -1);
    this.add(this.L.pool.exited, 1);
    this.set(this.L.record.state.at(record), WorkerState.EXITED);
    this.f64[this.L.record.tExited.at(record)] = stampMs();
  }

  /** A worker will never run again (it failed to load, or died with its creator). */
  workerLostLocked(record: number): void {
    const R = this.L.record;
    const state = this.get(R.state.at(record));
    if (state === WorkerState.CREATED) this.add(this.L.pool.pendingThreads, -1);
    // One that died in its idle wait was still counted idle.
    if (state === WorkerState.IDLE) this.add(this.L.pool.idleThreads, -1);
    this.add(this.L.pool.curThreads, -1);
    this.add(this.L.pool.exited, 1);
    this.set(R.state.at(record), WorkerState.LOST);
    this.f64[R.tExited.at(record)] = stampMs();
    if (this.get(this.L.pool.newThreads) > 0 && this.policy() !== 'inline') {
      bhSchedule(this.ctl, BH.newThread);
    }
  }

  /**
   * A worker died with the vCPU that created it (`inline`: nested workers die with their
   * creator). The caller holds the lock on the dead vCPU's behalf — it took it before it was
   * ended, so no worker died inside a critical section — and knows the worker is gone. Undo
   * what the worker counted, and put the request it had taken back at the head of the queue:
   * a request is one transaction, so redoing one whose commit raced the death is safe.
   * Returns whether a request was requeued.
   */
  orphanLostLocked(record: number): boolean {
    const p = this.L.pool;
    const R = this.L.record;
    const S = this.L.slot;
    const state = this.get(R.state.at(record));
    if (state === WorkerState.EXITED || state === WorkerState.LOST) return false;
    let requeued = false;
    if (state === WorkerState.BUSY) {
      const slot = this.get(R.slot.at(record));
      if (
        slot >= 0 &&
        this.get(S.state.at(slot)) === SlotState.ACTIVE &&
        this.get(S.worker.at(slot)) === record
      ) {
        this.set(S.worker.at(slot), -1);
        this.f64[S.tStart.at(slot)] = 0;
        this.set(S.state.at(slot), SlotState.QUEUED);
        this.pushFrontLocked(slot);
        this.add(p.requeued, 1);
        requeued = true;
      }
    }
    this.add(p.lostWithCreator, 1);
    this.workerLostLocked(record);
    return requeued;
  }

  /**
   * After workers were lost: requests wait and nobody is idle, so grow as a submit would
   * (spawn_thread once per waiting request, up to max_threads). Under `inline` the caller
   * then creates the backlog itself.
   */
  regrowLocked(): void {
    const p = this.L.pool;
    let waiting = this.get(p.queueLength) - this.get(p.idleThreads);
    while (waiting-- > 0 && this.get(p.curThreads) < this.get(p.maxThreads))
      this.spawnThreadLocked();
  }

  /**
   * thread_pool_update_params(): apply min/max (and our policy and idle timeout). Spawns up to
   * min_threads where the policy pre-allocates; surplus workers exit as they wake. The caller
   * unlocks, then broadcasts `requestCond` if this returns true.
   */
  updateParamsLocked(cfg: PoolConfig): boolean {
    const p = this.L.pool;
    this.set(p.policy, PoolPolicy[cfg.policy]);
    this.set(p.idleTimeoutMs, cfg.idleTimeoutMs);
    this.set(p.minThreads, cfg.minThreads);
    this.set(p.maxThreads, cfg.maxThreads);
    if (cfg.policy === 'prealloc') {
      for (let i = this.get(p.curThreads); i < cfg.minThreads; i++) this.spawnThreadLocked();
    }
    return this.get(p.curThreads) > cfg.maxThreads;
  }

  /**
   * thread_pool_free()'s locked part: forget the backlog, and make every worker leave its loop
   * (max_threads = 0). The caller unlocks, broadcasts, and waits for cur_threads to reach 0.
   */
  shutdownLocked(): void {
    const p = this.L.pool;
    const R = this.L.record;
    bhCancel(this.ctl, BH.newThread);
    // cur_threads -= new_threads; new_threads = 0
    for (let record = this.popBacklogLocked(); record !== -1; record = this.popBacklogLocked()) {
      this.add(p.curThreads, -1);
      this.add(p.exited, 1);
      this.set(R.state.at(record), WorkerState.LOST);
      this.f64[R.tExited.at(record)] = stampMs();
    }
    this.set(p.maxThreads, 0);
    this.set(p.minThreads, 0);
  }

  // ---- spawn records ----

  /** A record that no live worker holds, searching from the cursor; counts the spawn. */
  private allocRecordLocked(): number {
    const p = this.L.pool;
    const R = this.L.record;
    const n = this.L.params.nrecords;
    let record = this.get(p.recordCursor);
    for (let tries = 0; tries < n; tries++, record = (record + 1) % n) {
      const state = this.get(R.state.at(record));
      if (
        state === WorkerState.UNUSED ||
        state === WorkerState.EXITED ||
        state === WorkerState.LOST
      ) {
        break;
      }
    }
    this.set(p.recordCursor, (record + 1) % n);
    this.set(R.seq.at(record), this.add(p.spawned, 1) - 1);
    this.set(R.creator.at(record), -1);
    this.set(R.slot.at(record), -1);
    this.set(R.served.at(record), 0);
    for (const t of [R.tRequested, R.tCreated, R.tReady, R.tFirstRequest, R.tExited]) {
      this.f64[t.at(record)] = 0;
    }
    return record;
  }
}
