// The three pool policies. Under `inline`, stopping the vCPU that created workers kills them
// (nested workers die with their creator): the pool must learn which died, fix its counters and
// requeue their requests — losing none and completing none twice. `prealloc` keeps minThreads
// workers from the start.

import { expect, test } from './fixtures.ts';

type Machine = Awaited<ReturnType<typeof window.webaio.createMachine>>;
type W = Window & { m: Machine };

for (const policy of ['inline', 'bh', 'prealloc'] as const) {
  test(`${policy}: stopping a vCPU in the middle of its burst loses no request and completes none twice`, async ({
    app,
  }) => {
    test.setTimeout(120_000);
    await app.evaluate(async (policy) => {
      await window.webaio.images.create('burst', 32 << 20);
      const m = await window.webaio.createMachine({
        image: 'burst',
        vcpus: 3,
        pool: { policy, maxThreads: 32, minThreads: policy === 'prealloc' ? 4 : 0 },
        jobs: [
          { rw: 'randread', bs: 4096, iodepth: 64, runtimeMs: 60_000 },
          { rw: 'randrw', bs: 4096, iodepth: 4, runtimeMs: 60_000, verify: true },
          { rw: 'randrw', bs: 8192, iodepth: 4, runtimeMs: 60_000, verify: true },
        ],
      });
      (window as unknown as W).m = m;
      await m.start();
    }, policy);
    const stats = () => app.evaluate(() => (window as unknown as W).m.stats());
    // vCPU 0 has its burst in flight (and, under inline, has created workers itself).
    await expect
      .poll(async () => {
        const s = await stats();
        return s.vcpus[0].counters.submitted >= 64 && s.vcpus[0].inflight > 0;
      })
      .toBe(true);
    await app.evaluate(() => (window as unknown as W).m.stopVcpu(0));
    // Its requests are all answered, by whichever workers are left.
    await expect.poll(async () => (await stats()).vcpus[0].inflight, { timeout: 30_000 }).toBe(0);
    const mid = await stats();
    expect(mid.vcpus[1].state).not.toBe('stopped');
    expect(await app.evaluate(() => (window as unknown as W).m.auditPool())).toEqual([]);

    await app.evaluate(() => (window as unknown as W).m.stop());
    const r = await app.evaluate(async () => {
      const m = (window as unknown as W).m;
      const report = await m.done();
      return { report, s: m.stats(), audit: await m.auditPool() };
    });
    const { s } = r;
    // Every request the device handed to the pool completed exactly once.
    const submitted = s.vcpus.reduce((n, v) => n + v.counters.submitted, 0);
    const completed =
      s.rd_operations +
      s.wr_operations +
      s.flush_operations +
      s.failed_rd_operations +
      s.failed_wr_operations +
      s.failed_flush_operations;
    expect(completed).toBe(submitted);
    expect(s.failed_rd_operations + s.failed_wr_operations).toBe(0);
    expect(r.report.total.verify.errors).toBe(0);
    expect(r.audit).toEqual([]);
    expect(s.pool.queued).toBe(0);
    const creators = new Set(s.spawns.map((w) => w.creator));
    if (policy === 'inline') {
      // vCPU 0 created workers; they died with it, counted, and their requests went back.
      expect(creators.has('vcpu0')).toBe(true);
      expect(s.pool.lost_with_creator).toBeGreaterThan(0);
      expect(
        s.spawns.filter((w) => w.creator === 'vcpu0' && w.state !== 'exited' && w.state !== 'lost'),
      ).toEqual([]);
    } else {
      // (null: still in the backlog, nobody has created it yet)
      expect([...creators].filter((c) => c !== null)).toEqual(['main']);
      expect(s.pool.lost_with_creator).toBe(0);
      expect(s.pool.requeued).toBe(0);
      expect(s.pool.pending_high_water).toBe(1);
    }
    await app.evaluate(() => (window as unknown as W).m.destroy());
    expect((await stats()).pool.cur_threads).toBe(0);
  });
}

test('prealloc with minThreads 4: four workers before the first request, never fewer across an idle timeout', async ({
  app,
}) => {
  test.setTimeout(60_000);
  await app.evaluate(async () => {
    await window.webaio.images.create('warm', 8 << 20);
    const m = await window.webaio.createMachine({
      image: 'warm',
      vcpus: 1,
      pool: { policy: 'prealloc', minThreads: 4, maxThreads: 16, idleTimeoutMs: 300 },
      jobs: { rw: 'randread', bs: 4096, iodepth: 16, ios: 400 },
    });
    (window as unknown as W).m = m;
  });
  const pool = () => app.evaluate(() => (window as unknown as W).m.stats().pool);
  await expect.poll(async () => (await pool()).idle_threads).toBe(4);
  const before = await app.evaluate(() => (window as unknown as W).m.stats());
  expect(before.rd_operations).toBe(0);
  expect(before.spawns.map((w) => [w.creator, w.state])).toEqual(Array(4).fill(['main', 'idle']));

  // Run, then sit through several idle timeouts, watching the count all along.
  const lowest = await app.evaluate(async () => {
    const m = (window as unknown as W).m;
    let min = Infinity;
    const watch = setInterval(() => (min = Math.min(min, m.stats().pool.cur_threads)), 10);
    await m.start();
    await m.done();
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(watch);
    return min;
  });
  expect(lowest).toBeGreaterThanOrEqual(4);
  const after = await pool();
  expect(after.cur_threads).toBe(4);
  expect(after.idle_threads).toBe(4);
  expect(await app.evaluate(() => (window as unknown as W).m.auditPool())).toEqual([]);

  // Raising minThreads spawns up to it (thread_pool_update_params), from the main thread.
  await app.evaluate(() => (window as unknown as W).m.setPool({ minThreads: 6 }));
  await expect.poll(async () => (await pool()).idle_threads).toBe(6);
  await app.evaluate(() => (window as unknown as W).m.destroy());
});
