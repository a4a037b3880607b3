// The replay's script, on two traces recorded by a real trial (6 reads from vCPU 0, 2 vCPUs, max
// 8 workers; app/lesson/testing/), one per policy.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MachineTrace } from '../shared/trace/trace.ts';
import { timelineData } from '../ui/timeline-data.ts';
import { replayEvents } from './replay-events.ts';

const recorded = (policy: string): MachineTrace =>
  JSON.parse(
    readFileSync(new URL(`./testing/trace-${policy}.json`, import.meta.url), 'utf8'),
  ) as MachineTrace;

const captions = (t: MachineTrace) => replayEvents(t).map((e) => e.caption);

describe('lesson/replay-events', () => {
  for (const policy of ['inline', 'bh']) {
    it(`${policy}: measured events in time order, on the timeline's lanes, inside its window`, () => {
      const t = recorded(policy);
      const events = replayEvents(t);
      const data = timelineData(t);
      expect(events.length).toBeGreaterThan(10);
      for (const [i, e] of events.entries()) {
        expect(e.caption).not.toBe('');
        expect(data.lanes).toContain(e.lane);
        expect(e.t).toBeGreaterThanOrEqual(data.x1);
        expect(e.t).toBeLessThanOrEqual(data.x2);
        if (i > 0) expect(e.t).toBeGreaterThanOrEqual(events[i - 1].t);
      }
      // It starts at the doorbell and tells when the last request was answered.
      expect(events[0].caption).toMatch(/^vCPU 0 rings the disk's doorbell \(6 requests ready\)/);
      const last = t.requests
        .filter((r) => r.vcpu === 0)
        .reduce((m, r) => Math.max(m, r.tComplete), 0);
      const done = events.find((e) => e.caption.startsWith("The last of vCPU 0's 6 requests"));
      expect(done?.t).toBeCloseTo(last - t.tOrigin, 6);
    });
  }

  it('inline: the vCPU creates the workers inside its exit, holding the lock, then drops it', () => {
    const c = captions(recorded('inline'));
    const created = c.filter((s) =>
      /vCPU 0 creates aio-\d+ itself, still holding the lock/.test(s),
    );
    // Three told one by one, the other three summed up: six created in the exit, as recorded.
    expect(created).toEqual([
      'No idle worker: vCPU 0 creates aio-0 itself, still holding the lock (1 of 6).',
      'No idle worker: vCPU 0 creates aio-1 itself, still holding the lock (2 of 6).',
      'No idle worker: vCPU 0 creates aio-2 itself, still holding the lock (3 of 6).',
    ]);
    expect(c).toContainEqual(expect.stringMatching(/went on creating workers .*: 3 more\.$/));
    const dropped = c.findIndex((s) => s.startsWith('vCPU 0 drops the big lock after holding it'));
    expect(dropped).toBeGreaterThan(c.indexOf(created[2]));
    expect(c.some((s) => s.includes('new_thread_bh'))).toBe(false);
  });

  it('bh: the vCPU asks the main thread; it creates one worker per run; each newborn asks for the next', () => {
    const c = captions(recorded('bh'));
    expect(c[1]).toBe(
      'No idle worker: spawn_thread() counts 6 workers owed and asks the main thread to create ' +
        'them (it schedules new_thread_bh). vCPU 0 does not wait for them.',
    );
    expect(c).toContain('The main thread runs new_thread_bh and creates one worker, aio-0.');
    expect(c).toContain(
      'aio-0 starts. Its first act: 6 more are owed, so it asks the main thread for the next one.',
    );
    expect(c.some((s) => /vCPU 0 creates aio-\d+ itself/.test(s))).toBe(false);
  });
});
