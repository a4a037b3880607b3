import { describe, expect, it, vi } from 'vitest';
import { bhSchedule } from '../shared/sync/bh.ts';
import { MIN_CONTROL_PARAMS } from '../shared/layout/control-params.ts';
import { createControl } from '../shared/layout/layout.ts';
import { BH } from '../shared/sync/loop-layout.ts';
import { runThread } from '../shared/testing/threads.ts';
import { MainLoop } from './main-loop.ts';

/** Wait for a state, not for a time: the deadline only catches a hang. */
const until = (cond: () => boolean) =>
  vi.waitFor(() => expect(cond()).toBe(true), { timeout: 10_000, interval: 1 });

describe('main loop and bottom halves', () => {
  it('bh/schedule-idempotent: scheduled 3 x 1000 times by threads before it runs, it runs once', async () => {
    const ctl = createControl(MIN_CONTROL_PARAMS);
    await Promise.all(
      Array.from({ length: 3 }, () =>
        runThread({ scenario: 'bh-schedule', sab: ctl.sab, args: { times: 1000 } }),
      ),
    );
    const loop = new MainLoop(ctl);
    let runs = 0;
    let fences = 0;
    loop.bhNew(BH.probe, 'probe', () => void runs++);
    loop.bhNew(BH.completion, 'fence', () => void fences++);
    loop.start();
    await until(() => runs >= 1);
    // A later BH has run: any second run of the probe would have happened by now.
    bhSchedule(ctl, BH.completion);
    await until(() => fences === 1);
    expect(runs).toBe(1);
    bhSchedule(ctl, BH.probe);
    await until(() => runs >= 2);
    bhSchedule(ctl, BH.completion);
    await until(() => fences === 2);
    expect(runs).toBe(2);
    await loop.stop();
    expect(loop.stats().find((s) => s.name === 'probe')).toMatchObject({ runs: 2 });
  });

  it('bh/wakes-waiting-loop: a BH scheduled by a thread while the loop waits runs on this thread', async () => {
    const ctl = createControl(MIN_CONTROL_PARAMS);
    const loop = new MainLoop(ctl);
    let ran = 0;
    loop.bhNew(BH.probe, 'probe', () => void ran++);
    loop.start();
    await until(() => loop.waiting);
    await runThread({ scenario: 'bh-schedule', sab: ctl.sab, args: { times: 1 } });
    await until(() => ran >= 1);
    await until(() => loop.waiting);
    expect(ran).toBe(1);
    await loop.stop();
  });

  it('bh/errors-contained: a throwing BH is recorded and the loop keeps running', async () => {
    const ctl = createControl(MIN_CONTROL_PARAMS);
    const loop = new MainLoop(ctl);
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    let probes = 0;
    loop.bhNew(BH.completion, 'completion', () => {
      throw new Error('boom');
    });
    loop.bhNew(BH.probe, 'probe', () => void probes++);
    loop.start();
    bhSchedule(ctl, BH.completion);
    bhSchedule(ctl, BH.probe);
    try {
      await until(() => loop.errors.length >= 1 && probes >= 1);
      // The loop is still alive: a second schedule runs again.
      bhSchedule(ctl, BH.probe);
      await until(() => probes >= 2);
    } finally {
      quiet.mockRestore();
    }
    expect(loop.errors).toHaveLength(1);
    expect(probes).toBe(2);
    await loop.stop();
  });
});
