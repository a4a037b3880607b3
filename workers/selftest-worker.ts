// The self-test worker: attaches to a control buffer and schedules the main loop's probe bottom
// half, stamping each schedule so the page can time the worker -> main wake-up.

import { expose } from 'comlink';
import { bhSchedule } from '../app/shared/sync/bh.ts';
import { stampMs } from '../app/shared/sync/clock.ts';
import type { SelftestWorkerApi } from '../app/shared/contracts.ts';
import { attachControl, LAYOUT_VERSION, type Control } from '../app/shared/layout/layout.ts';
import { BH } from '../app/shared/sync/loop-layout.ts';

let ctl: Control | undefined;

const api = {
  init(sab: SharedArrayBuffer, id: number) {
    ctl = attachControl(sab);
    return { thread: `selftest-${id}`, layoutVersion: LAYOUT_VERSION, byteLength: sab.byteLength };
  },

  pingMainLoop(times: number) {
    if (!ctl) throw new Error('pingMainLoop() before init()');
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`pingMainLoop: times = ${times} is not a positive integer`);
    }
    const { i32, f64, L } = ctl;
    let seen = 0;
    for (let i = 0; i < times; i++) {
      const ack = Atomics.load(i32, L.probe.ack);
      f64[L.probe.tScheduled] = stampMs();
      bhSchedule(ctl, BH.probe);
      // The BH bumps `ack`; a page that stops its loop must not hang us forever.
      if (Atomics.wait(i32, L.probe.ack, ack, 5000) === 'timed-out') break;
      seen++;
    }
    return seen;
  },
} satisfies SelftestWorkerApi;

expose(api);
