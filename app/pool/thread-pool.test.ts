// The page's pool owner on real threads, in Node: the bottom halves on a real main loop, workers
// as node:worker_threads running the real worker_thread(), a probe that waits for a thread's
// exit in place of the Web Lock.

import { describe, expect, it, vi } from 'vitest';
import { MainLoop } from '../machine/main-loop.ts';
import { ThreadPool } from './thread-pool.ts';
import { aioWorkerCreator, type AioSpawn } from '../shared/pool/aio-creator.ts';
import { BlockOp, writeSlot } from '../shared/block/block.ts';
import type { AioPoolParams } from '../shared/contracts.ts';
import { createControl, type Control } from '../shared/layout/layout.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import { SlotState } from '../shared/block/slot-layout.ts';
import { DEFAULT_POOL_CONFIG, type PoolConfig } from '../shared/pool/pool-config.ts';
import { startThread, type Thread } from '../shared/testing/threads.ts';

const until = (cond: () => boolean) =>
  vi.waitFor(() => expect(cond()).toBe(true), { timeout: 20_000, interval: 2 });

/** Workers as Node threads: `serveUs` of work per request (read as each starts); the first
 *  `failFirst` spawns throw. */
function nodeWorkers(serveUs = 0, failFirst = 0) {
  const threads = new Map<number, Thread<number>>();
  const knobs = { serveUs };
  let spawns = 0;
  const spawn: AioSpawn = () => {
    if (spawns++ < failFirst) throw new Error('no more threads (test)');
    const onError: ((ev: { message?: string }) => void)[] = [];
    let thread: Thread<number> | undefined;
    return {
      worker: {
        addEventListener: (_type, fn) => void onError.push(fn),
        terminate: () => void thread?.worker.terminate(),
      },
      init: async ({ ctl, record }) => {
        const args = { record, serveUs: knobs.serveUs };
        thread = startThread({ scenario: 'pool-worker', sab: ctl, args });
        thread.worker.on('error', (e: Error) => onError.forEach((fn) => fn(e)));
        thread.result.catch(() => undefined);
        threads.set(record, thread);
      },
    };
  };
  /** The probe: a thread is gone once it has exited. */
  const gone = async (record: number) => {
    await threads.get(record)?.result.catch(() => undefined);
  };
  return { spawn, gone, threads, knobs };
}

function makeOwner(
  cfg: Partial<PoolConfig>,
  workers: ReturnType<typeof nodeWorkers>,
  throwOn = new Set<number>(),
) {
  const ctl = createControl({
    nslots: 128,
    maxIov: 1,
    nrecords: 256,
    nvcpus: 1,
    cachePages: 0,
    diskChunks: 0,
  });
  const loop = new MainLoop(ctl);
  const aio: AioPoolParams = {
    ctl: ctl.sab,
    dma: new SharedArrayBuffer(8),
    image: { name: 'none', virtualSize: 1 << 20, chunkSize: 4096 },
    cache: 'writeback',
    workerLockPrefix: 'test',
    cacheMemory: null,
  };
  const completed = new Map<number, number>();
  const rets = new Map<number, number>();
  const owner = new ThreadPool(ctl, {
    loop,
    aio,
    config: { ...DEFAULT_POOL_CONFIG, ...cfg },
    spawn: workers.spawn,
    gone: workers.gone,
    complete: (slot) => {
      const id = ctl.i32[ctl.L.slot.tag.at(slot)];
      completed.set(id, (completed.get(id) ?? 0) + 1);
      rets.set(id, ctl.i32[ctl.L.slot.ret.at(slot)]);
      if (throwOn.delete(id)) throw new Error(`completion of ${id} throws (test)`);
    },
  });
  loop.start();
  return { ctl, loop, aio, owner, completed, rets };
}

/** Request `id`: a "read" whose worker answers with its length, the id. */
function fill(ctl: Control, slot: number, id: number): void {
  writeSlot(ctl, slot, { op: BlockOp.READ, byteOffset: 0, nbytes: id, iov: [] }, 0, id);
}

