// The AIO pool (cf. util/thread-pool.c), the same code on every thread that touches it: the
// counters and request list in shared memory, thread_pool_submit_aio(), spawn_thread(),
// do_spawn_thread(), spawn_thread_bh_fn(), thread_pool_update_params() and thread_pool_free();
// worker_thread() is in worker-thread.ts. The policy — who creates a worker, and when — is
// decided here and nowhere else: a caller only says how it would create one (a WorkerCreator).
// Methods named *Locked run with `lock` held by the caller.

import { bhCancel, bhSchedule } from './bh.ts';
import { stampMs } from './clock.ts';
import { QemuCond } from './cond.ts';
import { batchClassOf } from './block.ts';
import { Errno } from './errno.ts';
import { BH, POOL_MAX_THREADS, SlotState, WorkerState, type Control } from './layout.ts';
import { QemuMutex } from './mutex.ts';
import { POOL_POLICIES, PoolPolicy, type PoolConfig } from './pool-config.ts';
import { RequestList } from './request-list.ts';
import { allocRecordLocked } from './spawn-records.ts';
import { PoolTraceKind, poolTraceLocked } from './trace-ring.ts';

/** How one thread creates pool workers: the page's `new Worker`, or (`inline`) a vCPU's. */
export interface WorkerCreator {
  /** Recorded as each worker's creator: THREAD_MAIN, or threadIdOfVcpu(i). */
  readonly thread: number;
  /** Create and start the worker of spawn record `record` (cf. qemu_thread_create). It must not
   *  block; a worker that never runs is reported back with workerNeverRan(). */
  start(record: number): void;
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

export class PoolCore {
  readonly ctl: Control;
  /** ThreadPool.lock */
  readonly lock: QemuMutex;
  /** ThreadPool.request_cond */
  readonly requestCond: QemuCond;
  /** ThreadPool.request_list */
  private readonly requests: RequestList;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly L: Control['L'];

  constructor(ctl: Control) {
    this.ctl = ctl;
    this.i32 = ctl.i32;
    this.f64 = ctl.f64;
    this.L = ctl.L;
    this.lock = new QemuMutex(ctl.i32, ctl.L.pool.lock);
    this.requestCond = new QemuCond(ctl.i32, ctl.L.pool.requestCond);
    this.requests = new RequestList(ctl);
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

  /** The settings in force, read from their words. */
  config(): PoolConfig {
    const p = this.L.pool;
    const code = this.get(p.policy);
    return {
      policy: POOL_POLICIES.find((name) => PoolPolicy[name] === code) ?? 'bh',
      minThreads: this.get(p.minThreads),
      maxThreads: this.get(p.maxThreads),
      idleTimeoutMs: this.get(p.idleTimeoutMs),
    };
  }

  /** Write the settings (also before any worker exists, when nobody else can hold the lock). */
  writeParamsLocked(cfg: PoolConfig): void {
    const p = this.L.pool;
    this.set(p.policy, PoolPolicy[cfg.policy]);
    this.set(p.minThreads, cfg.minThreads);
    this.set(p.maxThreads, cfg.maxThreads);
    this.set(p.idleTimeoutMs, cfg.idleTimeoutMs);
  }

  // ---- submitting (any thread) ----

  /**
   * thread_pool_submit_aio()'s locked part; the slot is filled in (writeSlot). If nobody is
   * idle, one more worker is owed (spawn_thread); then queue it. With batching, a worker takes
   * up to aio.batch requests: one queued behind others that already owe a worker joins that
   * worker's batch, so only each batch-th queued request owes one (with batch 1, every one, as
   * in QEMU). The caller unlocks, then signals `requestCond` (see wakeupsFor).
   */
  submitLocked(slot: number, creator: WorkerCreator): void {
    const p = this.L.pool;
    this.set(this.L.slot.state.at(slot), SlotState.QUEUED);
    if (
      this.get(p.idleThreads) === 0 &&
      this.get(p.curThreads) < this.get(p.maxThreads) &&
      this.get(p.queueLength) % this.batchLimit() === 0
    ) {
      this.spawnThreadLocked(creator);
    }
    this.requests.insertTail(slot);
  }

  /** Requests a worker takes at most (aio.batch). */
  private batchLimit(): number {
    return Math.max(1, this.get(this.L.aio.batch));
  }

  /** Idle workers to wake for `count` new requests: one per batch's worth. */
  private wakeupsFor(count: number): number {
    return Math.ceil(count / this.batchLimit());
  }

  /** thread_pool_submit_aio() of one request, on a thread that may block (a vCPU's exit submits
   *  what it collected through queueMany). */
  submit(slot: number, creator: WorkerCreator): void {
    this.lock.lock();
    this.submitLocked(slot, creator);
    this.lock.unlock();
    this.requestCond.signal();
  }

  /**
   * thread_pool_submit_aio() for every request a vCPU exit collected, in order, under one hold
   * of the lock: the same queue and the same spawn decisions as one submit() each, without a
   * lock round trip per request in the exit path. Returns the wake-ups owed — one per batch of
   * requests — which the caller gives with wake() once it has dropped the BQL (cf. QEMU's
   * defer_call around a virtqueue's handler): a worker woken inside the exit takes one of the
   * two cores from the vCPU that holds the lock.
   */
  queueMany(slots: ArrayLike<number>, count: number, creator: WorkerCreator): number {
    if (count === 0) return 0;
    this.lock.lock();
    for (let i = 0; i < count; i++) this.submitLocked(slots[i], creator);
    this.lock.unlock();
    return this.wakeupsFor(count);
  }

  /** Wake up to `n` idle workers for what was queued (queueMany's debt). */
  wake(n: number): void {
    if (n > 0) this.requestCond.signal(n);
  }

  /** thread_pool_submit_aio() on the main thread, which may not block: it awaits the lock. */
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
    const cur = this.add(p.curThreads, 1);
    if (cur > this.get(p.curHighWater)) this.set(p.curHighWater, cur);
    const record = allocRecordLocked(this.ctl);
    this.set(this.L.record.state.at(record), WorkerState.BACKLOG);
    const n = this.get(p.newThreads);
    this.set(p.backlog.at((this.get(p.backlogHead) + n) % POOL_MAX_THREADS), record);
    this.set(p.newThreads, n + 1);
    poolTraceLocked(
      this.ctl,
      PoolTraceKind.SPAWN,
      record,
      this.f64[this.L.record.tRequested.at(record)],
    );
    // The policy's word, not config(): this runs once per request in a burst's exit.
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
    const record = this.popBacklogLocked();
    if (record === -1) return undefined;
    const pending = this.add(p.pendingThreads, 1);
    if (pending > this.get(p.pendingHighWater)) this.set(p.pendingHighWater, pending);
    this.set(R.creator.at(record), creator.thread);
    this.set(R.state.at(record), WorkerState.CREATED);
    const now = stampMs();
    this.f64[R.tCreated.at(record)] = now;
    poolTraceLocked(this.ctl, PoolTraceKind.CREATE, record, now);
    return () => creator.start(record);
  }

