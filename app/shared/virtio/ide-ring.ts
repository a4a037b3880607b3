// The IDE front end's completion ring (layout `ide`): the main loop's completion BH hands each
// finished request of v86's disk (its slot and ret) to v86's worker, which may not be blocked and
// so waits with Atomics.waitAsync on vCPU 0's interrupt line (cf. virtio's used ring, which the
// toy machine's completion writes into guest RAM). One producer, under the BQL; one consumer.

import type { Control } from '../layout/layout.ts';

/** The register an IDE submission is logged under in the vCPU trace ring (cf. Mmio for
 *  virtio-blk's exits): the primary channel's ATA command register, port 0x1f7. */
export const IDE_SUBMIT = 0x1f7;

/** The completion BH's side (under the BQL): append one completion. */
export function ideRingPush(ctl: Control, slot: number, ret: number): void {
  const { i32, L } = ctl;
  const size = L.params.ideRing ?? 0;
  const head = Atomics.load(i32, L.ide.head);
  if (((head - Atomics.load(i32, L.ide.tail)) | 0) >= size) {
    // A slot is in the ring at most once, and the ring has an entry per slot: never full.
    throw new Error(`IDE completion ring of ${size} entries is full (head ${head})`);
  }
  const k = (head >>> 0) % size;
  Atomics.store(i32, L.ide.slot.at(k), slot);
  Atomics.store(i32, L.ide.ret.at(k), ret);
  // The entry before the head that publishes it.
  Atomics.store(i32, L.ide.head, (head + 1) | 0);
  Atomics.sub(i32, L.ide.inflight, 1);
}

/** The worker's side: every completion published so far, oldest first. */
export function ideRingDrain(ctl: Control, each: (slot: number, ret: number) => void): number {
  const { i32, L } = ctl;
  const size = L.params.ideRing ?? 0;
  const head = Atomics.load(i32, L.ide.head);
  let tail = Atomics.load(i32, L.ide.tail);
  let n = 0;
  while (tail !== head) {
    const k = (tail >>> 0) % size;
    const slot = Atomics.load(i32, L.ide.slot.at(k));
    const ret = Atomics.load(i32, L.ide.ret.at(k));
    tail = (tail + 1) | 0;
    // Give the entry back before handling it: the handler may submit, and its completion may
    // be pushed before we return.
    Atomics.store(i32, L.ide.tail, tail);
    each(slot, ret);
    n++;
  }
  return n;
}

/** A new consumer (a new v86 boot) skips whatever an earlier one left unread. */
export function ideRingReset(ctl: Control): void {
  Atomics.store(ctl.i32, ctl.L.ide.tail, Atomics.load(ctl.i32, ctl.L.ide.head));
}
