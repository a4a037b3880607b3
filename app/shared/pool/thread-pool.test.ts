import { describe, expect, it, vi } from 'vitest';
import { bhTakeScheduled } from '../sync/bh.ts';
import { BlockOp, writeSlot } from '../block/block.ts';
import { Errno } from '../block/errno.ts';
import { createControl, type Control } from '../layout/layout.ts';
import { BH } from '../sync/loop-layout.ts';
import { THREAD_MAIN, WorkerState } from './record-layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import { auditPoolLocked } from './pool-audit.ts';
import {
  DEFAULT_POOL_CONFIG,
  mergePoolConfig,
  readPoolConfig,
  writePoolConfig,
  type PoolConfig,
} from './pool-config.ts';
import { poolCounters } from './pool-observer.ts';
import { orphanLostLocked, regrowLocked, workerNeverRan } from './pool-orphans.ts';
import { PoolCore, type WorkerCreator } from './thread-pool.ts';
import { runThread, startThread, type Thread } from '../testing/threads.ts';

function makePool(cfg: Partial<PoolConfig> = {}, nslots = 64) {
  const ctl = createControl({
    nslots,
    maxIov: 1,
    nrecords: 256,
    nvcpus: 0,
    cachePages: 0,
    diskChunks: 0,
  });
  const pool = new PoolCore(ctl);
  writePoolConfig(ctl, mergePoolConfig(DEFAULT_POOL_CONFIG, cfg));
  return { ctl, pool };
}

function fill(ctl: Control, slot: number, nbytes = 512) {
  writeSlot(ctl, slot, { op: BlockOp.READ, byteOffset: 0, nbytes, iov: [[0, nbytes]] }, 0, slot);
}

/** A creator that only notes which records it was asked to start. */
function recorder(thread = THREAD_MAIN): WorkerCreator & { started: number[] } {
  const started: number[] = [];
  return { thread, started, start: (record) => void started.push(record) };
}

const newThreadScheduled = (ctl: Control) => (bhTakeScheduled(ctl) & (1 << BH.newThread)) !== 0;
const stateOf = (ctl: Control, record: number) =>
  Atomics.load(ctl.i32, ctl.L.record.state.at(record));

