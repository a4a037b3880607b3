// qemu_cond on one Int32 word (cf. util/qemu-thread-posix.c): a sequence number that signal and
// broadcast bump before waking; a waiter sleeps only while the number is the one it saw under
// the mutex, so a signal between its unlock and its sleep is never lost.

import { nowMs } from './clock.ts';
import type { QemuMutex } from './mutex.ts';

export class QemuCond {
  private readonly i32: Int32Array;
  private readonly index: number;

  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.index = index;
  }

  /** qemu_cond_wait(): the caller holds `mutex`; it is held again on return. */
  wait(mutex: QemuMutex): void {
    this.timedWait(mutex, Infinity);
  }

  /**
   * qemu_cond_timedwait(): false if `timeoutMs` passed without a wake-up. Like pthreads, a
   * true return may be spurious; callers re-check their condition.
   */
  timedWait(mutex: QemuMutex, timeoutMs: number): boolean {
    const seq = Atomics.load(this.i32, this.index);
    mutex.unlock();
    const r = Atomics.wait(this.i32, this.index, seq, timeoutMs);
    mutex.lock();
    return r !== 'timed-out';
  }

  /**
   * Poll before sleeping (cf. QEMU's aio_poll() under poll-max-ns): with `mutex` dropped, spin
   * for up to `us` microseconds watching for a signal; `mutex` is held again on return. True if
   * one came (the caller re-checks its condition, as after a wake-up); false if time ran out.
   * A waiter that sleeps afterwards needs no futex wake for what came while it polled.
   */
  poll(mutex: QemuMutex, us: number): boolean {
    const seq = Atomics.load(this.i32, this.index);
    mutex.unlock();
    const end = nowMs() + us / 1000;
    while (Atomics.load(this.i32, this.index) === seq && nowMs() < end);
    mutex.lock();
    // Judged with the mutex held again: a signal that came while it was being taken counts
    // (else the caller would sleep on the new number, and that signal's request wait).
    return Atomics.load(this.i32, this.index) !== seq;
  }

  /** qemu_cond_signal(): wake one waiter — or up to `count`, for as many new requests. */
  signal(count = 1): void {
    Atomics.add(this.i32, this.index, 1);
    Atomics.notify(this.i32, this.index, count);
  }

  /** qemu_cond_broadcast(): wake every waiter. */
  broadcast(): void {
    Atomics.add(this.i32, this.index, 1);
    Atomics.notify(this.i32, this.index);
  }
}
