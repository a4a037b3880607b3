// The benchmark's measuring loop: seeded aligned offsets, exactly `iodepth` requests in flight,
// every completed request counted and timed, the first failure stops it.

import { describe, expect, it } from 'vitest';
import type { IoJob } from './bench-contracts.ts';
import {
  extentsOf,
  groupRequests,
  jobOffsets,
  randomBytes,
  randomOffsets,
  runClosedLoop,
  runConcurrently,
  sideResult,
} from './bench-loop.ts';
import { Histogram } from '../../app/shared/stats/histogram.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('bench-loop', () => {
  it('bench/offsets-aligned-in-region-seeded', () => {
    const a = randomOffsets(7, 1 << 20, 4096);
    const b = randomOffsets(7, 1 << 20, 4096);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const off = a();
      expect(off).toBe(b());
      expect(off % 4096).toBe(0);
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThan(1 << 20);
      seen.add(off);
    }
    expect(seen.size).toBe(256); // every one of the 256 slots, with 2000 draws
    expect(() => randomOffsets(1, 4096, 8192)).toThrow(/4096 bytes .* 8192 bytes/);
  });

  it('bench/offsets-sequential-and-in-the-job-region', () => {
    const job: IoJob = {
      op: 'read',
      pattern: 'sequential',
      bs: 32768,
      iodepth: 4,
      batch: 1,
      regionOffset: 1 << 20,
      regionBytes: 4 * 32768,
      runtimeMs: 10,
      warmupMs: 0,
      seed: 1,
    };
    const seq = jobOffsets(job).timed;
    const base = 1 << 20;
    expect(Array.from({ length: 6 }, seq)).toEqual([0, 1, 2, 3, 0, 1].map((k) => base + k * 32768));
    const rnd = jobOffsets({ ...job, pattern: 'random', bs: 4096 }).timed;
    for (let i = 0; i < 500; i++) {
      const off = rnd();
      expect(off % 4096).toBe(0);
      expect(off).toBeGreaterThanOrEqual(base);
      expect(off).toBeLessThan(base + job.regionBytes);
    }
  });

  it('bench/random-bytes-seeded', () => {
    expect(randomBytes(10, 3)).toEqual(randomBytes(10, 3));
    expect(randomBytes(4096, 3)).not.toEqual(randomBytes(4096, 4));
    expect(new Set(randomBytes(4096, 3)).size).toBeGreaterThan(200);
  });

  it('bench/closed-loop-keeps-iodepth-in-flight', async () => {
    let inflight = 0;
    let most = 0;
    const latencyUs = Histogram.create();
    const run = await runClosedLoop({
      iodepth: 4,
      runtimeMs: 40,
      nextOffset: () => 0,
      io: async () => {
        most = Math.max(most, ++inflight);
        await tick();
        inflight--;
      },
      latencyUs,
    });
    expect(most).toBe(4);
    expect(inflight).toBe(0);
    expect(run.ops).toBeGreaterThanOrEqual(4);
    expect(latencyUs.count).toBe(run.ops);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(40);
  });

  it('bench/closed-loop-stops-at-first-failure', async () => {
    let calls = 0;
    const job = runClosedLoop({
      iodepth: 3,
      runtimeMs: 10_000,
      nextOffset: () => 0,
      io: async () => {
        await tick();
        if (++calls === 5) throw new Error('EIO at call 5');
      },
    });
    await expect(job).rejects.toThrow('EIO at call 5');
    expect(calls).toBeLessThan(9);
  });

  it('bench/prefill-extents-and-concurrency', async () => {
    expect(extentsOf(10, 4)).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    let inflight = 0;
    let most = 0;
    const done: number[] = [];
    await runConcurrently([1, 2, 3, 4, 5], 2, async (n) => {
      most = Math.max(most, ++inflight);
      await tick();
      inflight--;
      done.push(n);
    });
    expect(most).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('bench/group-requests-batches-what-is-queued', async () => {
    const groups: number[][] = [];
    const g = groupRequests(
      3,
      async (offsets) => {
        groups.push([...offsets]);
        await tick();
      },
      (fn) => setTimeout(fn, 0),
    );
    // Seven requests in flight: transactions of 3, 3 and 1, started in one turn.
    const done = Array.from({ length: 7 }, (_, k) => g.io(k));
    await Promise.all(done);
    expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(g.transactions()).toBe(3);
    // A closed loop of 6 in flight, batches of 3: every transaction carries 3 once it runs.
    groups.length = 0;
    const run = await runClosedLoop({
      iodepth: 6,
      runtimeMs: 30,
      nextOffset: () => 0,
      io: (off) => g.io(off),
    });
    // The deadline may fall between the three continuations of the last group's requests (the
    // clock is read by each): only the groups started after it may be short.
    const full = groups.findIndex((t) => t.length !== 3);
    if (full !== -1) expect(groups.slice(full).every((t) => t.length < 3)).toBe(true);
    expect(groups.length - (full === -1 ? 0 : groups.slice(full).length)).toBeGreaterThan(0);
    expect(run.ops).toBe(groups.reduce((n, t) => n + t.length, 0));
  });

  it('bench/group-requests-one-each-and-failures', async () => {
    let calls = 0;
    const one = groupRequests(
      1,
      async () => {
        calls++;
      },
      () => {
        throw new Error('batch 1 never waits for a turn');
      },
    );
    await Promise.all([one.io(0), one.io(1)]);
    expect([calls, one.transactions()]).toEqual([2, 2]);
    const failing = groupRequests(
      4,
      () => Promise.reject(new Error('QuotaExceededError')),
      (fn) => setTimeout(fn, 0),
    );
    const results = await Promise.allSettled([failing.io(0), failing.io(1)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failing.transactions()).toBe(1);
    expect(() => groupRequests(0, async () => undefined, setTimeout)).toThrow(/batch 0/);
  });

  it('bench/side-result', () => {
    const h = Histogram.create();
    h.record(100);
    h.record(300);
    const r = sideResult({ ops: 2, elapsedMs: 500 }, 4096, h, { ops: 1, elapsedMs: 20 });
    expect(r).toMatchObject({ ops: 2, bytes: 8192, iops: 4, warmupMs: 20, warmupOps: 1 });
    expect(r.mbPerS).toBeCloseTo(8192 / 1e6 / 0.5, 12);
    expect(r.latencyUs.count).toBe(2);
  });
});
