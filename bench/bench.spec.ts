// The benchmark scenarios as `npm run bench` runs them, made short: every figure is filled in and
// consistent with the others. Speed is never asserted here (docs/benchmarks.md has figures).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLD_BURST_FIGURES, type ColdBurstResult } from './shared/cold-burst-params.ts';
import type { LatencySummary } from '../app/shared/histogram.ts';
import type { BenchReport } from './cli/bench-report.ts';
import { expect, test } from '../e2e/fixtures.ts';

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
      // A duration may read 0: the isolated page's clock ticks in 5 µs steps.
      expect(l.min).toBeGreaterThanOrEqual(0);
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

// ---- cold-burst: the page side, `npm run bench` itself, and the page's comparison view ----

/** A run's figures are consistent with each other, whatever their values (never speed). */
function expectConsistentColdBurst(r: ColdBurstResult, burst: number): void {
  const ordered = (l: LatencySummary) => {
    expect(l.min).toBeGreaterThanOrEqual(0);
    expect(l.min).toBeLessThanOrEqual(l.p50);
    expect(l.p50).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.p999);
    expect(l.p999).toBeLessThanOrEqual(l.max);
  };
  const bh = r.runs.find((x) => x.variant === 'bh');
  for (const run of r.runs) {
    const at = `${run.variant}`;
    expect(run.error, at).toBeNull();
    expect(run.stallUs.count, at).toBe(burst);
    // An exit shorter than the clock's 5 µs step reads 0 (a fast CPU's doorbell often is).
    expect(run.stallUs.min, at).toBeGreaterThanOrEqual(0);
    ordered(run.stallUs);
    ordered(run.bqlWaitUs);
    ordered(run.latencyUs);
    for (const v of run.others.perVcpu) ordered(v.bqlWaitUs);
    expect(run.others.perVcpu.map((v) => v.vcpu)).toEqual([1, 2, 3]);
    expect(run.others.bqlWaitMaxUs).toBeGreaterThanOrEqual(run.others.bqlWaitP99Us);
    const t = run.times;
    for (const [k, v] of Object.entries(t)) expect(v, `${at} ${k}`).toBeGreaterThanOrEqual(0);
    expect(t.firstCompletionMs, at).toBeGreaterThan(0);
    expect(t.firstCompletionMs, at).toBeLessThanOrEqual(t.burstCompleteMs);
    const m = run.mainThread;
    expect(m.longTaskSupported).toBe(true);
    expect(m.heartbeats).toBeGreaterThan(0);
    expect(m.heartbeatMaxGapMs).toBeGreaterThanOrEqual(0);
    expect(m.heartbeatMaxGapMs).toBeLessThanOrEqual(m.windowMs);
    expect(m.longestTaskMs === 0).toBe(m.longTasks === 0);
    expect(m.bottomHalves.map((b) => b.name).sort()).toEqual(['completion_bh', 'new_thread_bh']);
    const spawnBh = m.bottomHalves.find((b) => b.name === 'new_thread_bh');
    if (run.variant === 'bh') {
      expect(spawnBh?.runs).toBeGreaterThan(0);
      expect(run.workers.byCreator).toEqual({ main: run.workers.created });
      expect(run.threadsAtStart).toBe(0);
    }
    if (run.variant === 'prealloc') {
      expect(run.threadsAtStart).toBeGreaterThanOrEqual(run.pool.minThreads);
      expect(run.preallocReadyMs).toBeGreaterThan(0);
    } else {
      expect(run.preallocReadyMs).toBe(0);
    }
    if (run.variant === 'inline') {
      expect(spawnBh?.runs).toBe(0);
      expect(run.workers.byCreator.main).toBeUndefined();
      expect(run.workers.byCreator.vcpu0).toBeGreaterThan(0);
    }
    if (run.variant === 'inline-stop') {
      // vCPU 0's workers died with it; the pool learned it and lost nothing.
      const s = run.stop;
      expect(s).not.toBeNull();
      expect(s?.requestedMs).toBeGreaterThanOrEqual(0);
      expect(s?.requestedMs).toBeLessThanOrEqual(s?.vcpuStoppedMs ?? -1);
      expect(s?.vcpuStoppedMs).toBeLessThanOrEqual(s?.queueDrainedMs ?? -1);
      expect(run.lost.lostWithCreator).toBe(run.workers.byCreator.vcpu0);
      expect(run.lost.neverStarted).toBe(0);
      expect(run.lost.requeued).toBeLessThanOrEqual(burst);
    } else {
      expect(run.stop).toBeNull();
      expect(run.latencyUs.count).toBe(burst);
      expect(t.guestFirstSeenMs).toBeGreaterThanOrEqual(t.firstCompletionMs);
      expect(t.guestLastSeenMs).toBeGreaterThanOrEqual(t.burstCompleteMs);
      expect(run.lost).toEqual({
        lostWithCreator: 0,
        requeued: 0,
        lostRecords: 0,
        neverStarted: 0,
      });
    }
  }
  // Ratios are policy / bh, null where bh's figure is 0.
  expect(r.ratios.map((x) => x.variant)).toEqual(['prealloc', 'inline']);
  for (const ratio of r.ratios) {
    const run = r.runs.find((x) => x.variant === ratio.variant);
    for (const [key, get] of COLD_BURST_FIGURES) {
      if (!bh || !run) throw new Error('bh and the variant ran');
      const base = get(bh);
      if (base === 0) expect(ratio[key], key).toBeNull();
      else expect(ratio[key], key).toBeCloseTo(get(run) / base, 9);
    }
  }
}