describe('the pool owner on real threads', () => {
  it('thread-pool/owner-bh: 3000 requests, growth to max 4 by the main thread one newborn at a time, each completed once, idle exit', async () => {
    const workers = nodeWorkers(50);
    const { ctl, loop, owner, completed, rets } = makeOwner(
      { maxThreads: 4, idleTimeoutMs: 300 },
      workers,
    );
    await owner.start();
    const total = 3000;
    let next = 0;
    // Keep every slot busy: a slot is FREE again once its completion has run.
    while (completed.size < total) {
      for (let s = 0; s < 128 && next < total; s++) {
        if (Atomics.load(ctl.i32, ctl.L.slot.state.at(s)) !== SlotState.FREE) continue;
        fill(ctl, s, next++);
        await owner.submit(s);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect([...rets].every(([id, ret]) => ret === id)).toBe(true);
    const c = owner.counters();
    expect(c.cur_high_water).toBe(4);
    expect(c.pending_high_water).toBe(1);
    // The burst may be served before the pool has grown: wait for the backlog to be created.
    await until(() => owner.counters().new_threads + owner.counters().pending_threads === 0);
    expect(owner.records().map((w) => w.creator)).toEqual(Array(4).fill('main'));
    // Idle workers leave after the timeout: down to min_threads, 0.
    await until(() => owner.counters().cur_threads === 0);
    const served = await Promise.all([...workers.threads.values()].map((t) => t.result));
    expect(served.reduce((a, b) => a + b, 0)).toBe(total);
    expect(owner.counters()).toMatchObject({ idle_threads: 0, exited: 4, spawned: 4 });
    expect(await owner.audit()).toEqual([]);
    await owner.shutdown();
    await loop.stop();
  });

  it('thread-pool/completion-bits: finished slots in several bitmap words, completed once each; one that throws loses no other', async () => {
    const workers = nodeWorkers();
    const { ctl, loop, aio, owner, completed, rets } = makeOwner(
      { maxThreads: 2 },
      workers,
      new Set([1033]),
    );
    const slots = [0, 31, 32, 33, 34, 63, 64, 127];
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await owner.start();
      // Queued together, as a vCPU exit submits: workers take them in batches.
      for (const s of slots) fill(ctl, s, 1000 + s);
      const vcpu = aioWorkerCreator(threadIdOfVcpu(0), owner.core, aio, workers.spawn);
      owner.core.wake(owner.core.queueMany(slots, slots.length, vcpu));
      await until(() => completed.size === slots.length);
      expect(loop.errors.map(String)).toEqual(['Error: completion of 1033 throws (test)']);
    } finally {
      quiet.mockRestore();
    }
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect(slots.every((s) => rets.get(1000 + s) === 1000 + s)).toBe(true);
    await until(() =>
      slots.every((s) => Atomics.load(ctl.i32, ctl.L.slot.state.at(s)) === SlotState.FREE),
    );
    expect(Array.from({ length: 4 }, (_, w) => ctl.i32[ctl.L.slot.doneBits.at(w)])).toEqual([
      0, 0, 0, 0,
    ]);
    await owner.shutdown();
    await loop.stop();
  });

  it('thread-pool/owner-prealloc: min_threads workers before any request; shutdown waits for each to exit', async () => {
    const workers = nodeWorkers();
    const { loop, owner, completed } = makeOwner(
      { policy: 'prealloc', minThreads: 3, maxThreads: 8 },
      workers,
    );
    await owner.start();
    await until(() => owner.counters().idle_threads === 3);
    expect(completed.size).toBe(0);
    expect(owner.records().map((w) => [w.creator, w.state])).toEqual(
      Array(3).fill(['main', 'idle']),
    );
    await owner.shutdown();
    expect(owner.counters()).toMatchObject({ cur_threads: 0, exited: 3 });
    await loop.stop();
  });

  it('thread-pool/owner-orphans: workers that died with their vCPU are counted out, their request redone once', async () => {
    // A request the vCPU's worker never finishes (10 s of "I/O").
    const workers = nodeWorkers(10_000_000);
    const { ctl, loop, aio, owner, completed } = makeOwner(
      { policy: 'inline', maxThreads: 4, idleTimeoutMs: 200 },
      workers,
    );
    await owner.start();
    const vcpu = aioWorkerCreator(threadIdOfVcpu(0), owner.core, aio, workers.spawn);
    fill(ctl, 0, 4096);
    owner.core.wake(owner.core.queueMany([0], 1, vcpu));
    await until(() => Atomics.load(ctl.i32, ctl.L.slot.state.at(0)) === SlotState.ACTIVE);
    // The vCPU quiesces (takes the pool lock) and is ended; its worker dies with it.
    await owner.core.lock.lockAsync();
    for (const t of workers.threads.values()) await t.worker.terminate();
    // From here on, workers serve at once.
    workers.knobs.serveUs = 0;
    const recovered = await owner.recoverOrphansLocked(threadIdOfVcpu(0));
    expect(recovered).toEqual({ lost: 1, requeued: 1 });
    await until(() => completed.get(4096) === 1);
    const s = owner.counters();
    expect(s).toMatchObject({ lost_with_creator: 1, requeued: 1 });
    expect(owner.records().map((w) => [w.creator, w.state])).toEqual([
      ['vcpu0', 'lost'],
      ['main', expect.stringMatching(/^(running|idle|busy)$/)],
    ]);
    expect(await owner.audit()).toEqual([]);
    await owner.shutdown();
    await loop.stop();
  });

  it('thread-pool/owner-never-ran: a worker that cannot be created is counted out; with none left, what waits fails with EIO', async () => {
    const workers = nodeWorkers(0, 1);
    const { ctl, loop, owner, completed, rets } = makeOwner({ maxThreads: 1 }, workers);
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await owner.start();
      fill(ctl, 0, 512);
      await owner.submit(0);
      await until(() => completed.get(512) === 1);
    } finally {
      quiet.mockRestore();
    }
    expect(rets.get(512)).toBe(-5);
    expect(owner.records().map((w) => w.state)).toEqual(['lost']);
    expect(owner.counters()).toMatchObject({ spawned: 1, cur_threads: 0, exited: 1, queued: 0 });
    // The next request tries again, and this time a worker starts.
    await until(() => Atomics.load(ctl.i32, ctl.L.slot.state.at(0)) === SlotState.FREE);
    fill(ctl, 0, 1024);
    await owner.submit(0);
    await until(() => completed.get(1024) === 1);
    expect(rets.get(1024)).toBe(1024);
    expect(await owner.audit()).toEqual([]);
    await owner.shutdown();
    await loop.stop();
  });

  it('thread-pool/owner-settings: changes apply in call order, checked against what is in force; a refused one blocks none', async () => {
    const { loop, owner } = makeOwner({ maxThreads: 8 }, nodeWorkers());
    const a = owner.setConfig({ maxThreads: 2 });
    const b = owner.setConfig({ minThreads: 3 });
    const c = owner.setConfig({ maxThreads: 16, minThreads: 3 });
    await a;
    await expect(b).rejects.toThrow('pool minThreads 3 is above maxThreads 2');
    await c;
    expect(owner.configuration).toMatchObject({ maxThreads: 16, minThreads: 3, policy: 'bh' });
    await owner.shutdown();
    await expect(owner.setConfig({})).rejects.toThrow('shut down');
    await loop.stop();
  });
});