describe('thread pool core (single thread)', () => {
  it('thread-pool/spawn-bh: the BH is asked for only while no newborn is pending', async () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    const main = recorder();
    fill(ctl, 0);
    pool.submitLocked(0, main);
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 1, new_threads: 1, pending_threads: 0 });
    expect(main.started).toEqual([]);
    expect(newThreadScheduled(ctl)).toBe(true);

    // The BH creates one from the backlog: it is now pending.
    await pool.spawnThreadBh(main);
    expect(main.started).toHaveLength(1);
    const [first] = main.started;
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 1, new_threads: 0, pending_threads: 1 });
    expect(stateOf(ctl, first)).toBe(WorkerState.CREATED);

    // More requests while the newborn is pending: counted, but nobody asks the main thread.
    for (let s = 1; s <= 3; s++) {
      fill(ctl, s);
      pool.submitLocked(s, main);
    }
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 4, new_threads: 3, pending_threads: 1 });
    expect(newThreadScheduled(ctl)).toBe(false);
    // A BH run while the newborn is pending (scheduled before it was born) creates nothing.
    await pool.spawnThreadBh(main);
    expect(main.started).toHaveLength(1);

    // The newborn's first act asks for the next one.
    expect(pool.workerStartedLocked(first)).toBe(true);
    expect(poolCounters(ctl)).toMatchObject({ pending_threads: 0, new_threads: 3 });
    expect(newThreadScheduled(ctl)).toBe(true);
    expect(poolCounters(ctl).pending_high_water).toBe(1);
    expect(stateOf(ctl, first)).toBe(WorkerState.RUNNING);
  });

  it('thread-pool/spawn-inline: the submitter creates every worker it owes, at once, itself', () => {
    const { ctl, pool } = makePool({ policy: 'inline', maxThreads: 8 });
    const vcpu = recorder(3);
    for (let s = 0; s < 5; s++) {
      fill(ctl, s);
      pool.submitLocked(s, vcpu);
    }
    expect(vcpu.started).toHaveLength(5);
    expect(poolCounters(ctl)).toMatchObject({
      cur_threads: 5,
      new_threads: 0,
      pending_threads: 5,
      pending_high_water: 5,
    });
    for (const r of vcpu.started) {
      expect(Atomics.load(ctl.i32, ctl.L.record.creator.at(r))).toBe(3);
    }
    // Nobody asked the main thread.
    expect(newThreadScheduled(ctl)).toBe(false);
  });

  it('thread-pool/max-threads: cur_threads never passes max_threads', () => {
    const { ctl, pool } = makePool({ maxThreads: 3 });
    const main = recorder();
    for (let s = 0; s < 20; s++) {
      fill(ctl, s);
      pool.submitLocked(s, main);
    }
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 3, new_threads: 3, queued: 20 });
    expect(poolCounters(ctl).cur_high_water).toBe(3);
  });

  it('thread-pool/fifo-and-cancel: requests leave in order; cancel works only while queued', async () => {
    const { ctl, pool } = makePool({ maxThreads: 1 });
    const main = recorder();
    for (let s = 0; s < 5; s++) {
      fill(ctl, s);
      pool.submitLocked(s, main);
    }
    expect(await pool.cancel(2)).toBe(true);
    expect(Atomics.load(ctl.i32, ctl.L.slot.state.at(2))).toBe(SlotState.DONE);
    expect(Atomics.load(ctl.i32, ctl.L.slot.ret.at(2))).toBe(-Errno.ECANCELED);
    expect(pool.cancelLocked(2)).toBe(false);
    await pool.spawnThreadBh(main);
    const [record] = main.started;
    pool.workerStartedLocked(record);
    // aio.batch is 0 here: one request at a time.
    const order = [0, 1, 3, 4].map(() => pool.takeRequestsLocked(record, pool.picker.nextLocked()));
    expect(order).toEqual([[0], [1], [3], [4]]);
    expect(pool.requests.empty()).toBe(true);
    // ACTIVE requests cannot be cancelled.
    expect(pool.cancelLocked(0)).toBe(false);
    expect(Atomics.load(ctl.i32, ctl.L.record.served.at(record))).toBe(4);
  });

  it('thread-pool/batch: a worker takes queued requests of its class, up to aio.batch, never past a flush', async () => {
    const { ctl, pool } = makePool({ maxThreads: 1 }, 16);
    const main = recorder();
    const ops = [
      BlockOp.READ,
      BlockOp.WRITE,
      BlockOp.READ,
      BlockOp.WRITE_ZEROES,
      BlockOp.READ,
      BlockOp.FLUSH,
      BlockOp.READ,
      BlockOp.DISCARD,
    ];
    ops.forEach((op, s) => {
      writeSlot(ctl, s, { op, byteOffset: 0, nbytes: 0, iov: [] }, 0, s);
      pool.submitLocked(s, main);
    });
    await pool.spawnThreadBh(main);
    const [record] = main.started;
    pool.workerStartedLocked(record);
    // As the worker loop does: take what may be taken, run it, finish it.
    const take = () => {
      const slots = pool.takeRequestsLocked(record, pool.picker.nextLocked());
      pool.picker.batchFinishedLocked(record);
      return slots;
    };
    Atomics.store(ctl.i32, ctl.L.aio.batch, 2);
    expect(take()).toEqual([0, 2]);
    Atomics.store(ctl.i32, ctl.L.aio.batch, 32);
    // Writes of any kind share a transaction; the flush stops the search.
    expect(take()).toEqual([1, 3]);
    expect(take()).toEqual([4]);
    expect(take()).toEqual([5]);
    expect(take()).toEqual([6]);
    expect(take()).toEqual([7]);
    expect(pool.requests.empty()).toBe(true);
    expect(Atomics.load(ctl.i32, ctl.L.record.served.at(record))).toBe(8);
    // The worker is busy with all of a batch: the audit agrees.
    expect(auditPoolLocked(ctl)).toEqual([]);
  });

  it('thread-pool/write-batches: while a write batch runs, queued writes wait (reads go first, never past a flush); its end frees them; batch 1 never holds', async () => {
    const { ctl, pool } = makePool({ maxThreads: 2 }, 16);
    const main = recorder();
    const ops = [BlockOp.WRITE, BlockOp.WRITE, BlockOp.READ, BlockOp.FLUSH, BlockOp.READ];
    const submit = (from: number) =>
      ops.forEach((op, k) => {
        writeSlot(ctl, from + k, { op, byteOffset: 0, nbytes: 0, iov: [] }, 0, from + k);
        pool.submitLocked(from + k, main);
      });
    Atomics.store(ctl.i32, ctl.L.aio.batch, 32);
    writeSlot(ctl, 15, { op: BlockOp.WRITE, byteOffset: 0, nbytes: 0, iov: [] }, 0, 15);
    pool.submitLocked(15, main);
    await pool.spawnThreadBh(main);
    const [a] = main.started;
    pool.workerStartedLocked(a);
    pool.spawnThreadLocked(main);
    await pool.spawnThreadBh(main);
    const [, b] = main.started;
    pool.workerStartedLocked(b);
    // Worker a runs a write batch; then writes, a read, a flush, a read are queued.
    expect(pool.takeRequestsLocked(a, pool.picker.nextLocked())).toEqual([15]);
    submit(0);
    expect(Atomics.load(ctl.i32, ctl.L.pool.writeBatches)).toBe(1);
    expect(auditPoolLocked(ctl)).toEqual([]);
    // Worker b may take the read (batched up to the flush), not the writes, then nothing.
    expect(pool.picker.nextLocked()).toBe(2);
    expect(pool.takeRequestsLocked(b, 2)).toEqual([2]);
    pool.picker.batchFinishedLocked(b);
    expect(pool.picker.nextLocked()).toBe(-1);
    // a's batch is done: the writes go, as one batch.
    pool.picker.batchFinishedLocked(a);
    expect(Atomics.load(ctl.i32, ctl.L.pool.writeBatches)).toBe(0);
    expect(pool.takeRequestsLocked(a, pool.picker.nextLocked())).toEqual([0, 1]);
    pool.picker.batchFinishedLocked(a);
    expect(pool.takeRequestsLocked(a, pool.picker.nextLocked())).toEqual([3]);
    pool.picker.batchFinishedLocked(a);
    expect(pool.takeRequestsLocked(a, pool.picker.nextLocked())).toEqual([4]);
    pool.picker.batchFinishedLocked(a);
    // One request per transaction (faithful): nothing is held back, strictly oldest first.
    Atomics.store(ctl.i32, ctl.L.aio.batch, 1);
    submit(5);
    expect(pool.takeRequestsLocked(a, pool.picker.nextLocked())).toEqual([5]);
    expect(pool.picker.nextLocked()).toBe(6);
    expect(auditPoolLocked(ctl)).toEqual([]);
  });

  it('thread-pool/queue-many: an exit queues its requests and owes one wake-up per batch, given later by wake()', () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    const main = recorder();
    const slots = Array.from({ length: 40 }, (_, s) => s);
    slots.forEach((s) => fill(ctl, s));
    Atomics.store(ctl.i32, ctl.L.aio.batch, 16);
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      // Queued in order, a worker owed for every batch-th one; nobody woken yet.
      expect(pool.queueMany(slots, slots.length, main)).toBe(3);
      expect(poolCounters(ctl)).toMatchObject({ cur_threads: 3, new_threads: 3 });
      expect(notify.mock.calls.filter(([, at]) => at === ctl.L.pool.requestCond)).toEqual([]);
      // The debt, once the exit has dropped the BQL: one notify for three waiters.
      pool.wake(3);
      expect(notify.mock.calls.filter(([, at]) => at === ctl.L.pool.requestCond)).toEqual([
        [ctl.i32, ctl.L.pool.requestCond, 3],
      ]);
      pool.wake(0);
      expect(notify.mock.calls.filter(([, at]) => at === ctl.L.pool.requestCond)).toHaveLength(1);
    } finally {
      notify.mockRestore();
    }
    pool.lock.lock();
    const first = pool.picker.nextLocked();
    pool.lock.unlock();
    expect(first).toBe(0);
  });

  it('thread-pool/free: the backlog is dropped (cur_threads -= new_threads), max becomes 0', async () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    const main = recorder();
    for (let s = 0; s < 5; s++) {
      fill(ctl, s);
      pool.submitLocked(s, main);
    }
    await pool.spawnThreadBh(main);
    pool.freeLocked();
    expect(poolCounters(ctl)).toMatchObject({
      cur_threads: 1,
      new_threads: 0,
      pending_threads: 1,
      max_threads: 0,
      exited: 4,
      pending_high_water: 1,
    });
    expect(newThreadScheduled(ctl)).toBe(false);
    expect(readPoolConfig(ctl).maxThreads).toBe(0);
  });

  it('thread-pool/update-params: prealloc spawns up to min_threads; bh does not', async () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    const main = recorder();
    await pool.updateParams({ ...DEFAULT_POOL_CONFIG, minThreads: 4, maxThreads: 8 }, main);
    expect(poolCounters(ctl).cur_threads).toBe(0);
    const prealloc = { ...DEFAULT_POOL_CONFIG, policy: 'prealloc', minThreads: 4, maxThreads: 8 };
    await pool.updateParams(prealloc as PoolConfig, main);
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 4, new_threads: 4, min_threads: 4 });
    expect(readPoolConfig(ctl)).toEqual(prealloc);
    // Created by the main thread's BH, one at a time, as under bh.
    expect(main.started).toEqual([]);
    expect(newThreadScheduled(ctl)).toBe(true);
  });

  it('thread-pool/records-reused: a live worker keeps its record while others cycle', async () => {
    const { ctl, pool } = makePool({ maxThreads: 128 });
    const main = recorder();
    fill(ctl, 0);
    pool.submitLocked(0, main);
    await pool.spawnThreadBh(main);
    const keeper = main.started[0];
    pool.workerStartedLocked(keeper);
    const n = ctl.L.params.nrecords;
    for (let i = 0; i < 3 * n; i++) {
      pool.spawnThreadLocked(main);
      pool.doSpawnThreadLocked(main)?.();
      const r = main.started[main.started.length - 1];
      expect(r).not.toBe(keeper);
      pool.workerStartedLocked(r);
      pool.workerGoneLocked(r, WorkerState.EXITED);
    }
    expect(Atomics.load(ctl.i32, ctl.L.record.seq.at(keeper))).toBe(0);
    expect(poolCounters(ctl).spawned).toBe(3 * n + 1);
  });

  it('thread-pool/never-ran: a worker that fails to start is counted out, and the next is asked for', async () => {
    const { ctl, pool } = makePool({ maxThreads: 4 });
    const main = recorder();
    for (let s = 0; s < 2; s++) {
      fill(ctl, s);
      pool.submitLocked(s, main);
    }
    await pool.spawnThreadBh(main);
    bhTakeScheduled(ctl);
    const [doomed] = main.started;
    expect(await workerNeverRan(pool, doomed)).toBe(true);
    expect(stateOf(ctl, doomed)).toBe(WorkerState.LOST);
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 1, pending_threads: 0, exited: 1 });
    // It will not ask for the one still owed: the pool asks in its place.
    expect(newThreadScheduled(ctl)).toBe(true);
    // One that did start is not counted out by a late error.
    await pool.spawnThreadBh(main);
    const started = main.started[1];
    pool.workerStartedLocked(started);
    expect(await workerNeverRan(pool, started)).toBe(false);
    expect(auditPoolLocked(ctl)).toEqual([]);
  });
});

