// The AIO pool as the page owns it (cf. util/thread-pool.c): the main loop's two bottom halves
// (spawn_thread_bh_fn creates workers, thread_pool_completion_bh completes requests), run-time
// settings applied in order, recovery from workers that died with their vCPU, and shutdown.
// The algorithm itself is the shared core's (app/shared/pool/thread-pool.ts).

import type { MainLoop } from '../machine/main-loop.ts';
import { aioWorkerCreator, type AioSpawn } from '../shared/pool/aio-creator.ts';
import type { AioPoolParams } from '../shared/contracts.ts';
import { bhSchedule } from '../shared/sync/bh.ts';
import { Histogram } from '../shared/stats/histogram.ts';
import type { Control } from '../shared/layout/layout.ts';
import { bitmapWords } from '../shared/layout/layout-region.ts';
import { BH } from '../shared/sync/loop-layout.ts';
import { THREAD_MAIN } from '../shared/pool/record-layout.ts';
import { SlotState } from '../shared/block/slot-layout.ts';
import { auditPoolLocked } from '../shared/pool/pool-audit.ts';
import {
  mergePoolConfig,
  readPoolConfig,
  writePoolConfig,
  type PoolConfig,
} from '../shared/pool/pool-config.ts';
import { poolCounters, type PoolCounters } from '../shared/pool/pool-observer.ts';
import { orphanLostLocked, regrowLocked } from '../shared/pool/pool-orphans.ts';
import { liveWorkersOf, spawnRecords, type SpawnRecord } from '../shared/pool/spawn-records.ts';
import { PoolCore, type WorkerCreator } from '../shared/pool/thread-pool.ts';

export interface ThreadPoolOptions {
  loop: MainLoop;
  /** What every worker is started with (its control buffer is the pool's). */
  aio: AioPoolParams;
  config: PoolConfig;
  /** How the page creates a worker (app/spawn.ts; a test passes Node threads). */
  spawn: AioSpawn;
  /** Resolves once worker `record` no longer runs (the page: its lifetime Web Lock is free). */
  gone(record: number): Promise<void>;
  /** The completion BH's call for each DONE slot, before the slot is freed. */
  complete(slot: number): void;
  /** Called at the end of each completion-BH run (the machine raises interrupts there). */
  afterCompletions?(): void;
}

const SHUTDOWN_TIMEOUT_MS = 30_000;

export class ThreadPool {
  readonly core: PoolCore;
  /** Requests completed per completion-BH run (a count, kept in a µs-shaped histogram). */
  readonly completionBatch = Histogram.create();
  private readonly ctl: Control;
  private readonly opts: ThreadPoolOptions;
  /** The page as a creator of workers: every policy's, but a vCPU's own under `inline`. */
  private readonly creator: WorkerCreator;
  /** Serialises setting changes, so they apply in the order they were made. */
  private updates: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(ctl: Control, opts: ThreadPoolOptions) {
    this.ctl = ctl;
    this.opts = opts;
    this.core = new PoolCore(ctl);
    this.creator = aioWorkerCreator(THREAD_MAIN, this.core, opts.aio, opts.spawn);
    // No worker exists yet, so nobody else can hold the lock.
    writePoolConfig(ctl, opts.config);
    // Unlike QEMU's, this bottom half runs without the BQL: new Worker() can take milliseconds
    // on the caller (up to 6 ms measured), every one of which a vCPU exit would wait.
    opts.loop.bhNew(BH.newThread, 'new_thread_bh', () => this.core.spawnThreadBh(this.creator), {
      locked: false,
    });
    opts.loop.bhNew(BH.completion, 'completion_bh', () => this.completionBh());
  }

  /** Apply the settings as thread_pool_update_params() would (prealloc spawns to min). */
  start(): Promise<void> {
    return this.setConfig({});
  }

  /** The settings in force. */
  get configuration(): Readonly<PoolConfig> {
    return readPoolConfig(this.ctl);
  }

  /** thread_pool_submit_aio() from the page: the slot is filled in (see writeSlot). */
  submit(slot: number): Promise<void> {
    return this.core.submitAsync(slot, this.creator);
  }

  /** Cancel a request if it is still queued; it then completes with -ECANCELED. */
  cancel(slot: number): Promise<boolean> {
    return this.core.cancel(slot);
  }

  /** Check against the settings in force when its turn comes, then apply; in call order. */
  setConfig(cfg: Partial<PoolConfig>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the pool is shut down'));
    const update = this.updates.then(() =>
      this.core.updateParams(mergePoolConfig(readPoolConfig(this.ctl), cfg), this.creator),
    );
    this.updates = update.catch(() => undefined);
    return update;
  }

  counters(): PoolCounters {
    return poolCounters(this.ctl);
  }

  /** Every spawn record in use, oldest first. */
  records(): SpawnRecord[] {
    return spawnRecords(this.ctl);
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
   * vCPU thread `thread` was ended holding the pool lock (see VcpuWorkerApi.quiesce), and the
   * workers it created died with it. Wait until each is really gone, then undo what they
   * counted, requeue the requests they had taken, grow the pool again if requests wait, and
   * unlock on the dead thread's behalf.
   */
  async recoverOrphansLocked(thread: number): Promise<{ lost: number; requeued: number }> {
    const { core } = this;
    const orphans = liveWorkersOf(this.ctl, thread);
    await Promise.all(orphans.map((r) => this.opts.gone(r)));
    let requeued = 0;
    for (const r of orphans) requeued += orphanLostLocked(core, r);
    regrowLocked(core, this.creator);
    core.lock.unlock();
    core.requestCond.broadcast();
    Atomics.notify(this.ctl.i32, this.ctl.L.pool.curThreads);
    return { lost: orphans.length, requeued };
  }

  /**
   * thread_pool_free(): forget the backlog, make every worker leave its loop, and wait until
   * each has exited on its own. No worker is terminated: one may be blocked in Atomics.wait.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.updates;
    const { core, ctl } = this;
    await core.lock.lockAsync();
    core.freeLocked();
    core.lock.unlock();
    core.requestCond.broadcast();
    const deadline = performance.now() + SHUTDOWN_TIMEOUT_MS;
    for (;;) {
      const cur = Atomics.load(ctl.i32, ctl.L.pool.curThreads);
      if (cur === 0) return;
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
  }

  /** thread_pool_completion_bh(): run each DONE request's completion, then free its slot. */
  private completionBh(): void {
    const { i32, L } = this.ctl;
    const S = L.slot;
    let batch = 0;
    try {
      for (let word = 0; word < bitmapWords(L.params.nslots); word++) {
        // Take the word's bits: each is a slot DONE with its final ret (written before the bit).
        let bits = Atomics.exchange(i32, S.doneBits.at(word), 0);
        while (bits !== 0) {
          const bit = 31 - Math.clz32(bits);
          bits &= ~(1 << bit);
          const slot = word * 32 + bit;
          batch++;
          try {
            this.opts.complete(slot);
          } catch (e) {
            // Give back what this run took and did not complete, for the next run.
            Atomics.or(i32, S.doneBits.at(word), bits);
            bhSchedule(this.ctl, BH.completion);
            throw e;
          } finally {
            Atomics.store(i32, S.state.at(slot), SlotState.FREE);
          }
        }
      }
    } finally {
      if (batch > 0) this.completionBatch.record(batch);
    }
    this.opts.afterCompletions?.();
  }
}
