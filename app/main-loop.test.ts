import { describe, expect, it } from 'vitest';
import { bhSchedule } from './shared/bh.ts';
import { BH, createControl, MIN_CONTROL_PARAMS } from './shared/layout.ts';
import { runThread } from './shared/testing/threads.ts';
import { MainLoop } from './main-loop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    loop.bhNew(BH.probe, 'probe', () => void runs++);
    loop.start();
    await sleep(100);
    expect(runs).toBe(1);
    bhSchedule(ctl, BH.probe);
    await sleep(50);
    expect(runs).toBe(2);
    await loop.stop();
    expect(loop.stats()[0]).toMatchObject({ name: 'probe', runs: 2 });
  });

  it('bh/wakes-waiting-loop: a BH scheduled by a thread while the loop waits runs on this thread', async () => {
    const ctl = createControl(MIN_CONTROL_PARAMS);
    const loop = new MainLoop(ctl);
    let ran = 0;
    loop.bhNew(BH.probe, 'probe', () => void ran++);
    loop.start();
    await sleep(20); // the loop is now parked in Atomics.waitAsync
    await runThread({ scenario: 'bh-schedule', sab: ctl.sab, args: { times: 1 } });
    await sleep(50);
    expect(ran).toBe(1);
    await loop.stop();
  });

  it('bh/errors-contained: a throwing BH is recorded and the loop keeps running', async () => {
    const ctl = createControl(MIN_CONTROL_PARAMS);
    const loop = new MainLoop(ctl);
    const orig = console.error;
    console.error = () => {};
    let probes = 0;
    loop.bhNew(BH.completion, 'completion', () => {
      throw new Error('boom');
    });
    loop.bhNew(BH.probe, 'probe', () => void probes++);
    loop.start();
    bhSchedule(ctl, BH.completion);
    bhSchedule(ctl, BH.probe);
    await sleep(50);
    console.error = orig;
    expect(loop.errors).toHaveLength(1);
    expect(probes).toBe(1);
    await loop.stop();
  });
});
