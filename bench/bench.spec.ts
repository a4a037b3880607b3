// The benchmark scenarios as `npm run bench` runs them, made short: every figure is filled in and
// consistent with the others. Speed is never asserted here (docs/benchmarks.md has figures).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColdBurstResult } from './shared/cold-burst-params.ts';
import { compareSteady } from './shared/steady-compare.ts';
import { COLD_BURST_FIGURES } from './shared/cold-burst-summary.ts';
import type { ChromeTrace } from '../app/shared/trace/chrome-trace.ts';
import type { LatencySummary } from '../app/shared/stats/histogram.ts';
import { traceNestingViolations } from '../app/shared/trace/trace-nesting.ts';
import type { BenchReport } from './cli/report.ts';
import { SCENARIOS } from './cli/scenarios.ts';
import { coldBurstTargets } from './shared/targets.ts';
import { expect, test } from '../e2e/fixtures.ts';

// ---- steady and the two ceilings: every mix and AIO mode, and the comparison ----

test('bench steady, ceiling and ceiling-batched (page): every mix and AIO mode, their transactions, compared', async ({
  profile,
}) => {
  test.setTimeout(180_000);
  const page = await profile.open();
  const common = { runtimeMs: 150, warmupMs: 50, iodepth: [4], imageBytes: 8 << 20 };
  const ceiling = await page.evaluate((p) => window.webaio.bench.ceiling(p), common);
  const batched = await page.evaluate(
    (p) => window.webaio.bench.ceilingBatched({ ...p, batch: [4] }),
    common,
  );
  const steady = await page.evaluate(
    (p) => window.webaio.bench.steady({ ...p, cachedFlushEvery: 20 }),
    common,
  );
  const ops = ['randread', 'randwrite', 'seqread', 'seqwrite'];
  for (const [r, batch] of [
    [ceiling, 1],
    [batched, 4],
  ] as const) {
    // One run of the four at once, then one per operation alone.
    expect(r.cases.map((c) => [c.batch, c.mix, c.lanes.map((l) => l.name).join(',')])).toEqual([
      [batch, 'all', ops.join(',')],
      ...ops.map((op) => [batch, 'alone', op]),
    ]);
    for (const c of r.cases) {
      for (const l of c.lanes) {
        const { ops: n, transactions } = l.result;
        expect(n, `${r.scenario} ${c.mix} ${l.name}`).toBeGreaterThan(0);
        // Every request in one transaction, of at most `batch` requests.
        expect(transactions).toBeGreaterThanOrEqual(Math.ceil(n / batch));
        expect(transactions).toBeLessThanOrEqual(n);
        if (batch === 1) expect(transactions).toBe(n);
      }
    }
  }
  expect(
    steady.cases.map((c) => `${c.aio} ${c.mix} ${c.lanes.map((l) => l.name).join(',')}`),
  ).toEqual([
    ...['batched', 'faithful'].flatMap((aio) => [
      `${aio} all ${ops.join(',')}`,
      ...ops.map((op) => `${aio} alone ${op}`),
    ]),
    'cached alone randwrite',
  ]);
  for (const c of steady.cases) {
    const t = c.transactions;
    const at = `${c.aio} ${c.mix} ${c.lanes[0].name}`;
    for (const l of c.lanes) expect(l.result.ops, at).toBeGreaterThan(0);
    expect(t.elapsedMs, at).toBeGreaterThanOrEqual(common.runtimeMs);
    expect(c.aioConfig.pageCache, at).toBe(c.aio === 'cached');
    expect(t.readRequests, at).toBeLessThanOrEqual(t.readTransactions * c.aioConfig.batch);
    expect(t.writeRequests, at).toBeLessThanOrEqual(t.writeTransactions * c.aioConfig.batch);
    if (c.aio === 'faithful') {
      // One request per transaction, nothing merged.
      expect([t.readRequests, t.writeRequests, t.rdMerged + t.wrMerged], at).toEqual([
        t.readTransactions,
        t.writeTransactions,
        0,
      ]);
    }
    if (c.aio === 'cached') {
      // Writes land in the page cache; the flushes write them back durably.
      expect(c.flushEvery).toBe(20);
      expect(t.writeTransactions, at).toBe(0);
      expect(t.flushes, at).toBeGreaterThan(0);
      expect(t.durableTransactions, at).toBeGreaterThan(0);
      expect(t.pageCache.writtenBack, at).toBeGreaterThan(0);
    } else {
      expect(c.flushEvery).toBe(0);
      expect(t.flushes, at).toBe(0);
    }
  }
  const rows = compareSteady(steady, ceiling, batched);
  expect(rows).toHaveLength(4 + 4 + 4 + 4 + 1);
  for (const r of rows) {
    const at = `${r.aio} ${r.mix} ${r.lane}`;
    expect(r.ceiling?.batch, at).toBe(1);
    expect(r.ceilingBatched?.batch, at).toBe(4);
    expect(r.ratio.iops, at).toBeCloseTo(r.emulator.iops / (r.ceiling?.iops ?? NaN), 9);
    expect(r.ratioBatched.iops, at).toBeCloseTo(
      r.emulator.iops / (r.ceilingBatched?.iops ?? NaN),
      9,
    );
    expect(r.transactions.kind, at).toBe(r.lane.endsWith('read') ? 'read' : 'write');
    expect(r.transactions.shared, at).toBe(r.mix === 'all');
  }
  const left = await page.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name)).toEqual([]);
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
  for (const run of r.runs) {
    const at = `${run.variant} kick ${run.kick} trial ${run.trial}`;
    expect(run.error, at).toBeNull();
    // One doorbell for the whole burst, or one per request.
    const e = run.burstExits;
    expect([e.count, e.requests], at).toEqual(run.kick === 'batch' ? [1, burst] : [burst, burst]);
    expect(run.stallUs.count, at).toBe(e.count);
    // A duration may read 0: the isolated page's clock ticks in 5 µs steps.
    expect(e.bqlHoldUs, at).toBeGreaterThanOrEqual(0);
    expect(e.totalUs, at).toBeCloseTo(e.bqlWaitUs + e.bqlHoldUs, 6);
    expect(e.maxHoldUs, at).toBeLessThanOrEqual(e.bqlHoldUs + 1e-6);
    ordered(run.stallUs);
    ordered(run.bqlWaitUs);
    ordered(run.latencyUs);
    for (const v of run.others.perVcpu) ordered(v.bqlWaitUs);
    expect(run.others.perVcpu.map((v) => v.vcpu)).toEqual([1, 2, 3]);
    const t = run.times;
    for (const [k, v] of Object.entries(t)) expect(v, `${at} ${k}`).toBeGreaterThanOrEqual(0);
    expect(t.firstCompletionMs, at).toBeGreaterThan(0);
    expect(t.firstCompletionMs, at).toBeLessThanOrEqual(t.burstCompleteMs);
    const m = run.mainThread;
    expect(m.heartbeats).toBeGreaterThan(0);
    expect(m.bottomHalves.map((b) => b.name).sort()).toEqual(['completion_bh', 'new_thread_bh']);
    const spawnBh = m.bottomHalves.find((b) => b.name === 'new_thread_bh');
    if (run.variant === 'bh') {
      expect(spawnBh?.runs).toBeGreaterThan(0);
      expect(run.workers.byCreator).toEqual({ main: run.workers.created });
      expect(e.workersCreated, at).toBe(0);
    }
    if (run.variant === 'inline') {
      expect(spawnBh?.runs).toBe(0);
      expect(run.workers.byCreator.main).toBeUndefined();
      // With one doorbell, vCPU 0 created the whole backlog inside that one exit.
      if (run.kick === 'batch') expect(e.workersCreated, at).toBe(run.workers.byCreator.vcpu0);
    }
    if (run.variant === 'inline-stop') {
      expect(run.stop).not.toBeNull();
      expect(run.lost.lostWithCreator).toBe(run.workers.byCreator.vcpu0);
    } else {
      expect(run.stop).toBeNull();
      expect(run.latencyUs.count).toBe(burst);
    }
  }
  // One summary per kick mode and variant; its figures are the median and range of its trials.
  for (const sum of r.summaries) {
    const mine = r.runs.filter((x) => x.kick === sum.kick && x.variant === sum.variant);
    expect(sum.trials).toBe(mine.length);
    for (const [key, get] of COLD_BURST_FIGURES) {
      const values = mine.map(get);
      const f = sum.figures[key];
      expect(f.min, key).toBe(Math.min(...values));
      expect(f.max, key).toBe(Math.max(...values));
      expect(f.median, key).toBeGreaterThanOrEqual(f.min);
      expect(f.median, key).toBeLessThanOrEqual(f.max);
    }
  }
  // Ratios are policy / bh of the medians, null where bh's median is 0.
  for (const ratio of r.ratios) {
    const of = (v: string) => r.summaries.find((x) => x.kick === ratio.kick && x.variant === v);
    const bh = of('bh');
    const run = of(ratio.variant);
    if (!bh || !run) throw new Error('bh and the variant ran');
    for (const [key] of COLD_BURST_FIGURES) {
      const base = bh.figures[key].median;
      if (base === 0) expect(ratio[key], key).toBeNull();
      else expect(ratio[key], key).toBeCloseTo(run.figures[key].median / base, 9);
    }
  }
}