test('bench cold-burst (page): every policy and inline-stop measured, figures consistent', async ({
  app,
}) => {
  test.setTimeout(90_000);
  const params = { runtimeMs: 200, burst: 16, maxThreads: 16, minThreads: 4 };
  const r = await app.evaluate((p) => window.webaio.bench.coldBurst(p), params);
  expect(r.scenario).toBe('cold-burst');
  expect(r.params).toMatchObject({ ...params, vcpus: 4, policies: ['bh', 'prealloc', 'inline'] });
  expect(r.runs.map((x) => x.variant)).toEqual(['bh', 'prealloc', 'inline', 'inline-stop']);
  expectConsistentColdBurst(r, 16);
  // Its images are gone.
  const left = await app.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name)).toEqual([]);
});

/** Keys an object of the documented schema must have (docs/benchmarks.md). */
function expectKeys(what: string, obj: unknown, keys: string[]): void {
  expect(typeof obj, what).toBe('object');
  expect(Object.keys(obj as object).sort(), what).toEqual([...keys].sort());
}

/** No undefined or non-finite number anywhere; null only where the schema allows it. */
function expectFilled(value: unknown, path: string, nullable: (path: string) => boolean): void {
  if (value === null) {
    expect(nullable(path), `${path} is null`).toBe(true);
  } else if (typeof value === 'number') {
    expect(Number.isFinite(value), `${path} = ${value}`).toBe(true);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => expectFilled(v, `${path}[${i}]`, nullable));
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as object)) expectFilled(v, `${path}.${k}`, nullable);
  } else {
    expect(['string', 'boolean'], `${path}: ${typeof value}`).toContain(typeof value);
  }
}

const SUMMARY_KEYS = ['count', 'min', 'avg', 'p50', 'p90', 'p99', 'p999', 'max'];

