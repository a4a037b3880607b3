// A vCPU thread: runs its guest program; a doorbell write exits synchronously into virtio-blk
// emulation on this thread under the BQL, which submits to the AIO pool through the raw driver.
// Under the `inline` policy it also creates the pool workers its submissions need — nested
// workers it owns, which cannot start until it yields and which die with it.

import { expose, wrap } from 'comlink';
import { aioWorkerCreator, type AioSpawn } from '../app/shared/pool/aio-creator.ts';
import { quiesceOwnWorkers } from '../app/shared/pool/pool-orphans.ts';
import type { AioWorkerApi, VcpuInit, VcpuWorkerApi } from '../app/shared/contracts.ts';
import type { ResolvedJob } from '../app/shared/guest/guest-job.ts';
import { attachControl, LAYOUT_VERSION, type Control } from '../app/shared/layout/layout.ts';
import { threadIdOfVcpu } from '../app/shared/pool/record-layout.ts';
import { PoolCore } from '../app/shared/pool/thread-pool.ts';
import { VirtioBlk, type BlkRequest } from '../app/shared/virtio/virtio-blk.ts';
import { virtioBlkPrepareMultireq } from '../app/shared/virtio/virtio-blk-merge.ts';
import { GuestMemory } from '../app/shared/virtio/virtio.ts';
import { BlkDriver } from './guest/driver.ts';
import { runFuzz } from './guest/fuzz.ts';
import { runJob } from './guest/job.ts';
import { Cpu } from './vcpu/cpu.ts';
import { warmUpExitPath } from './vcpu/warm-up.ts';

/** A pool worker created by this vCPU (`inline`): nested, owned by this thread, dies with it. */
const spawnNestedAioWorker: AioSpawn = (name) => {
  const worker = new Worker(new URL('./aio-worker.ts', import.meta.url), { type: 'module', name });
  return { worker, init: (init) => wrap<AioWorkerApi>(worker).init(init) };
};

interface Vcpu {
  init: VcpuInit;
  ctl: Control;
  mem: GuestMemory;
  pool: PoolCore;
  cpu: Cpu;
}

let me: Vcpu | undefined;

const api = {
  init(init: VcpuInit) {
    const ctl = attachControl(init.ctl);
    const mem = new GuestMemory(init.ram);
    const pool = new PoolCore(ctl);
    const thread = threadIdOfVcpu(init.vcpu);
    // This thread as a creator of pool workers, should the policy make it one (`inline`).
    const creator = aioWorkerCreator(thread, pool, init.aio, spawnNestedAioWorker);
    // The raw driver's submit (cf. raw_co_prw -> thread_pool_submit_co), on this vCPU, for
    // every request of one exit at once: one stamp, one hold of the pool lock; the
    // wake-ups once the exit has dropped the BQL.
    const slots = new Int32Array(init.queueSize);
    let owed = 0;
    const submit = (reqs: readonly BlkRequest[]) => {
      const n = virtioBlkPrepareMultireq(ctl, reqs, thread, device.slotBase, slots);
      owed += pool.queueMany(slots, n, creator);
    };
    const afterExit = () => {
      pool.wake(owed);
      owed = 0;
    };
    const device = new VirtioBlk(
      ctl,
      mem,
      init.vcpu,
      { virtualSize: init.virtualSize, id: new TextEncoder().encode(init.diskId) },
      init.queueSize,
      init.segMax,
      submit,
    );
    me = { init, ctl, mem, pool, cpu: new Cpu(ctl, init.vcpu, device, afterExit) };
    // Before any guest runs: the first real exit must not pay for compiling the exit path.
    warmUpExitPath(init.segMax);
    return {
      thread: `vcpu${init.vcpu}`,
      layoutVersion: LAYOUT_VERSION,
      byteLength: init.ctl.byteLength,
    };
  },

  async run(job: ResolvedJob) {
    if (!me) throw new Error('run() before init()');
    const { cpu, mem, init } = me;
    cpu.started();
    try {
      const drv = new BlkDriver(cpu, mem, init.ramBase, init.ramSize, init.queueSize);
      return job.rw === 'fuzz'
        ? await runFuzz(cpu, drv, job, init.vcpu)
        : await runJob(cpu, drv, job, init.vcpu);
    } finally {
      cpu.stopped();
    }
  },

  async quiesce() {
    // None of its workers may die holding the write gate, the cache's locks or pins.
    return me ? quiesceOwnWorkers(me.pool, threadIdOfVcpu(me.init.vcpu)) : false;
  },
} satisfies VcpuWorkerApi;

expose(api);