  /** The backlog is a ring of records in spawn order: its oldest (new_threads--), or -1. */
  private popBacklogLocked(): number {
    const p = this.L.pool;
    const n = this.get(p.newThreads);
    if (n === 0) return -1;
    const head = this.get(p.backlogHead);
    this.set(p.backlogHead, (head + 1) % POOL_MAX_THREADS);
    this.set(p.newThreads, n - 1);
    return this.get(p.backlog.at(head));
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
    const now = stampMs();
    this.f64[R.tReady.at(record)] = now;
    poolTraceLocked(this.ctl, PoolTraceKind.READY, record, now);
    if (this.get(p.newThreads) > 0) bhSchedule(this.ctl, BH.newThread);
    return true;
  }

  // ---- a worker's side (worker-thread.ts) ----

  /**
   * The queued request a worker may take now, or -1: the oldest, except that with batching
   * (aio.batch > 1) queued writes wait while a write batch runs — IndexedDB would run their
   * transaction after that one's anyway; waiting here, they join one batch instead of queueing
   * in IndexedDB one small transaction each. A read may then go first, never past a barrier.
   */
  nextRequestLocked(): number {
    const S = this.L.slot;
    const head = this.requests.head();
    if (head === -1 || this.batchLimit() === 1 || this.get(this.L.pool.writeBatches) === 0) {
      return head;
    }
    for (let s = head; s !== -1; s = this.requests.next(s)) {
      const cls = batchClassOf(this.get(S.op.at(s)));
      if (cls === 'read') return s;
      if (cls === 'barrier') return s === head ? s : -1;
    }
    return -1;
  }

