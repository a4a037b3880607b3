// Completing a virtio-blk request (cf. virtio_blk_req_complete in hw/block/virtio-blk.c): the
// status byte, the used-ring element, and the interrupt. The main loop does it for requests the
// pool ran; a vCPU does it in its exit path for requests the device answered itself. Either
// way under the BQL.

import { stampMs } from './clock.ts';
import type { Control } from './layout.ts';
import { usedPush, type GuestMemory } from './virtio.ts';

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
