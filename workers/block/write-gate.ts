// The write gate: relaxed write transactions pass it together; a durable writeback passes it
// alone, so that nothing else is written between its two commits (docs/durability.md: a
// Chromium transaction is durable across a power cut only if the log has not rotated inside
// it, and committing twice back to back guarantees one copy lies in a single log file).
// Workers only: waiting blocks in Atomics.wait.

import type { Control } from '../../app/shared/layout/layout.ts';

const EXCLUSIVE = -1;

export class WriteGate {
  private readonly i32: Int32Array;
  private readonly gate: number;
  private readonly wanted: number;

  constructor(ctl: Control) {
    this.i32 = ctl.i32;
    this.gate = ctl.L.aio.gate;
    this.wanted = ctl.L.aio.gateWanted;
  }

  /** Enter with other relaxed writers; waits while a durable writeback holds or wants it. */
  enterShared(): void {
    for (;;) {
      const wanted = Atomics.load(this.i32, this.wanted);
      if (wanted > 0) {
        Atomics.wait(this.i32, this.wanted, wanted);
        continue;
      }
      const n = Atomics.load(this.i32, this.gate);
      if (n === EXCLUSIVE) {
        Atomics.wait(this.i32, this.gate, n);
        continue;
      }
      if (Atomics.compareExchange(this.i32, this.gate, n, n + 1) === n) return;
    }
  }

  leaveShared(): void {
    if (Atomics.sub(this.i32, this.gate, 1) === 1) Atomics.notify(this.i32, this.gate);
  }

  /** Enter alone: new relaxed writers wait, and those inside finish first. */
  enterExclusive(): void {
    Atomics.add(this.i32, this.wanted, 1);
    for (;;) {
      const n = Atomics.load(this.i32, this.gate);
      if (n === 0 && Atomics.compareExchange(this.i32, this.gate, 0, EXCLUSIVE) === 0) break;
      Atomics.wait(this.i32, this.gate, n);
    }
    Atomics.sub(this.i32, this.wanted, 1);
  }

  leaveExclusive(): void {
    Atomics.store(this.i32, this.gate, 0);
    Atomics.notify(this.i32, this.gate);
    Atomics.notify(this.i32, this.wanted);
  }
}
