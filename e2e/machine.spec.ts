// The machine: guests on vCPU workers driving a virtio-blk device through the AIO pool. Data
// verified across vCPUs and across a reload, malformed requests refused without harm, a vCPU
// stopped and restarted mid-flight, and configurations refused by name.

import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

type Machine = Awaited<ReturnType<typeof window.webaio.createMachine>>;
type W = Window & { m: Machine };

/** The sum of the guests' reports must equal what the block layer counted. */
async function agreement(page: Page) {
  return page.evaluate(async () => {
    const m = (window as unknown as W).m;
    const report = await m.done();
    const s = m.stats();
    const sum = (f: (j: (typeof report.jobs)[number]) => number) =>
      report.jobs.reduce((n, j) => n + f(j), 0);
    return {
      report,
      guest: {
        reads: sum((j) => j.reads),
        writes: sum((j) => j.writes),
        flushes: sum((j) => j.flushes),
        readBytes: sum((j) => j.readBytes),
        writeBytes: sum((j) => j.writeBytes),
      },
      device: {
        reads: s.rd_operations,
        writes: s.wr_operations,
        flushes: s.flush_operations,
        readBytes: s.rd_bytes,
        writeBytes: s.wr_bytes,
      },
      failed: s.failed_rd_operations + s.failed_wr_operations + s.failed_flush_operations,
      vcpus: s.vcpus,
      pool: s.pool,
    };
  });
}

test('8 vCPUs, iodepth 32, mixed sizes, verify on: 20 000 requests, no verify error, counters agree', async ({
  app,
}) => {
  test.setTimeout(240_000);
  await app.evaluate(async () => {
    await window.webaio.images.create('verify8', 64 << 20, { chunkSize: 32768 });
    const sizes = [4096, 8192, 16384, 32768, 4096, 12288, 512, 65536];
    const m = await window.webaio.createMachine({
      image: 'verify8',
      vcpus: 8,
      jobs: sizes.map((bs, v) => ({
        rw: 'randrw' as const,
        bs,
        iodepth: 32,
        ios: 2500,
        verify: true,
        rwmixread: 50,
        flushEvery: v % 2 ? 200 : 0,
      })),
    });
    (window as unknown as W).m = m;
    await m.start();
  });
  const r = await agreement(app);
  expect(r.report.total.ios).toBeGreaterThanOrEqual(20_000);
  expect(r.report.total.verify.errors).toBe(0);
  expect(r.report.total.verify.checked).toBeGreaterThan(20_000);
  expect(
    r.report.total.status.ioerr + r.report.total.status.unsupp + r.report.total.status.none,
  ).toBe(0);
  for (const j of r.report.jobs) expect(j.verify.firstError).toBeNull();
  expect(r.device).toEqual(r.guest);
  expect(r.failed).toBe(0);
  expect(r.pool.pending_high_water).toBe(1);
  for (const v of r.vcpus) expect(v.counters.broken).toBe(0);
  await app.evaluate(() => (window as unknown as W).m.destroy());
});

test('write and flush with verify, reload the page, read-verify the same regions: zero errors', async ({
  profile,
}) => {
  test.setTimeout(120_000);
  let page = await profile.open();
  const written = await page.evaluate(async () => {
    await window.webaio.images.create('persist', 16 << 20);
    const m = await window.webaio.createMachine({
      image: 'persist',
      vcpus: 4,
      jobs: { rw: 'write', bs: 16384, iodepth: 8, verify: true, flushEvery: 32, seed: 77 },
    });
    await m.start();
    const report = await m.done();
    await m.destroy();
    return report;
  });
  expect(written.total.ios).toBe((16 << 20) / 16384);
  expect(written.jobs.every((j) => j.flushes >= 8)).toBe(true);

  await page.reload();
  page = await profile.relaunch(); // and a browser restart, for good measure
  const readBack = (seed: number) =>
    page.evaluate(async (seed) => {
      const m = await window.webaio.createMachine({
        image: 'persist',
        vcpus: 4,
        jobs: { rw: 'read', bs: 65536, iodepth: 4, verify: true, seed },
      });
      await m.start();
      const report = await m.done();
      await m.destroy();
      return report.total.verify;
    }, seed);
  const good = await readBack(77);
  expect(good).toEqual({ checked: (16 << 20) / 512, errors: 0 });
  // The same check with another run id must fail every sector: the checker is not vacuous.
  const other = await readBack(78);
  expect(other.errors).toBe((16 << 20) / 512);
});

test('a fuzzing vCPU beside three verifying ones: malformed requests refused, others unharmed, page responsive', async ({
  app,
}) => {
  test.setTimeout(120_000);
  await app.evaluate(async () => {
    await window.webaio.images.create('fuzz', 32 << 20);
    const m = await window.webaio.createMachine({
      image: 'fuzz',
      vcpus: 4,
      jobs: [
        { rw: 'fuzz', bs: 4096, iodepth: 16, ios: 3000 },
        { rw: 'randrw', bs: 4096, iodepth: 16, ios: 1500, verify: true },
        { rw: 'randrw', bs: 8192, iodepth: 8, ios: 1000, verify: true },
        { rw: 'randrw', bs: 32768, iodepth: 4, ios: 500, verify: true },
      ],
    });
    (window as unknown as W).m = m;
    await m.start();
  });
  // The page answers while the guests run: the browser check runs to the end.
  await app.getByRole('button', { name: 'Run the browser check again' }).click();
  await expect(app.getByRole('status', { name: 'browser check' })).toContainText('ran 200 times');
  const r = await agreement(app);
  const fuzz = r.report.jobs[0].fuzz;
  expect(fuzz).not.toBeNull();
  if (!fuzz) return;
  expect(fuzz.malformed).toBeGreaterThan(1000);
  expect(fuzz.rejected).toBe(fuzz.malformed);
  expect(fuzz.validOk).toBe(fuzz.valid);
  for (const j of r.report.jobs.slice(1)) {
    expect(j.verify.errors).toBe(0);
    expect(j.status.ok).toBe(j.ios);
  }
  // Every malformed request was counted by the device, and none reached the block layer.
  const c = r.vcpus[0].counters;
  expect(c.invalidRd + c.invalidWr + c.unsupported).toBe(fuzz.malformed);
  expect(c.broken).toBe(0);
  expect(r.device).toEqual(r.guest);
  await app.evaluate(() => (window as unknown as W).m.destroy());
});

