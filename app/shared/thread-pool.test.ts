import { describe, expect, it } from 'vitest';
import { bhTakeScheduled } from './bh.ts';
import { BlockOp, writeSlot } from './block.ts';
import { Errno } from './errno.ts';
import { BH, createControl, SlotState, THREAD_MAIN, WorkerState, type Control } from './layout.ts';
import { DEFAULT_POOL_CONFIG, mergePoolConfig, PoolCore, type PoolConfig } from './thread-pool.ts';
import { auditPoolLocked } from './pool-audit.ts';
import { runThread, startThread } from './testing/threads.ts';

function makePool(cfg: Partial<PoolConfig> = {}, nslots = 64) {
  const ctl = createControl({ nslots, maxIov: 1, nrecords: 256, nvcpus: 0 });
  const pool = new PoolCore(ctl);
  pool.initLocked(mergePoolConfig(DEFAULT_POOL_CONFIG, cfg));
  return { ctl, pool };
}

function fill(ctl: Control, slot: number, nbytes = 512) {
  writeSlot(ctl, slot, { op: BlockOp.READ, byteOffset: 0, nbytes, iov: [[0, nbytes]] }, 0, slot);
}

const newThreadScheduled = (ctl: Control) => (bhTakeScheduled(ctl) & (1 << BH.newThread)) !== 0;

describe('thread pool core (single thread)', () => {
  it('thread-pool/spawn-bh: the BH is asked for only while no newborn is pending', () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    fill(ctl, 0);
    pool.submitLocked(0);
    expect(pool.counters()).toMatchObject({ cur_threads: 1, new_threads: 1, pending_threads: 0 });
    expect(newThreadScheduled(ctl)).toBe(true);

    // The BH takes one from the backlog: it is now pending.
    const first = pool.bhTakeBacklogLocked(THREAD_MAIN);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(pool.counters()).toMatchObject({ cur_threads: 1, new_threads: 0, pending_threads: 1 });

    // More requests while the newborn is pending: counted, but nobody asks the main thread.
    for (let s = 1; s <= 3; s++) {
      fill(ctl, s);
      pool.submitLocked(s);
    }
    expect(pool.counters()).toMatchObject({ cur_threads: 4, new_threads: 3, pending_threads: 1 });
    expect(newThreadScheduled(ctl)).toBe(false);
    // A BH run while the newborn is pending (scheduled before it was born) creates nothing.
    expect(pool.bhTakeBacklogLocked(THREAD_MAIN)).toBe(-1);
    expect(pool.counters().pending_threads).toBe(1);

    // The newborn's first act asks for the next one.
    pool.workerStartedLocked(first);
    expect(pool.counters()).toMatchObject({ pending_threads: 0, new_threads: 3 });
    expect(newThreadScheduled(ctl)).toBe(true);
    expect(pool.counters().pending_high_water).toBe(1);
    expect(Atomics.load(ctl.i32, ctl.L.record.state.at(first))).toBe(WorkerState.RUNNING);
  });

  it('thread-pool/max-threads: cur_threads never passes max_threads', () => {
    const { ctl, pool } = makePool({ maxThreads: 3 });
    for (let s = 0; s < 20; s++) {
      fill(ctl, s);
      pool.submitLocked(s);
    }
    expect(pool.counters()).toMatchObject({ cur_threads: 3, new_threads: 3, queued: 20 });
    expect(pool.counters().cur_high_water).toBe(3);
  });

  it('thread-pool/fifo-and-cancel: requests leave in order; cancel works only while queued', () => {
    const { ctl, pool } = makePool({ maxThreads: 1 });
    for (let s = 0; s < 5; s++) {
      fill(ctl, s);
      pool.submitLocked(s);
    }
    expect(pool.cancelLocked(2)).toBe(true);
    expect(Atomics.load(ctl.i32, ctl.L.slot.state.at(2))).toBe(SlotState.DONE);
    expect(Atomics.load(ctl.i32, ctl.L.slot.ret.at(2))).toBe(-Errno.ECANCELED);
    expect(pool.cancelLocked(2)).toBe(false);
    const record = pool.takeBacklogLocked(THREAD_MAIN);
    pool.workerStartedLocked(record);
    const order = [0, 1, 3, 4].map(() => pool.takeRequestLocked(record));
    expect(order).toEqual([0, 1, 3, 4]);
    expect(pool.queueEmpty()).toBe(true);
    // ACTIVE requests cannot be cancelled.
    expect(pool.cancelLocked(0)).toBe(false);
    expect(Atomics.load(ctl.i32, ctl.L.record.served.at(record))).toBe(4);
  });

  it('thread-pool/shutdown: the backlog is dropped (cur_threads -= new_threads), max becomes 0', () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    for (let s = 0; s < 5; s++) {
      fill(ctl, s);
      pool.submitLocked(s);
    }
    pool.takeBacklogLocked(THREAD_MAIN);
    pool.shutdownLocked();
    expect(pool.counters()).toMatchObject({
      cur_threads: 1,
      new_threads: 0,
      pending_threads: 1,
      max_threads: 0,
      exited: 4,
      pending_high_water: 1,
    });
    expect(newThreadScheduled(ctl)).toBe(false);
  });

  it('thread-pool/update-params: prealloc spawns up to min_threads; bh does not', () => {
    const { ctl, pool } = makePool({ maxThreads: 8 });
    pool.updateParamsLocked({ ...DEFAULT_POOL_CONFIG, policy: 'bh', minThreads: 4, maxThreads: 8 });
    expect(pool.counters().cur_threads).toBe(0);
    pool.updateParamsLocked({
      ...DEFAULT_POOL_CONFIG,
      policy: 'prealloc',
      minThreads: 4,
      maxThreads: 8,
    });
    expect(pool.counters()).toMatchObject({ cur_threads: 4, new_threads: 4, min_threads: 4 });
    expect(newThreadScheduled(ctl)).toBe(true);
    // Lowering max below cur asks the caller to wake the surplus.
    expect(pool.updateParamsLocked({ ...DEFAULT_POOL_CONFIG, minThreads: 0, maxThreads: 2 })).toBe(
      true,
    );
  });

  it('thread-pool/records-reused: a live worker keeps its record while others cycle', () => {
    const { ctl, pool } = makePool({ maxThreads: 128 });
    fill(ctl, 0);
    pool.submitLocked(0);
    const keeper = pool.takeBacklogLocked(THREAD_MAIN);
    pool.workerStartedLocked(keeper);
    const n = ctl.L.params.nrecords;
    for (let i = 0; i < 3 * n; i++) {
      pool.spawnThreadLocked();
      const r = pool.takeBacklogLocked(THREAD_MAIN);
      expect(r).not.toBe(keeper);
      pool.workerStartedLocked(r);
      pool.workerExitLocked(r);
    }
    expect(Atomics.load(ctl.i32, ctl.L.record.seq.at(keeper))).toBe(0);
    expect(pool.counters().spawned).toBe(3 * n + 1);
  });
});

