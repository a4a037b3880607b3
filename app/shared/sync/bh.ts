// qemu_bh: bottom halves that any thread schedules and the main loop runs (cf. util/async.c).
// A BH is one bit of a shared word; scheduling it again before it runs changes nothing, so it
// runs once. Only the first schedule bumps and notifies the main loop's notifier word.

import type { Control } from '../layout/layout.ts';
import type { BhId } from './loop-layout.ts';

/** qemu_bh_schedule(): callable from any thread, never blocks. */
export function bhSchedule(ctl: Control, id: BhId): void {
  const bit = 1 << id;
  const before = Atomics.or(ctl.i32, ctl.L.loop.bhScheduled, bit);
  if ((before & bit) === 0) aioNotify(ctl);
}

/** qemu_bh_cancel(): unschedule; a run already under way is not affected. */
export function bhCancel(ctl: Control, id: BhId): void {
  Atomics.and(ctl.i32, ctl.L.loop.bhScheduled, ~(1 << id));
}

/** aio_notify(): wake the main loop. */
export function aioNotify(ctl: Control): void {
  Atomics.add(ctl.i32, ctl.L.loop.notifier, 1);
  Atomics.notify(ctl.i32, ctl.L.loop.notifier);
}

/** The main loop's side: take every scheduled bit at once, leaving none set. */
export function bhTakeScheduled(ctl: Control): number {
  return Atomics.exchange(ctl.i32, ctl.L.loop.bhScheduled, 0);
}