/** A creator for `thread` that runs each worker as a real thread (scenario pool-worker). */
function threadCreator(ctl: Control, thread: number, serveUs = 0) {
  const threads = new Map<number, Thread<number>>();
  const creator: WorkerCreator = {
    thread,
    start: (record) =>
      void threads.set(
        record,
        startThread({ scenario: 'pool-worker', sab: ctl.sab, args: { record, serveUs } }),
      ),
  };
  return { creator, threads };
}

describe('workers that die with their creator', () => {
  it('thread-pool/orphan-requeue: a worker killed mid-request; its request is redone by another, once', async () => {
    const { ctl, pool } = makePool({ policy: 'inline', maxThreads: 4, idleTimeoutMs: 200 });
    // The creator that will "die", with a worker whose request never finishes on its own.
    const vcpu = threadCreator(ctl, 2, 10_000_000);
    fill(ctl, 0, 4096);
    pool.wake(pool.queueMany([0], 1, vcpu.creator));
    const [[orphan, doomed]] = [...vcpu.threads];
    doomed.result.catch(() => undefined);
    while (Atomics.load(ctl.i32, ctl.L.slot.state.at(0)) !== SlotState.ACTIVE) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // Its creator takes the pool lock and dies with it held; the worker dies with its creator.
    await pool.lock.lockAsync();
    await doomed.worker.terminate();
    expect(orphanLostLocked(pool, orphan)).toBe(1);
    expect(Atomics.load(ctl.i32, ctl.L.slot.state.at(0))).toBe(SlotState.QUEUED);
    expect(poolCounters(ctl)).toMatchObject({
      cur_threads: 0,
      lost_with_creator: 1,
      requeued: 1,
      queued: 1,
    });
    // The page grows the pool again; under inline, it creates the worker itself.
    const main = threadCreator(ctl, THREAD_MAIN);
    regrowLocked(pool, main.creator);
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 1, new_threads: 0 });
    expect(auditPoolLocked(ctl)).toEqual([]);
    pool.lock.unlock();
    const [[heir, heirThread]] = [...main.threads];
    // The heir served the requeued request, exactly once, then idled out.
    expect(await heirThread.result).toBe(1);
    expect(Atomics.load(ctl.i32, ctl.L.slot.state.at(0))).toBe(SlotState.DONE);
    expect(ctl.i32[ctl.L.slot.ret.at(0)]).toBe(4096);
    expect(ctl.i32[ctl.L.slot.worker.at(0)]).toBe(heir);
    await pool.lock.lockAsync();
    expect(auditPoolLocked(ctl)).toEqual([]);
    pool.lock.unlock();
  });

  it('thread-pool/zombie: a worker given up for lost before it ran does not count itself in', async () => {
    const { ctl, pool } = makePool({ policy: 'inline', maxThreads: 4 });
    const vcpu = recorder(2);
    fill(ctl, 0);
    pool.submitLocked(0, vcpu);
    const [r] = vcpu.started;
    expect(orphanLostLocked(pool, r)).toBe(0);
    // Its first act, late: the real worker_thread() leaves without counting anything.
    expect(await runThread({ scenario: 'pool-worker', sab: ctl.sab, args: { record: r } })).toBe(0);
    expect(poolCounters(ctl)).toMatchObject({
      cur_threads: 0,
      pending_threads: 0,
      lost_with_creator: 1,
    });
    expect(auditPoolLocked(ctl)).toEqual([]);
  });
});