describe('thread pool on real threads', () => {
  it('thread-pool/stress: 3000 requests, bh growth to max 4, each completed once, idle exit', async () => {
    const nslots = 256;
    const { ctl, pool } = makePool({ maxThreads: 4, idleTimeoutMs: 300 }, nslots);
    const threads: Promise<number>[] = [];
    const completed = new Map<number, number>();
    let next = 0;
    const total = 3000;
    const free = Array.from({ length: nslots }, (_, i) => i);
    const submit = async (slot: number) => {
      const id = next++;
      writeSlot(ctl, slot, { op: BlockOp.READ, byteOffset: 0, nbytes: id, iov: [] }, 0, id);
      await pool.lock.lockAsync();
      pool.submitLocked(slot);
      pool.lock.unlock();
      pool.requestCond.signal();
    };
    // This test is the main loop: it runs the two bottom halves by hand.
    const spin = async () => {
      while (completed.size < total) {
        const bits = bhTakeScheduled(ctl);
        if (bits & (1 << BH.newThread)) {
          await pool.lock.lockAsync();
          const r = pool.bhTakeBacklogLocked(THREAD_MAIN);
          pool.lock.unlock();
          if (r !== -1)
            threads.push(
              runThread({
                scenario: 'pool-worker',
                sab: ctl.sab,
                args: { record: r, serveUs: 50 },
              }),
            );
        }
        for (let s = 0; s < nslots; s++) {
          if (Atomics.load(ctl.i32, ctl.L.slot.state.at(s)) !== SlotState.DONE) continue;
          const id = ctl.i32[ctl.L.slot.tag.at(s)];
          expect(ctl.i32[ctl.L.slot.ret.at(s)]).toBe(id);
          completed.set(id, (completed.get(id) ?? 0) + 1);
          Atomics.store(ctl.i32, ctl.L.slot.state.at(s), SlotState.FREE);
          free.push(s);
        }
        while (free.length && next < total) await submit(free.pop() ?? 0);
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    await spin();
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect(completed.size).toBe(total);
    const c = pool.counters();
    expect(c.cur_high_water).toBe(4);
    expect(c.pending_high_water).toBe(1);
    // Let the pool finish growing, then idle out.
    while (pool.counters().new_threads > 0 || pool.counters().pending_threads > 0) {
      if (bhTakeScheduled(ctl) & (1 << BH.newThread)) {
        await pool.lock.lockAsync();
        const r = pool.bhTakeBacklogLocked(THREAD_MAIN);
        pool.lock.unlock();
        if (r !== -1)
          threads.push(runThread({ scenario: 'pool-worker', sab: ctl.sab, args: { record: r } }));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const served = await Promise.all(threads);
    expect(served.reduce((a, b) => a + b, 0)).toBe(total);
    expect(pool.counters()).toMatchObject({
      cur_threads: 0,
      idle_threads: 0,
      exited: 4,
      spawned: 4,
    });
  });
});

describe('workers that die with their creator', () => {
  it('thread-pool/orphan-requeue: a worker killed mid-request; its request is redone by another, once', async () => {
    const { ctl, pool } = makePool({ maxThreads: 4, idleTimeoutMs: 200 });
    const vcpu = 1; // the creator that will "die"
    fill(ctl, 0, 4096);
    await pool.lock.lockAsync();
    pool.submitLocked(0);
    const orphan = pool.takeBacklogLocked(vcpu);
    pool.lock.unlock();
    // A worker whose request never finishes on its own (10 s of "I/O").
    const doomed = startThread({
      scenario: 'pool-worker',
      sab: ctl.sab,
      args: { record: orphan, serveUs: 10_000_000 },
    });
    doomed.result.catch(() => undefined);
    while (Atomics.load(ctl.i32, ctl.L.slot.state.at(0)) !== SlotState.ACTIVE) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // Its creator takes the pool lock and dies with it held; the worker dies with its creator.
    await pool.lock.lockAsync();
    await doomed.worker.terminate();
    expect(pool.orphanLostLocked(orphan)).toBe(true);
    expect(Atomics.load(ctl.i32, ctl.L.slot.state.at(0))).toBe(SlotState.QUEUED);
    expect(pool.counters()).toMatchObject({
      cur_threads: 0,
      lost_with_creator: 1,
      requeued: 1,
      queued: 1,
    });
    pool.regrowLocked();
    expect(pool.counters()).toMatchObject({ cur_threads: 1, new_threads: 1 });
    expect(auditPoolLocked(ctl)).toEqual([]);
    const heir = pool.bhTakeBacklogLocked(THREAD_MAIN);
    pool.lock.unlock();
    const served = await runThread({
      scenario: 'pool-worker',
      sab: ctl.sab,
      args: { record: heir },
    });
    // The heir served the requeued request, exactly once, then idled out.
    expect(served).toBe(1);
    expect(Atomics.load(ctl.i32, ctl.L.slot.state.at(0))).toBe(SlotState.DONE);
    expect(ctl.i32[ctl.L.slot.ret.at(0)]).toBe(4096);
    expect(ctl.i32[ctl.L.slot.worker.at(0)]).toBe(heir);
    await pool.lock.lockAsync();
    expect(auditPoolLocked(ctl)).toEqual([]);
    pool.lock.unlock();
  });

  it('thread-pool/zombie: a worker given up for lost before it ran does not count itself in', () => {
    const { ctl, pool } = makePool({ maxThreads: 4 });
    fill(ctl, 0);
    pool.submitLocked(0);
    const r = pool.takeBacklogLocked(2);
    expect(pool.orphanLostLocked(r)).toBe(false);
    expect(pool.workerStartedLocked(r)).toBe(false);
    expect(pool.counters()).toMatchObject({
      cur_threads: 0,
      pending_threads: 0,
      lost_with_creator: 1,
    });
    expect(auditPoolLocked(ctl)).toEqual([]);
  });
});
