// The AIO pool as the page owns it (cf. util/thread-pool.c): the main-thread bottom halves that
// create workers (spawn_thread_bh_fn) and complete requests (thread_pool_completion_bh),
// submission and cancellation from the page, run-time parameters, and shutdown.

import { wrap } from 'comlink';
import type { MainLoop } from './main-loop.ts';
import { spawnAioWorker } from './spawn.ts';
import { bhSchedule } from './shared/bh.ts';
import type { CacheMode } from './shared/block.ts';
import { lifetimeLockName, type AioImageParams, type AioWorkerApi } from './shared/contracts.ts';
import { auditPoolLocked } from './shared/pool-audit.ts';
import { Histogram } from './shared/histogram.ts';
import { BH, SlotState, THREAD_MAIN, WorkerState, type Control } from './shared/layout.ts';
import {
  mergePoolConfig,
  PoolCore,
  type PoolConfig,
  type PoolCounters,
} from './shared/thread-pool.ts';

export type SpawnState = 'backlog' | 'created' | 'running' | 'idle' | 'busy' | 'exited' | 'lost';
const STATE_NAMES: Record<number, SpawnState> = {
  [WorkerState.BACKLOG]: 'backlog',
  [WorkerState.CREATED]: 'created',
  [WorkerState.RUNNING]: 'running',
  [WorkerState.IDLE]: 'idle',
  [WorkerState.BUSY]: 'busy',
  [WorkerState.EXITED]: 'exited',
  [WorkerState.LOST]: 'lost',
};

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

export function threadName(id: number): string | null {
  if (id < 0) return null;
  return id === THREAD_MAIN ? 'main' : `vcpu${id - 1}`;
}

export interface ThreadPoolOptions {
  ctl: Control;
  loop: MainLoop;
  /** What request segments point into. */
  dma: SharedArrayBuffer;
  image: AioImageParams;
  cache: CacheMode;
  config: PoolConfig;
}

/** Called by the completion BH for each DONE slot of a client, before the slot is freed. */
export type CompletionFn = (slot: number) => void;

const SHUTDOWN_TIMEOUT_MS = 30_000;
/** How long a worker may take to die after its creator was ended (measured: milliseconds). */
const ORPHAN_TIMEOUT_MS = 30_000;