test('stopping and restarting one vCPU mid-flight loses no slot and leaves the others running', async ({
  app,
}) => {
  test.setTimeout(120_000);
  await app.evaluate(async () => {
    await window.webaio.images.create('restart', 16 << 20);
    const m = await window.webaio.createMachine({
      image: 'restart',
      vcpus: 3,
      queueSize: 16,
      jobs: { rw: 'randrw', bs: 4096, iodepth: 16, runtimeMs: 60_000, verify: true },
    });
    (window as unknown as W).m = m;
    await m.start();
  });
  const vcpu = (i: number) => app.evaluate((i) => (window as unknown as W).m.stats().vcpus[i], i);
  // Stop vCPU 1 while it has requests in flight.
  await expect.poll(async () => (await vcpu(1)).inflight, { timeout: 20_000 }).toBeGreaterThan(0);
  await app.evaluate(() => (window as unknown as W).m.stopVcpu(1));
  expect((await vcpu(1)).state).toBe('stopped');
  // Its requests still complete; the others keep going.
  await expect.poll(async () => (await vcpu(1)).inflight).toBe(0);
  const before = await vcpu(0);
  await expect
    .poll(async () => (await vcpu(0)).counters.guestIos)
    .toBeGreaterThan(before.counters.guestIos);
  expect((await vcpu(2)).state).not.toBe('stopped');

  // Restart: a new thread, the same queue, every descriptor usable (iodepth = queue size).
  await app.evaluate(() => (window as unknown as W).m.startVcpu(1));
  await expect
    .poll(async () => (await vcpu(1)).counters.guestIos, { timeout: 20_000 })
    .toBeGreaterThan(50);
  const restarted = await vcpu(1);
  expect(restarted.generation).toBe(2);
  expect(restarted.counters.broken).toBe(0);

  await app.evaluate(() => (window as unknown as W).m.stop());
  const r = await agreement(app);
  for (const v of r.vcpus) {
    expect(v.inflight).toBe(0);
    expect(v.counters.broken).toBe(0);
  }
  expect(r.report.total.verify.errors).toBe(0);
  expect(r.pool.queued).toBe(0);
  // Both runs of vCPU 1 are on record; the first one says it was stopped.
  const runs = await app.evaluate(() =>
    (window as unknown as W).m.vcpus[1].reports.map((j) => j.stopped),
  );
  expect(runs).toEqual([true, true]);
  await app.evaluate(() => (window as unknown as W).m.destroy());
  const after = await app.evaluate(() => (window as unknown as W).m.stats().pool);
  expect(after.cur_threads).toBe(0);
});

test('bad machine configurations are refused with the value named', async ({ app }) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('cfg', 8 << 20);
    const err = (cfg: Parameters<typeof window.webaio.createMachine>[0]) =>
      window.webaio.createMachine(cfg).then(
        (m) => m.destroy().then(() => 'created'),
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const job = { rw: 'randread' as const, bs: 4096, iodepth: 4 };
    return [
      await err({ image: 'cfg', vcpus: 0, jobs: job }),
      await err({ image: 'nope', vcpus: 1, jobs: job }),
      await err({ image: 'cfg', vcpus: 1, jobs: { ...job, bs: 1000 } }),
      await err({ image: 'cfg', vcpus: 1, queueSize: 8, jobs: { ...job, iodepth: 9 } }),
      await err({ image: 'cfg', vcpus: 2, jobs: [job, job, job] }),
      await err({ image: 'cfg', vcpus: 1, jobs: { ...job, rw: 'trim' as 'read' } }),
      await err({
        image: 'cfg',
        vcpus: 1,
        ramBytes: 1 << 20,
        jobs: { ...job, bs: 1 << 20, iodepth: 4 },
      }),
      await err({ image: 'cfg', vcpus: 1, jobs: job }),
    ];
  });
  expect(r).toEqual([
    'EINVAL: vcpus 0 is not an integer in 1..16',
    'ENOENT: image "nope" does not exist',
    'EINVAL: job of vCPU 0: bs 1000 is not a positive multiple of 512 up to 1048576',
    'EINVAL: job of vCPU 0: iodepth 9 is not an integer in 1..8 (the queue size)',
    'EINVAL: jobs has 3 entries for 2 vCPUs (give one, or one per vCPU)',
    'EINVAL: job of vCPU 0: rw "trim" is not one of read, write, randread, randwrite, randrw, idle, fuzz',
    expect.stringMatching(
      /^EINVAL: job of vCPU 0 needs \d+ bytes of guest RAM .* its share of ramBytes 1048576 is 1048576$/,
    ),
    'created',
  ]);
});
