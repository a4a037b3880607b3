// Compile the doorbell's exit path before the guest runs. V8 compiles a function the first time it
// is called and runs it interpreted until it is hot, so a fresh vCPU's first exit paid for that
// under the BQL: a cold drain of 64 requests took ~1.5 ms in Node, ~0.4–0.7 ms after this,
// ~0.03 ms hot. QEMU's device code is compiled ahead of time; this is the nearest thing here: the same
// code (driver, exit, device, pool submit) run on a scratch queue no guest or other thread sees.

import { createControl } from '../../app/shared/layout/layout.ts';
import { SlotState } from '../../app/shared/block/slot-layout.ts';
import { threadIdOfVcpu } from '../../app/shared/pool/record-layout.ts';
import { writePoolConfig } from '../../app/shared/pool/pool-config.ts';
import { PoolCore } from '../../app/shared/pool/thread-pool.ts';
import { VirtioBlk, type BlkRequest } from '../../app/shared/virtio/virtio-blk.ts';
import { virtioBlkRwComplete } from '../../app/shared/virtio/virtio-blk-complete.ts';
import { virtioBlkPrepareMultireq } from '../../app/shared/virtio/virtio-blk-merge.ts';
import { BlkType, GuestMemory } from '../../app/shared/virtio/virtio.ts';
import { BlkDriver, type Bus } from '../guest/driver.ts';
import { Cpu } from './cpu.ts';

const QUEUE = 16;
/** Rounds of one batched exit each: enough for V8 to compile the path and optimise much of it.
 *  Call sites see the same functions on the scratch queue as on the real one (layout fields are
 *  one class), so what is optimised here is not thrown away at the first real exit. */
const ROUNDS = 16;
const RAM = 1 << 20;

export function warmUpExitPath(segMax: number): void {
  const ctl = createControl({
    nslots: QUEUE,
    maxIov: segMax,
    nrecords: 129,
    nvcpus: 1,
    cachePages: 0,
    diskChunks: 0,
  });
  const mem = new GuestMemory(new SharedArrayBuffer(RAM));
  const pool = new PoolCore(ctl);
  writePoolConfig(ctl, { policy: 'bh', minThreads: 0, maxThreads: 64, idleTimeoutMs: 1 });
  // A creator that creates nothing: under `bh` the pool only asks the (absent) main loop.
  const creator = { thread: threadIdOfVcpu(0), start: () => undefined };
  const slots = new Int32Array(QUEUE);
  let owed = 0;
  const submit = (reqs: readonly BlkRequest[]) => {
    const n = virtioBlkPrepareMultireq(ctl, reqs, creator.thread, 0, slots);
    owed += pool.queueMany(slots, n, creator);
    // Nobody serves the scratch pool: take the requests back and answer them as the main loop
    // would, so the slots and the guest's ids come back for the next round.
    pool.lock.lock();
    for (let i = 0; i < n; i++) pool.cancelLocked(slots[i]);
    pool.lock.unlock();
    for (let i = 0; i < n; i++) {
      virtioBlkRwComplete(ctl, mem, 0, slots[i], 0);
      Atomics.store(ctl.i32, ctl.L.slot.state.at(slots[i]), SlotState.FREE);
    }
  };
  const disk = { virtualSize: 1 << 30, id: new TextEncoder().encode('warm-up') };
  const device = new VirtioBlk(ctl, mem, 0, disk, QUEUE, segMax, submit);
  const cpu = new Cpu(ctl, 0, device, () => {
    pool.wake(owed);
    owed = 0;
  });
  const bus: Bus = {
    mmioRead: (reg) => cpu.mmioRead(reg),
    mmioWrite: (reg, value) => cpu.mmioWrite(reg, value),
    halt: () => Promise.resolve(),
    shouldStop: () => false,
    progress: () => undefined,
  };
  const drv = new BlkDriver(bus, mem, 0, RAM, QUEUE);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < QUEUE; k++) {
      const got = drv.allocRequest(4096);
      if (!got) break;
      const isWrite = k % 2 === 1;
      drv.add(
        got.id,
        isWrite ? BlkType.OUT : BlkType.IN,
        k * 8,
        got.segs.map((d) => ({ ...d, write: !isWrite })),
      );
      drv.freeBuffer(got.segs);
    }
    drv.kick();
    drv.ack();
    drv.reap();
  }
}