export class ThreadPool {
  readonly core: PoolCore;
  private readonly ctl: Control;
  private readonly opts: ThreadPoolOptions;
  private config: PoolConfig;
  /** Workers this page created, by spawn record, until they are known to be gone. */
  private readonly workers = new Map<number, Worker>();
  private readonly clients = new Map<number, CompletionFn>();
  /** Requests completed per completion-BH run (a count, kept in a µs-shaped histogram). */
  readonly completionBatch = Histogram.create();
  /** Called at the end of each completion-BH run (the machine raises interrupts there). */
  afterCompletions: (() => void) | undefined;
  /** Names this pool's workers' lifetime Web Locks. */
  readonly workerLockPrefix = `webaio-aio:${crypto.randomUUID()}`;
  /** Serialises parameter updates, so they apply in the order they were made. */
  private updates: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: ThreadPoolOptions) {
    this.opts = opts;
    this.ctl = opts.ctl;
    this.core = new PoolCore(opts.ctl);
    this.config = { ...opts.config };
    // No worker exists yet, so nobody else can hold the lock.
    this.core.initLocked(this.config);
    // Unlike QEMU's, this bottom half runs without the BQL: new Worker() can take milliseconds
    // on the caller (up to 6 ms measured), every one of which a vCPU exit would wait.
    opts.loop.bhNew(BH.newThread, 'new_thread_bh', () => this.spawnThreadBh(), { locked: false });
    opts.loop.bhNew(BH.completion, 'completion_bh', () => this.completionBh());
  }

  /** Apply the configuration as thread_pool_update_params() would (prealloc spawns to min). */
  start(): Promise<void> {
    return this.setConfig({});
  }

  get configuration(): Readonly<PoolConfig> {
    return this.config;
  }

  /** Register who completes the slots submitted with `client`. */
  onComplete(client: number, fn: CompletionFn): void {
    this.clients.set(client, fn);
  }

  /** thread_pool_submit_aio() from the page: the slot is filled in (see writeSlot). */
  async submit(slot: number): Promise<void> {
    const { core } = this;
    await core.lock.lockAsync();
    core.submitLocked(slot);
    if (core.policy() === 'inline') this.drainBacklogLocked();
    core.lock.unlock();
    core.requestCond.signal();
  }

  /** Cancel a request if it is still queued; it then completes with -ECANCELED. */
  async cancel(slot: number): Promise<boolean> {
    await this.core.lock.lockAsync();
    const cancelled = this.core.cancelLocked(slot);
    this.core.lock.unlock();
    if (cancelled) this.completionBhSoon();
    return cancelled;
  }

  /** Validate now, apply in order; resolves once applied. */
  setConfig(cfg: Partial<PoolConfig>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the pool is shut down'));
    try {
      this.config = mergePoolConfig(this.config, cfg);
    } catch (e) {
      return Promise.reject(e);
    }
    const next = { ...this.config };
    this.updates = this.updates.then(async () => {
      const { core } = this;
      await core.lock.lockAsync();
      core.updateParamsLocked(next);
      if (core.policy() === 'inline') this.drainBacklogLocked();
      core.lock.unlock();
      // Wake idle workers so surplus ones exit and the others re-arm with the new timeout.
      core.requestCond.broadcast();
    });
    return this.updates;
  }

  counters(): PoolCounters {
    return this.core.counters();
  }

  /** Every spawn record in use, oldest first. */
  records(): SpawnRecord[] {
    const { i32, f64, L } = this.ctl;
    const R = L.record;
    const out: SpawnRecord[] = [];
    for (let r = 0; r < L.params.nrecords; r++) {
      const state = Atomics.load(i32, R.state.at(r));
      if (state === WorkerState.UNUSED) continue;
      out.push({
        seq: Atomics.load(i32, R.seq.at(r)),
        state: STATE_NAMES[state] ?? 'lost',
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

  /** Recount the counters from the records and slots (under the lock); [] if they agree. */
  async audit(): Promise<string[]> {
    await this.core.lock.lockAsync();
    try {
      return auditPoolLocked(this.ctl);
    } finally {
      this.core.lock.unlock();
    }
  }

  /**
   * The vCPU thread `creator` was ended while it held the pool lock (see VcpuWorkerApi.quiesce),
   * and the workers it created died with it. Wait until each is really gone (its lifetime Web
   * Lock is free), then undo what they counted, requeue the requests they had taken, grow the
   * pool again if requests wait, and unlock on the dead thread's behalf.
   */
  async recoverOrphans(creator: number): Promise<{ lost: number; requeued: number }> {
    const { core, ctl } = this;
    const R = ctl.L.record;
    const orphans: number[] = [];
    for (let r = 0; r < ctl.L.params.nrecords; r++) {
      const state = Atomics.load(ctl.i32, R.state.at(r));
      const live =
        state === WorkerState.CREATED ||
        state === WorkerState.RUNNING ||
        state === WorkerState.IDLE ||
        state === WorkerState.BUSY;
      if (live && Atomics.load(ctl.i32, R.creator.at(r)) === creator) orphans.push(r);
    }
    await Promise.all(orphans.map((r) => this.gone(r)));
    let requeued = 0;
    for (const r of orphans) if (core.orphanLostLocked(r)) requeued++;
    core.regrowLocked();
    if (core.policy() === 'inline') this.drainBacklogLocked();
    core.lock.unlock();
    core.requestCond.broadcast();
    Atomics.notify(ctl.i32, ctl.L.pool.curThreads);
    return { lost: orphans.length, requeued };
  }

  /** Resolves once worker `record` no longer runs: its lifetime lock can be taken. */
  private async gone(record: number): Promise<void> {
    const name = lifetimeLockName(this.workerLockPrefix, record);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new Error(
              `pool worker record ${record} still holds ${name} after ${ORPHAN_TIMEOUT_MS} ms`,
            ),
          ),
        ORPHAN_TIMEOUT_MS,
      ),
    );
    await Promise.race([navigator.locks.request(name, () => undefined), timeout]);
  }

  /**
   * thread_pool_free(): forget the backlog, make every worker leave its loop, and wait until each
   * has exited on its own. No worker is terminated: one may be blocked in Atomics.wait.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.updates.catch(() => undefined);
    const { core, ctl } = this;
    await core.lock.lockAsync();
    core.shutdownLocked();
    core.lock.unlock();
    core.requestCond.broadcast();
    const deadline = performance.now() + SHUTDOWN_TIMEOUT_MS;
    for (;;) {
      const cur = Atomics.load(ctl.i32, ctl.L.pool.curThreads);
      if (cur === 0) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        const alive = this.records().filter((r) => r.state !== 'exited' && r.state !== 'lost');
        throw new Error(
          `pool shutdown: ${cur} worker(s) still running after ${SHUTDOWN_TIMEOUT_MS} ms: ` +
            alive.map((r) => `#${r.seq} ${r.state}`).join(', '),
        );
      }
      const w = Atomics.waitAsync(ctl.i32, ctl.L.pool.curThreads, cur, left);
      if (w.async) await w.value;
    }
    this.workers.clear();
  }

  // ---- bottom halves ----

  /** spawn_thread_bh_fn(): create one worker from the backlog; the newborn asks for the next. */
  private async spawnThreadBh(): Promise<void> {
    const { core } = this;
    await core.lock.lockAsync();
    const record = core.bhTakeBacklogLocked(THREAD_MAIN);
    // Drop the pool lock while creating (the patch); the BQL, if any, stays held.
    core.lock.unlock();
    if (record !== -1) this.createWorker(record);
  }

  /** Under `inline` the submitter creates the whole backlog now, holding the pool lock. */
  private drainBacklogLocked(): void {
    for (
      let r = this.core.takeBacklogLocked(THREAD_MAIN);
      r !== -1;
      r = this.core.takeBacklogLocked(THREAD_MAIN)
    ) {
      this.createWorker(r);
    }
  }

  /** thread_pool_completion_bh(): run each DONE request's completion, then free its slot. */
  private completionBh(): void {
    const { i32, L } = this.ctl;
    const S = L.slot;
    let batch = 0;
    for (let slot = 0; slot < L.params.nslots; slot++) {
      if (Atomics.load(i32, S.state.at(slot)) !== SlotState.DONE) continue;
      const client = Atomics.load(i32, S.client.at(slot));
      const complete = this.clients.get(client);
      batch++;
      try {
        complete?.(slot);
      } finally {
        Atomics.store(i32, S.state.at(slot), SlotState.FREE);
      }
    }
    if (batch > 0) this.completionBatch.record(batch);
    this.afterCompletions?.();
  }

  private completionBhSoon(): void {
    // Cancelled slots are DONE like any other; the BH finds them on its next pass.
    bhSchedule(this.ctl, BH.completion);
  }

  // ---- workers ----

  private createWorker(record: number): void {
    const seq = Atomics.load(this.ctl.i32, this.ctl.L.record.seq.at(record));
    const thread = `aio-${seq}`;
    let worker: Worker;
    try {
      worker = spawnAioWorker(thread);
    } catch (e) {
      console.error(`${thread}: new Worker() failed`, e);
      void this.workerLost(record);
      return;
    }
    this.workers.set(record, worker);
    worker.addEventListener('error', (ev) => {
      console.error(`${thread}: ${ev.message || 'failed to load'}`);
      void this.workerLost(record);
    });
    const { opts } = this;
    wrap<AioWorkerApi>(worker)
      .init({
        ctl: this.ctl.sab,
        dma: opts.dma,
        image: opts.image,
        cache: opts.cache,
        record,
        thread,
        lifetimeLock: lifetimeLockName(this.workerLockPrefix, record),
      })
      .catch((e: unknown) => {
        console.error(`${thread}: init failed`, e);
        void this.workerLost(record);
      });
  }

  /** A worker we created will never run (or died before its first act): fix the counters. */
  private async workerLost(record: number): Promise<void> {
    const { core, ctl } = this;
    await core.lock.lockAsync();
    const state = Atomics.load(ctl.i32, ctl.L.record.state.at(record));
    const neverRan = state === WorkerState.CREATED;
    if (neverRan) core.workerLostLocked(record);
    core.lock.unlock();
    if (neverRan) {
      this.workers.get(record)?.terminate(); // it never ran, so it cannot be blocked
      this.workers.delete(record);
      Atomics.notify(ctl.i32, ctl.L.pool.curThreads);
    }
  }
}