test('bench cold-burst (page): trials of every policy and kick mode, interleaved, summarised', async ({
  app,
}) => {
  test.setTimeout(90_000);
  const params = { runtimeMs: 100, burst: 16, maxThreads: 16, minThreads: 4, trials: 2 };
  const r = await app.evaluate(
    (p) => window.webaio.bench.coldBurst({ ...p, kicks: ['batch', 'each'], stopVariant: false }),
    params,
  );
  expect(r.scenario).toBe('cold-burst');
  expect(r.params).toMatchObject({ ...params, vcpus: 4, policies: ['bh', 'prealloc', 'inline'] });
  const order = ['bh', 'prealloc', 'inline'];
  expect(r.runs.map((x) => `${x.trial} ${x.kick} ${x.variant}`)).toEqual(
    [1, 2].flatMap((t) => ['batch', 'each'].flatMap((k) => order.map((v) => `${t} ${k} ${v}`))),
  );
  expect(r.summaries.map((x) => `${x.kick} ${x.variant}`)).toEqual(
    ['batch', 'each'].flatMap((k) => order.map((v) => `${k} ${v}`)),
  );
  expect(r.ratios.map((x) => `${x.kick} ${x.variant}`)).toEqual([
    'batch prealloc',
    'batch inline',
    'each prealloc',
    'each inline',
  ]);
  expectConsistentColdBurst(r, 16);
  // Its images are gone.
  const left = await app.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name)).toEqual([]);
});

