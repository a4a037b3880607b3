// The BQL as the main loop takes it (cf. qemu_mutex_lock_iothread): the thread may not block, so
// it tries and then awaits; its wait and hold times are measured. A machine's main loop holds it
// while it runs bottom halves, as QEMU's does.

import type { LoopLock } from './main-loop.ts';
import { stampMs } from '../shared/sync/clock.ts';
import { Histogram } from '../shared/stats/histogram.ts';
import type { Control } from '../shared/layout/layout.ts';
import { QemuMutex } from '../shared/sync/mutex.ts';

/** The BQL as the main loop takes it: try, then await; its wait and hold times measured. */
export class MainBql implements LoopLock {
  readonly wait = Histogram.create();
  readonly hold = Histogram.create();
  private readonly mutex: QemuMutex;
  private since = 0;
  constructor(ctl: Control) {
    this.mutex = new QemuMutex(ctl.i32, ctl.L.machine.bql);
  }
  async lockAsync(): Promise<void> {
    const t0 = stampMs();
    await this.mutex.lockAsync();
    this.since = stampMs();
    this.wait.record((this.since - t0) * 1000);
  }
  unlock(): void {
    this.hold.record((stampMs() - this.since) * 1000);
    this.mutex.unlock();
  }
}
