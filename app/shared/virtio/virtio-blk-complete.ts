// Completing virtio-blk requests (cf. virtio_blk_req_complete() and virtio_blk_rw_complete() in
// hw/block/virtio-blk.c): the status byte, the used-ring element, and the interrupt. The main
// loop does it for requests the pool ran; a vCPU does it in its exit path for requests the device
// answered itself. Either way under the BQL.
//
// This file owns the rider chain: a request merged into another (virtio-blk-merge.ts) rides on
// the slot that carries it, linked from it in submission order by the vreq mergedNext words, -1
// ending every chain (a request without riders included); each rider's tag is its own descriptor
// head. The vCPU links the chain before it submits the carrier; the completion walks it.

import { stampMs } from '../sync/clock.ts';
import { type Control } from '../layout/layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import { BlkStatus, usedPush, type GuestMemory } from './virtio.ts';

/** Write the status (when the request has a usable status byte) and push `head` as used. */
export function virtioBlkComplete(
  ctl: Control,
  mem: GuestMemory,
  vcpu: number,
  head: number,
  statusAddr: number,
  status: number,
  inLen: number,
): void {
  const { i32, L } = ctl;
  const V = L.vcpu;
  if (statusAddr >= 0) mem.setU8(statusAddr, status);
  const ring = {
    num: Atomics.load(i32, V.qNum.at(vcpu)),
    usedAddr: Atomics.load(i32, V.qUsed.at(vcpu)),
  };
  const idx = usedPush(mem, ring, Atomics.load(i32, V.qUsedIdx.at(vcpu)), head, inLen);
  Atomics.store(i32, V.qUsedIdx.at(vcpu), idx);
  Atomics.sub(i32, V.qInflight.at(vcpu), 1);
}

/** virtio_notify(): raise the vCPU's interrupt line and wake it if it is halted. */
export function raiseIrq(ctl: Control, vcpu: number): void {
  const { i32, f64, L } = ctl;
  f64[L.vcpu.tIrqRaised.at(vcpu)] = stampMs();
  Atomics.store(i32, L.vcpu.irq.at(vcpu), 1);
  Atomics.notify(i32, L.vcpu.irq.at(vcpu));
}

/**
 * Chain `riders` (slots of this queue, whose first is `slotBase`) to the request in `slot`, or
 * end its chain at once if there are none. The vCPU does it before it submits `slot`: the riders
 * stay MERGED, out of the pool's reach, until the carrier's completion frees them.
 */
export function virtioBlkLinkRiders(
  ctl: Control,
  slot: number,
  riders: readonly number[],
  slotBase: number,
): void {
  const { i32, L } = ctl;
  let prev = slot;
  for (const rider of riders) {
    i32[L.slot.tag.at(rider)] = rider - slotBase;
    Atomics.store(i32, L.slot.state.at(rider), SlotState.MERGED);
    i32[L.vreq.mergedNext.at(prev)] = rider;
    prev = rider;
  }
  i32[L.vreq.mergedNext.at(prev)] = -1;
}

/**
 * virtio_blk_rw_complete(): the pool's `ret` for the request in `slot`, told to the guest for it
 * and for every request riding on it, each with its own head, status byte and length; the
 * riders' slots are freed here (the carrier's by the completion BH, after this).
 */
export function virtioBlkRwComplete(
  ctl: Control,
  mem: GuestMemory,
  vcpu: number,
  slot: number,
  ret: number,
): void {
  const { i32, L } = ctl;
  const ok = ret >= 0;
  for (let s = slot; s !== -1;) {
    virtioBlkComplete(
      ctl,
      mem,
      vcpu,
      i32[L.slot.tag.at(s)],
      i32[L.vreq.statusAddr.at(s)],
      ok ? BlkStatus.OK : BlkStatus.IOERR,
      ok ? i32[L.vreq.inLen.at(s)] : 1,
    );
    const next = i32[L.vreq.mergedNext.at(s)];
    if (s !== slot) Atomics.store(i32, L.slot.state.at(s), SlotState.FREE);
    s = next;
  }
}