/** Keys an object of the report's types must have (BenchReport, cli/report.ts). */
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

test('npm run bench -- --scenario cold-burst writes JSON of the schema and a trace file per run', async () => {
  test.slow();
  const dir = mkdtempSync(join(tmpdir(), 'webaio-bench-json-'));
  const file = join(dir, 'cold-burst.json');
  const traces = join(dir, 'traces');
  try {
    const args = ['run', 'bench', '--', '--scenario', 'cold-burst', '--runtime', '200'];
    args.push('--trials', '1', '--kick', 'batch', '--trace', traces);
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
    expect(output).toMatch(/\[(MET|NOT MET)\] kick batch: bh median BQL hold/);

    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    expect(report.schema).toBe('webaio-bench/4');
    expect(report.command).toContain('--trials 1 --kick batch');
    expect(report.errors).toEqual([]);
    const r = report.results.coldBurst;
    if (!r) throw new Error('no cold-burst result');
    expectKeys('coldBurst', r, [
      'scenario',
      'params',
      'startedAt',
      'elapsedMs',
      'runs',
      'summaries',
      'ratios',
    ]);
    expect(r.params).toMatchObject({ runtimeMs: 200, trials: 1, kicks: ['batch'], trace: true });
    expect(r.runs.map((x) => x.variant)).toEqual(['bh', 'prealloc', 'inline', 'inline-stop']);
    // One trace file per run, each of them checked below.
    expect(readdirSync(traces)).toHaveLength(r.runs.length);
    for (const run of r.runs) {
      expectKeys(`${run.variant}.burstExits`, run.burstExits, [
        'count',
        'requests',
        'bqlWaitUs',
        'bqlHoldUs',
        'totalUs',
        'maxHoldUs',
        'workersCreated',
      ]);
      // The trace went to its own file, not into the report.
      expect(run.trace).toBeNull();
      const trace = JSON.parse(
        readFileSync(join(traces, `cold-burst-1-batch-${run.variant}.json`), 'utf8'),
      ) as ChromeTrace;
      const served = trace.traceEvents.filter((e) => e.ph === 'b' && e.name.startsWith('served #'));
      expect(served.length, run.variant).toBeGreaterThanOrEqual(64);
      // Perfetto draws it as recorded: X slices nest on their threads, async slices pair up.
      expect(traceNestingViolations(trace), run.variant).toEqual([]);
    }
    // Every target of the table, in its order (scenarios.test.ts); cold-burst's alone measured.
    const notRun = { results: {}, comparison: { steadyVsCeiling: null } };
    const all = SCENARIOS.flatMap((s) => s.targets?.(notRun) ?? []).map((t) => t.id);
    const measured = coldBurstTargets(undefined).map((t) => t.id);
    expect(report.targets.map((t) => [t.id, t.met !== null])).toEqual(
      all.map((id) => [id, measured.includes(id)]),
    );
    const nullable = (path: string) =>
      /^\$\.results\.coldBurst\.runs\[\d\]\.(stop|error|trace)$/.test(path) ||
      /^\$\.results\.coldBurst\.ratios\[\d\]\.\w+$/.test(path) ||
      path === '$.comparison.steadyVsCeiling' ||
      Number(/^\$\.targets\[(\d+)\]\.met$/.exec(path)?.[1] ?? -1) >= measured.length;
    expectFilled(report, '$', nullable);
    expectConsistentColdBurst(r, 64);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Benchmark details runs every policy and kick mode over trials: medians and spreads, targets in words', async ({
  app,
}) => {
  test.setTimeout(150_000);
  await app.getByText('Benchmark details').click();
  await app.getByRole('spinbutton', { name: 'Trials' }).fill('2');
  await app.getByRole('button', { name: 'Run the full benchmark' }).click();
  const status = app.getByRole('status', { name: 'benchmark status' });
  await expect(status).toContainText('cold-burst');
  await expect(status).toContainText('Done in', { timeout: 140_000 });
  await expect(status).not.toContainText('Failed');
  await expect(status).toContainText('2 trial(s)');
  const table = app.getByRole('table', { name: 'cold-burst comparison' });
  const firstCells = table.locator('tbody tr th');
  const perKick = ['bh', 'prealloc', 'prealloc/bh', 'inline', 'inline/bh'];
  await expect(firstCells).toHaveText([...perKick, ...perKick]);
  await expect(table.locator('caption')).toContainText('Medians of 2 trial(s)');
  // Every policy row: 2 trials, each figure a median with its min–max under it.
  const runRows = table.locator('tbody tr.run');
  await expect(runRows).toHaveCount(6);
  await expect(runRows.locator('td[data-stat="trials"]')).toHaveText(Array(6).fill('2'));
  const bh = table.locator('tbody tr.run[data-policy="bh"][data-kick="batch"]');
  await expect(bh.locator('.median').first()).toHaveText(/^\d+(\.\d+)?$/);
  await expect(bh.locator('.spread').first()).toHaveText(/^\d+(\.\d+)?–\d+(\.\d+)?$/);
  await expect(bh.locator('td.creators')).toHaveText('main 64');
  // The four cold-burst targets, each in words; a miss says why it can miss, never "NOT MET".
  const targets = app.getByRole('list', { name: 'targets' }).getByRole('listitem');
  await expect(targets).toHaveCount(4);
  for (const t of await targets.all()) {
    const text = (await t.textContent()) ?? '';
    expect(text).toMatch(/^(Met|Not met this time): .+ Measured: /);
    if (text.startsWith('Not met')) expect(text).toContain('Why it can miss: ');
  }
  // It used images of its own, and removed them.
  const left = await app.evaluate(() => window.webaio.images.list());
  expect(left.map((i) => i.name)).toEqual([]);
});