test('npm run bench -- --scenario cold-burst writes JSON with every field of the schema', async () => {
  test.slow();
  const dir = mkdtempSync(join(tmpdir(), 'webaio-bench-json-'));
  const file = join(dir, 'cold-burst.json');
  try {
    const args = ['run', 'bench', '--', '--scenario', 'cold-burst', '--runtime', '300'];
    const child = spawn('npm', [...args, '--json', file], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const status = await new Promise<number | null>((done) => child.once('exit', done));
    expect(status, output).toBe(0);
    expect(output).toContain('| inline/bh ');
    expect(output).toMatch(/\[(MET|NOT MET)\] bh max vCPU stall under 1 ms/);

    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    expectKeys('report', report, [
      'schema',
      'startedAt',
      'wallMs',
      'command',
      'chromium',
      'machine',
      'scenarios',
      'requested',
      'results',
      'comparison',
      'targets',
      'errors',
    ]);
    expect(report.schema).toBe('webaio-bench/2');
    expect(report.command).toContain('--scenario cold-burst --runtime 300');
    expect(report.scenarios).toEqual(['cold-burst']);
    expect(report.errors).toEqual([]);
    expect(report.wallMs).toBeGreaterThan(0);
    expectKeys('chromium', report.chromium, ['version', 'userAgent', 'executable']);
    expectKeys('results', report.results, ['coldBurst']);
    const r = report.results.coldBurst;
    if (!r) throw new Error('no cold-burst result');
    expectKeys('coldBurst', r, ['scenario', 'params', 'startedAt', 'elapsedMs', 'runs', 'ratios']);
    expect(r.params.runtimeMs).toBe(300);
    for (const run of r.runs) {
      expectKeys(run.variant, run, [
        'variant',
        'pool',
        'image',
        'preallocReadyMs',
        'stallUs',
        'bqlWaitUs',
        'slatUs',
        'latencyUs',
        'others',
        'mainThread',
        'times',
        'threadsAtStart',
        'workers',
        'lost',
        'stop',
        'error',
      ]);
      for (const key of ['stallUs', 'bqlWaitUs', 'slatUs', 'latencyUs'] as const) {
        expectKeys(`${run.variant}.${key}`, run[key], SUMMARY_KEYS);
      }
      expectKeys('times', run.times, [
        'firstCompletionMs',
        'burstCompleteMs',
        'guestFirstSeenMs',
        'guestLastSeenMs',
        'poolGrowthMs',
      ]);
      expectKeys('mainThread', run.mainThread, [
        'longTaskSupported',
        'longTasks',
        'longestTaskMs',
        'heartbeatMaxGapMs',
        'heartbeats',
        'windowMs',
        'bottomHalves',
        'bqlWaitUs',
      ]);
      expectKeys('lost', run.lost, ['lostWithCreator', 'requeued', 'lostRecords', 'neverStarted']);
    }
    expect(report.targets.map((t) => [t.id, t.met === null])).toEqual([
      ['bh-stall-p99', false],
      ['bh-stall-max', false],
      ['bh-long-task', false],
      ['prealloc-first-completion', false],
      ['steady-vs-ceiling', true], // steady did not run
    ]);
    const nullable = (path: string) =>
      /^\$\.results\.coldBurst\.runs\[\d\]\.(stop|error)$/.test(path) ||
      /^\$\.results\.coldBurst\.ratios\[\d\]\.\w+$/.test(path) ||
      path === '$.comparison.steadyVsCeiling' ||
      path === '$.targets[4].met';
    expectFilled(report, '$', nullable);
    expectConsistentColdBurst(r, 64);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the page compares policies: a table with a row per policy and its ratio to bh', async ({
  app,
}) => {
  test.setTimeout(120_000);
  await expect(app.getByRole('heading', { name: 'Compare policies' })).toBeVisible();
  await app.getByRole('button', { name: 'Compare policies' }).click();
  const status = app.getByRole('status', { name: 'comparison status' });
  await expect(status).toContainText('cold-burst');
  await expect(status).toContainText('Done in', { timeout: 110_000 });
  await expect(status).not.toContainText('Failed');
  const table = app.getByRole('table', { name: 'cold-burst comparison' });
  const firstCells = table.locator('tbody tr th');
  await expect(firstCells).toHaveText(['bh', 'prealloc', 'prealloc/bh', 'inline', 'inline/bh']);
  await expect(table.locator('thead th').first()).toHaveText('policy');
  await expect(table.locator('tbody tr[data-policy="bh"] td').first()).toHaveText(/^\d+$/);
  await expect(app.getByRole('list', { name: 'targets' }).getByRole('listitem')).toHaveCount(4);
  // It used images of its own, and removed them.
  const left = await app.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name)).toEqual([]);
});
