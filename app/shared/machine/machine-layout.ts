// A machine's own word: the BQL (cf. qemu_global_mutex in QEMU's cpus.c). main-bql.ts takes it
// for the main loop, a vCPU in its exit path; the vCPUs' words are vcpu-layout.ts's.

import type { Cursor } from '../layout/layout-region.ts';

export function machineRegion(c: Cursor) {
  return {
    /** The BQL: vCPUs hold it in their exit path, the main loop while it runs bottom halves. */
    bql: c.i32(1),
  };
}
