// The `block` benchmark scenario as `npm run bench` runs it, made tiny: every figure is filled in
// and consistent with the others. Speed is never asserted here (docs/benchmarks.md has figures).

import { expect, test } from './fixtures.ts';

test('bench block: every case has both sides measured and ratios of emulator / baseline', async ({
  profile,
}) => {
  const page = await profile.open();
  const params = {
    ops: ['read', 'write'] as ('read' | 'write')[],
    bs: [4096],
    iodepth: [2],
    runtimeMs: 150,
    warmupMs: 50,
    imageBytes: 8 << 20,
    regionBytes: 1 << 20,
  };
  const r = await page.evaluate((p) => window.webaio.bench.block(p), params);

  expect(r.scenario).toBe('block');
  expect(r.params).toMatchObject(params);
  expect(r.emulator.cache).toBe('writeback');
  expect(r.emulator.pool).toMatchObject({ policy: 'bh', maxThreads: 64 });
  expect(r.prefillMs.emulator).toBeGreaterThan(0);
  expect(r.prefillMs.baseline).toBeGreaterThan(0);
  expect(r.cases.map((c) => [c.op, c.bs, c.iodepth])).toEqual([
    ['read', 4096, 2],
    ['write', 4096, 2],
  ]);
  expect(r.cases.map((c) => c.first)).toEqual(['emulator', 'baseline']);
  for (const c of r.cases) {
    for (const side of [c.emulator, c.baseline]) {
      expect(side.ops).toBeGreaterThan(0);
      expect(side.bytes).toBe(side.ops * c.bs);
      expect(side.elapsedMs).toBeGreaterThanOrEqual(params.runtimeMs);
      expect(side.iops).toBeCloseTo(side.ops / (side.elapsedMs / 1000), 6);
      expect(side.mbPerS).toBeCloseTo(side.bytes / 1e6 / (side.elapsedMs / 1000), 6);
      expect(side.warmupOps).toBeGreaterThan(0);
      expect(side.warmupMs).toBeGreaterThanOrEqual(params.warmupMs);
      const l = side.latencyUs;
      expect(l.count).toBe(side.ops);
      expect(l.min).toBeGreaterThan(0);
      expect(l.min).toBeLessThanOrEqual(l.p50);
      expect(l.p50).toBeLessThanOrEqual(l.p90);
      expect(l.p90).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.p999);
      expect(l.p999).toBeLessThanOrEqual(l.max);
    }
    const pool = c.emulator.pool;
    expect(pool.threadsAtStart).toBeGreaterThan(0);
    expect(pool.threadsAtEnd).toBeGreaterThan(0);
    expect(pool.spawnedDuringRun).toBeGreaterThanOrEqual(0);
    expect(pool.curHighWater).toBeGreaterThanOrEqual(pool.threadsAtEnd);
    for (const [key, value] of Object.entries(c.ratio)) {
      expect(Number.isFinite(value), `ratio.${key} = ${value}`).toBe(true);
    }
    expect(c.ratio.iops).toBeCloseTo(c.emulator.iops / c.baseline.iops, 9);
    expect(c.ratio.p50).toBeCloseTo(c.emulator.latencyUs.p50 / c.baseline.latencyUs.p50, 9);
    expect(c.ratio.p99).toBeCloseTo(c.emulator.latencyUs.p99 / c.baseline.latencyUs.p99, 9);
  }
  // The scenario cleans up after itself.
  const left = await page.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name)).toEqual([]);
});

test('bench block: a bad parameter is refused with EINVAL naming it', async ({ app }) => {
  const err = await app.evaluate(() =>
    window.webaio.bench.block({ bs: [1000] }).then(
      () => null,
      (e: Error) => ({ name: e.name, message: e.message }),
    ),
  );
  expect(err).toEqual({ name: 'EINVAL', message: expect.stringContaining('bs 1000') });
});