  /**
   * A worker takes `first` (nextRequestLocked's) and — up to aio.batch in all — queued
   * requests after it that can share its transaction: of its batch class, found before any
   * barrier (a flush is never overtaken, nor batched). Each is ACTIVE and stamped; the
   * worker's record is BUSY with the first.
   */
  takeRequestsLocked(record: number, first: number): number[] {
    const S = this.L.slot;
    const R = this.L.record;
    const cls = batchClassOf(this.get(S.op.at(first)));
    const limit = cls === 'barrier' ? 1 : this.batchLimit();
    const slots = [first];
    for (
      let s = this.requests.next(first);
      s !== -1 && slots.length < limit;
      s = this.requests.next(s)
    ) {
      const other = batchClassOf(this.get(S.op.at(s)));
      if (other === 'barrier') break;
      if (other === cls) slots.push(s);
    }
    const now = stampMs();
    for (const slot of slots) {
      this.requests.remove(slot);
      this.f64[S.tStart.at(slot)] = now;
      this.set(S.worker.at(slot), record);
      this.set(S.state.at(slot), SlotState.ACTIVE);
    }
    if (cls === 'write') {
      this.set(R.writeBatch.at(record), 1);
      this.add(this.L.pool.writeBatches, 1);
    }
    this.set(R.state.at(record), WorkerState.BUSY);
    this.set(R.slot.at(record), first);
    const served = this.add(R.served.at(record), slots.length);
    if (served === slots.length) this.f64[R.tFirstRequest.at(record)] = now;
    return slots;
  }

  /** The worker's batch is done (its requests completed): writes queued behind it may go. */
  batchFinishedLocked(record: number): void {
    const at = this.L.record.writeBatch.at(record);
    if (this.get(at) === 0) return;
    this.set(at, 0);
    this.add(this.L.pool.writeBatches, -1);
  }

  /**
   * A worker enters or leaves a batch's I/O (no lock: the worker's own word). Outside it, the
   * worker holds nothing a death could leave held but the pool lock.
   */
  inIo(record: number, on: boolean): void {
    const at = this.L.record.inIo.at(record);
    Atomics.store(this.i32, at, on ? 1 : 0);
    if (!on) Atomics.notify(this.i32, at);
  }

  /**
   * Before the thread that created workers `records` is ended (they die with it): with the pool
   * lock held, wait until none of them is inside a batch's I/O — a worker that finishes one
   * then blocks on the pool lock holding nothing else, and dies there. The wait keeps the
   * caller's event loop turning: a nested worker's messages to its creator wait for that event
   * loop.
   */
  async waitOutOfIoLocked(records: readonly number[]): Promise<void> {
    for (const r of records) {
      const at = this.L.record.inIo.at(r);
      while (Atomics.load(this.i32, at) !== 0) {
        const w = Atomics.waitAsync(this.i32, at, 1);
        if (w.async) await w.value;
      }
    }
  }

  /** The worker finished `slot` (no lock): publish ret, then DONE, then wake the main loop. */
  requestDone(slot: number, ret: number): void {
    const S = this.L.slot;
    this.set(S.ret.at(slot), ret);
    this.f64[S.tDone.at(slot)] = stampMs();
    this.markDone(slot);
    bhSchedule(this.ctl, BH.completion);
  }

  queueEmpty(): boolean {
    return this.requests.empty();
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
    poolTraceLocked(this.ctl, PoolTraceKind.IDLE, record, stampMs());
    const woken =
      this.pollLocked() || this.requestCond.timedWait(this.lock, this.get(p.idleTimeoutMs));
    this.add(p.idleThreads, -1);
    poolTraceLocked(this.ctl, PoolTraceKind.WAKE, record, stampMs());
    return woken;
  }

  /**
   * Before an idle worker sleeps, one at a time polls the request condition for aio.pollUs
   * (cf. QEMU's poll-max-ns): a request submitted meanwhile is taken without the futex wake
   * that costs a sleeping worker tens of microseconds. True if a signal came while it polled.
   */
  private pollLocked(): boolean {
    const us = this.get(this.L.aio.pollUs);
    const { poller } = this.L.aio;
    if (us <= 0 || Atomics.compareExchange(this.i32, poller, 0, 1) !== 0) return false;
    try {
      return this.requestCond.poll(this.lock, us);
    } finally {
      Atomics.store(this.i32, poller, 0);
    }
  }

  /** A worker leaves its loop. The caller unlocks, signals `requestCond` and notifies cur. */
  workerExitLocked(record: number): void {
    this.add(this.L.pool.curThreads, -1);
    this.add(this.L.pool.exited, 1);
    this.set(this.L.record.state.at(record), WorkerState.EXITED);
    const now = stampMs();
    this.f64[this.L.record.tExited.at(record)] = now;
    poolTraceLocked(this.ctl, PoolTraceKind.EXIT, record, now);
  }

  // ---- workers that never run, or die unasked ----

  /** A worker that will never run (again) leaves cur_threads: LOST, with its time of exit. */
  private countedOutLocked(record: number): void {
    this.add(this.L.pool.curThreads, -1);
    this.add(this.L.pool.exited, 1);
    this.set(this.L.record.state.at(record), WorkerState.LOST);
    const now = stampMs();
    this.f64[this.L.record.tExited.at(record)] = now;
    poolTraceLocked(this.ctl, PoolTraceKind.LOST, record, now);
  }

