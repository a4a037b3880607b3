// A vCPU thread: runs its guest program; a doorbell write exits synchronously into virtio-blk
// emulation on this thread under the BQL, which submits to the AIO pool through the raw driver.
// Under the `inline` policy it also creates the pool workers its submissions need — nested
// workers it owns, which cannot start until it yields and which die with it.

import { expose, wrap } from 'comlink';
import { writeSlot, type BlockRequest } from '../app/shared/block.ts';
import {
  lifetimeLockName,
  type AioWorkerApi,
  type VcpuInit,
  type VcpuWorkerApi,
} from '../app/shared/contracts.ts';
import type { ResolvedJob } from '../app/shared/guest-job.ts';
import {
  attachControl,
  LAYOUT_VERSION,
  threadIdOfVcpu,
  type Control,
} from '../app/shared/layout.ts';
import { PoolCore } from '../app/shared/thread-pool.ts';
import { GuestMemory } from '../app/shared/virtio.ts';
import { BlkDriver } from './guest/driver.ts';
import { runFuzz } from './guest/fuzz.ts';
import { runJob } from './guest/job.ts';
import { Cpu } from './vcpu/cpu.ts';
import { VirtioBlk } from './vcpu/virtio-blk.ts';

interface Vcpu {
  init: VcpuInit;
  ctl: Control;
  mem: GuestMemory;
  pool: PoolCore;
  cpu: Cpu;
  /** Pool workers this vCPU created (inline policy): they live as long as this thread. */
  children: Worker[];
}

let me: Vcpu | undefined;

/** The raw driver's submit (cf. raw_co_prw -> thread_pool_submit_co), on this vCPU. */
function rawSubmit(v: Vcpu, slot: number, req: BlockRequest): void {
  const { pool, ctl, init } = v;
  writeSlot(ctl, slot, req, threadIdOfVcpu(init.vcpu), slot - init.vcpu * init.queueSize);
  pool.lock.lock();
  pool.submitLocked(slot);
  if (pool.policy() === 'inline') {
    // Before the patch: create the whole backlog here, holding the pool lock (and the BQL).
    for (
      let r = pool.takeBacklogLocked(threadIdOfVcpu(init.vcpu));
      r !== -1;
      r = pool.takeBacklogLocked(threadIdOfVcpu(init.vcpu))
    ) {
      createChild(v, r);
    }
  }
  pool.lock.unlock();
  pool.requestCond.signal();
}

function createChild(v: Vcpu, record: number): void {
  const seq = Atomics.load(v.ctl.i32, v.ctl.L.record.seq.at(record));
  const thread = `aio-${seq}`;
  const worker = new Worker(new URL('./aio-worker.ts', import.meta.url), {
    type: 'module',
    name: thread,
  });
  v.children.push(worker);
  void wrap<AioWorkerApi>(worker)
    .init({
      ctl: v.init.ctl,
      dma: v.init.ram,
      image: v.init.image,
      cache: v.init.cache,
      record,
      thread,
      lifetimeLock: lifetimeLockName(v.init.workerLockPrefix, record),
    })
    .catch((e: unknown) => console.error(`vCPU ${v.init.vcpu}: ${thread} failed to start`, e));
}

const api = {
  init(init: VcpuInit) {
    const ctl = attachControl(init.ctl);
    const mem = new GuestMemory(init.ram);
    const submit = (slot: number, req: BlockRequest) => rawSubmit(v, slot, req);
    const device = new VirtioBlk(
      ctl,
      mem,
      init.vcpu,
      { capacityBytes: init.capacityBytes, id: init.diskId },
      init.queueSize,
      init.segMax,
      submit,
    );
    const v: Vcpu = {
      init,
      ctl,
      mem,
      pool: new PoolCore(ctl),
      cpu: new Cpu(ctl, init.vcpu, device),
      children: [],
    };
    me = v;
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

  quiesce() {
    if (!me || me.children.length === 0) return false;
    me.pool.lock.lock();
    return true;
  },
} satisfies VcpuWorkerApi;

expose(api);
