// The browser check: one control buffer, a main loop, and a worker that schedules a bottom half
// on it; shows that the BH ran on the main thread and how long the worker -> main wake-up took.

import { wrap } from 'comlink';
import { stampMs } from './shared/sync/clock.ts';
import type { AttachInfo, SelftestWorkerApi } from './shared/contracts.ts';
import { Histogram, type LatencySummary } from './shared/stats/histogram.ts';
import { MIN_CONTROL_PARAMS } from './shared/layout/control-params.ts';
import { createControl } from './shared/layout/layout.ts';
import { BH } from './shared/sync/loop-layout.ts';
import { MainLoop } from './machine/main-loop.ts';
import { spawnSelftestWorker } from './spawn.ts';

export interface SelftestResult {
  attached: AttachInfo;
  /** Probe BH runs the main loop made. */
  bhRuns: number;
  /** Schedules the worker saw acknowledged. */
  pings: number;
  /** Worker schedule -> main-thread BH run, µs. */
  wakeUs: LatencySummary;
}

export async function runSelftest(pings = 200): Promise<SelftestResult> {
  const ctl = createControl(MIN_CONTROL_PARAMS);
  const loop = new MainLoop(ctl);
  const wake = Histogram.create();
  let bhRuns = 0;
  loop.bhNew(BH.probe, 'probe', () => {
    wake.record((stampMs() - ctl.f64[ctl.L.probe.tScheduled]) * 1000);
    bhRuns++;
    Atomics.add(ctl.i32, ctl.L.probe.ack, 1);
    Atomics.notify(ctl.i32, ctl.L.probe.ack);
  });
  loop.start();
  const worker = spawnSelftestWorker();
  try {
    const api = wrap<SelftestWorkerApi>(worker);
    const attached = await api.init(ctl.sab, 0);
    const seen = await api.pingMainLoop(pings);
    return { attached, bhRuns, pings: seen, wakeUs: wake.summary() };
  } finally {
    await loop.stop();
    worker.terminate(); // idle in its event loop by now, never blocked
  }
}
