// The seed's situation, as the guest batches it: a burst of 64 rung with one doorbell is one exit,
// and under `inline` that exit creates every worker itself; the machine's trace has every thread,
// every request's phases and every worker's life, and exports as Chrome trace-event JSON that
// draws as recorded.

import type { ChromeTrace } from '../app/shared/trace/chrome-trace.ts';
import type { MachineTrace } from '../app/shared/trace/trace.ts';
import { traceNestingViolations } from '../app/shared/trace/trace-nesting.ts';
import { expect, test } from './fixtures.ts';

type Machine = Awaited<ReturnType<typeof window.webaio.createMachine>>;
type W = Window & { m: Machine };

test('a batched burst of 64 is one exit; under inline it creates all its workers inside it; the trace has every request and worker', async ({
  app,
}) => {
  test.setTimeout(60_000);
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('burst', 16 << 20);
    const m = await window.webaio.createMachine({
      image: 'burst',
      vcpus: 1,
      pool: { policy: 'inline', maxThreads: 64 },
      // The seed's situation: one request, one thread (no merging, no batching).
      aio: { batch: 1, merge: false, pageCache: false, pollUs: 0 },
      jobs: { rw: 'randread', bs: 4096, iodepth: 64, ios: 64 },
    });
    (window as unknown as W).m = m;
    const rec = m.startTrace();
    await m.start();
    const report = await m.done();
    // Until every worker it asked for has run its first line.
    while (m.stats().spawns.some((w) => w.tReady === 0)) await new Promise((f) => setTimeout(f, 5));
    const trace = rec.stop('inline burst');
    const s = m.stats();
    const file = JSON.stringify(window.webaio.chromeTrace([trace]));
    return { report, s, trace, file };
  });
  const trace: MachineTrace = r.trace;
  const v0 = r.s.vcpus[0].counters;
  expect(r.report.total.ios).toBe(64);
  expect([v0.exits, v0.popped, v0.submitted]).toEqual([1, 64, 64]);
  const doorbells = trace.slices.filter((s) => s.vcpu === 0 && s.kind === 1 && s.reg === 0x50);
  expect(doorbells.map((e) => e.requests)).toEqual([64]);
  const [exit] = doorbells;
  // Every worker was created by vCPU 0, holding the BQL in that one exit.
  expect(trace.spawns).toHaveLength(64);
  for (const w of trace.spawns) {
    expect(w.creator).toBe('vcpu0');
    expect(w.tCreated).toBeGreaterThanOrEqual(exit.t1);
    expect(w.tCreated).toBeLessThanOrEqual(exit.t2);
  }

  // The exported file: trace-event JSON, a track per thread, every request's three phases,
  // every spawn record's life as a slice on its worker's track.
  const chrome = JSON.parse(r.file) as ChromeTrace;
  const ev = chrome.traceEvents;
  expect(chrome.displayTimeUnit).toBe('ms');
  const threadNames = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name');
  const names = threadNames.map((e) => e.args?.name);
  expect(names).toContain('vCPU 0');
  expect(names).toContain('main thread');
  for (const w of trace.spawns) {
    expect(names).toContain(`aio-${w.seq} (created by vcpu0)`);
    const tid = threadNames.find((e) => e.args?.name === `aio-${w.seq} (created by vcpu0)`)?.tid;
    const life = ev.filter((e) => e.tid === tid && e.cat === 'worker').map((e) => e.name);
    expect(life).toContain('requested (backlog)');
    expect(life).toContain('created, not running yet');
  }
  // Each request an async slice tree on vCPU 0's track of reads, its phases inside.
  const begins = ev.filter((e) => e.ph === 'b' && e.cat === 'request');
  expect(begins.filter((e) => e.name === 'read vcpu0')).toHaveLength(64);
  for (const phase of ['queued', 'served', 'completed']) {
    expect(
      begins.filter((e) => e.name.startsWith(`${phase} #`)),
      phase,
    ).toHaveLength(64);
  }
  expect(traceNestingViolations(chrome)).toEqual([]);
  expect(ev.some((e) => e.ph === 'X' && e.name === 'exit QUEUE_NOTIFY (64 requests)')).toBe(true);
  expect(ev.filter((e) => e.ph === 'C' && e.name === 'pool threads').length).toBeGreaterThan(0);
  await app.evaluate(() => (window as unknown as W).m.destroy());
});