  /** A worker will never run again (it failed to load, or died with its creator). */
  workerLostLocked(record: number): void {
    const p = this.L.pool;
    const R = this.L.record;
    const state = this.get(R.state.at(record));
    if (state === WorkerState.CREATED) this.add(p.pendingThreads, -1);
    // One that died in its idle wait was still counted idle.
    if (state === WorkerState.IDLE) this.add(p.idleThreads, -1);
    this.countedOutLocked(record);
    // It will not ask for the next one: ask in its place (under `inline` nothing is owed).
    if (this.get(p.newThreads) > 0) bhSchedule(this.ctl, BH.newThread);
  }

  /**
   * A worker's creator learned it will never run (its script failed to load, its init threw):
   * count it out unless it already counted itself in. If that leaves the pool with no worker
   * at all, nobody will serve what is queued: those requests fail with EIO now rather than wait
   * for ever (the next submit tries again). Returns whether it was counted out, i.e. it never
   * ran and cannot be blocked — safe to terminate.
   */
  async workerNeverRan(record: number): Promise<boolean> {
    await this.lock.lockAsync();
    const neverRan = this.get(this.L.record.state.at(record)) === WorkerState.CREATED;
    let failed = 0;
    if (neverRan) {
      this.workerLostLocked(record);
      if (this.get(this.L.pool.curThreads) === 0) {
        while (!this.requests.empty() && this.cancelLocked(this.requests.head(), Errno.EIO)) {
          failed++;
        }
      }
    }
    this.lock.unlock();
    if (neverRan) Atomics.notify(this.i32, this.L.pool.curThreads);
    if (failed > 0) bhSchedule(this.ctl, BH.completion);
    return neverRan;
  }

  /**
   * A worker died with the vCPU that created it (`inline`: nested workers die with their
   * creator). The caller holds the lock on the dead vCPU's behalf — it took it before it was
   * ended, so no worker died inside a critical section — and knows the worker is gone. Undo
   * what the worker counted, and put the requests it had taken (a batch) back at the head of
   * the queue: a batch is one transaction, so redoing one whose commit raced the death is safe.
   * Returns how many requests were requeued.
   */
  orphanLostLocked(record: number): number {
    const p = this.L.pool;
    const R = this.L.record;
    const S = this.L.slot;
    const state = this.get(R.state.at(record));
    if (state === WorkerState.EXITED || state === WorkerState.LOST) return 0;
    let requeued = 0;
    if (state === WorkerState.BUSY) {
      // Every request of its batch goes back, in slot order, at the head of the queue.
      for (let slot = this.L.params.nslots - 1; slot >= 0; slot--) {
        if (
          this.get(S.state.at(slot)) !== SlotState.ACTIVE ||
          this.get(S.worker.at(slot)) !== record
        ) {
          continue;
        }
        this.set(S.worker.at(slot), -1);
        this.f64[S.tStart.at(slot)] = 0;
        this.set(S.state.at(slot), SlotState.QUEUED);
        this.requests.insertHead(slot);
        this.add(p.requeued, 1);
        requeued++;
      }
    }
    // Its write batch, if it had one, no longer holds queued writes back.
    this.batchFinishedLocked(record);
    this.add(p.lostWithCreator, 1);
    this.workerLostLocked(record);
    return requeued;
  }

  /**
   * After workers were lost: requests wait and nobody is idle, so grow as submits would have
   * (spawn_thread once per batch's worth of waiting requests, up to max_threads).
   */
  regrowLocked(creator: WorkerCreator): void {
    const p = this.L.pool;
    let owed = this.wakeupsFor(this.get(p.queueLength)) - this.get(p.idleThreads);
    while (owed-- > 0 && this.get(p.curThreads) < this.get(p.maxThreads)) {
      this.spawnThreadLocked(creator);
    }
  }

  // ---- settings and shutdown (the main thread) ----

  /**
   * thread_pool_update_params(): apply the settings; where the policy pre-allocates, spawn up
   * to min_threads. Then wake every idle worker: surplus ones exit (cur_threads > max_threads),
   * the others wait again with the new timeout.
   */
  async updateParams(cfg: PoolConfig, creator: WorkerCreator): Promise<void> {
    await this.lock.lockAsync();
    this.writeParamsLocked(cfg);
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
    for (let record = this.popBacklogLocked(); record !== -1; record = this.popBacklogLocked()) {
      this.countedOutLocked(record);
    }
    this.set(p.maxThreads, 0);
    this.set(p.minThreads, 0);
  }
}
