// A machine: guest RAM, vCPU threads running toy guests, one virtio-blk device with a queue per
// vCPU, and an AIO pool serving it. The page owns it all, as QEMU's process does: it allocates
// every SharedArrayBuffer, owns the main loop and the BQL (the loop holds it while it completes
// requests), and starts and stops the threads; the disk's BlockBackend attaches to its loop.

import { BlockBackend, blockControlParams } from '../block/block-backend.ts';
import { openImage, type OpenedImage } from '../block/block-open.ts';
import {
  checkMachineConfig,
  resolveVcpuJob,
  type MachineConfig,
  type ResolvedMachineConfig,
} from './machine-config.ts';
import type { MainBql } from './main-bql.ts';
import { createMachineLoop } from './machine-loop.ts';
import type { MainLoop } from './main-loop.ts';
import { machineStats, type MachineStats } from './machine-stats.ts';
import { TraceRecorder } from './trace-recorder.ts';
import { Vcpu } from './vcpu.ts';
import type { ResolvedJob } from '../shared/guest/guest-job.ts';
import { runReport, type RunReport } from '../shared/stats/run-report.ts';
import type { Control } from '../shared/layout/layout.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import type { AioConfig } from '../shared/block/aio-config.ts';
import type { PoolConfig } from '../shared/pool/pool-config.ts';
import { raiseIrq, virtioBlkRwComplete } from '../shared/virtio/virtio-blk-complete.ts';
import { GuestMemory } from '../shared/virtio/virtio.ts';

export class Machine {
  readonly config: ResolvedMachineConfig;
  readonly image: string;
  readonly ram: GuestMemory;
  readonly vcpus: Vcpu[];
  /** The control buffer: the vCPUs' words, the device's, and the block layer's. */
  readonly ctl: Control;
  /** The main loop, which holds the BQL while it runs bottom halves. */
  readonly loop: MainLoop;
  /** The disk: virtio-blk's BlockBackend (image, pool, accounting), on this machine's loop. */
  readonly disk: BlockBackend;
  private readonly jobs: ResolvedJob[];
  private readonly bql: MainBql;
  private readonly irqPending = new Set<number>();
  private destroyed: Promise<void> | undefined;

  /** createMachine(): check the configuration, take the image, allocate, boot the vCPUs. */
  static async create(cfg: MachineConfig): Promise<Machine> {
    const config = checkMachineConfig(cfg);
    const opened = await openImage(config.block, 'machine');
    let machine: Machine | undefined;
    try {
      const { virtualSize } = opened.meta;
      const jobs = config.jobs.map((job, v) => resolveVcpuJob(config, v, job, virtualSize));
      machine = new Machine(config, jobs, opened);
      await machine.boot();
      return machine;
    } catch (e) {
      // Before the constructor returned nothing ran: the image's lock is all there is to undo.
      if (machine) await machine.destroy().catch(() => undefined);
      else opened.release();
      throw e;
    }
  }

  private constructor(config: ResolvedMachineConfig, jobs: ResolvedJob[], opened: OpenedImage) {
    this.config = config;
    this.image = config.block.image;
    this.jobs = jobs;
    const ram = new GuestMemory(new SharedArrayBuffer(config.ramBytes));
    this.ram = ram;
    const fe = { nslots: config.vcpus * config.queueSize, maxIov: config.segMax };
    const { ctl, bql, loop } = createMachineLoop({
      ...blockControlParams(opened, fe),
      nvcpus: config.vcpus,
    });
    this.ctl = ctl;
    this.bql = bql;
    this.loop = loop;
    const disk = new BlockBackend(opened, this.loop, ram.sab);
    this.disk = disk;
    this.vcpus = Array.from({ length: config.vcpus }, (_, v) => {
      disk.onComplete(threadIdOfVcpu(v), (slot, ret) => this.complete(v, slot, ret));
      return new Vcpu(
        ctl,
        {
          ctl: ctl.sab,
          ram: ram.sab,
          vcpu: v,
          ramBase: v * config.ramShareBytes,
          ramSize: config.ramShareBytes,
          virtualSize: disk.virtualSize,
          diskId: config.block.image,
          queueSize: config.queueSize,
          segMax: config.segMax,
          aio: disk.aioParams,
        },
        (vcpu) => disk.pool.recoverOrphansLocked(threadIdOfVcpu(vcpu)),
      );
    });
    // Raise each interrupt once per completion pass, after all its requests are in.
    disk.afterCompletions = () => {
      for (const v of this.irqPending) raiseIrq(ctl, v);
      this.irqPending.clear();
    };
  }

  private async boot(): Promise<void> {
    this.loop.start();
    await this.disk.start();
    await Promise.all(this.vcpus.map((v) => v.boot()));
  }

  /** The virtio-blk side of a completion (under the BQL): status bytes, used ring; the
   *  interrupt once the pass is over. */
  private complete(v: number, slot: number, ret: number): void {
    virtioBlkRwComplete(this.ctl, this.ram, v, slot, ret);
    this.irqPending.add(v);
  }

  /** Run every vCPU's job (again, on fresh threads, for those that ran before). */
  async start(): Promise<void> {
    this.checkAlive();
    await Promise.all(this.vcpus.map((v, i) => v.ensureRunning(this.jobs[i])));
  }

  /** Stop every vCPU, then drain: resolves once every request in flight has completed
   *  (as QEMU's vm_stop drains all block devices). */
  async stop(): Promise<void> {
    await Promise.all(this.vcpus.map((v) => v.stop()));
    await Promise.all(this.vcpus.map((v) => v.drained()));
    // What the guests wrote into the page cache reaches the image before stop() says done.
    await this.disk.writeBack();
  }

  /** Stop one vCPU (the others keep running). */
  stopVcpu(index: number): Promise<void> {
    return this.vcpu(index).stop();
  }

  /** Start one vCPU again on a new thread, once its queue has drained. */
  async startVcpu(index: number): Promise<void> {
    this.checkAlive();
    await this.vcpu(index).restart(this.jobs[index]);
  }

  /** Wait for every vCPU's latest run to end; a fio-like report per job. */
  async done(): Promise<RunReport> {
    const runs = this.vcpus.flatMap((v) => (v.lastRun ? [v.lastRun] : []));
    return runReport(await Promise.all(runs));
  }

  stats(): MachineStats {
    const { disk } = this;
    return machineStats(this.ctl, disk.stats(), this.bql, disk.pool.completionBatch, this.vcpus);
  }

  /** Record this machine's trace from now until stop() (app/machine/trace-recorder.ts). */
  startTrace(): TraceRecorder {
    return new TraceRecorder(this);
  }

  setPool(cfg: Partial<PoolConfig>): Promise<void> {
    return this.disk.setPool(cfg);
  }

  /** Recount the pool's counters from its records and slots; [] if they agree. */
  auditPool(): Promise<string[]> {
    return this.disk.auditPool();
  }

  get poolConfig(): Readonly<PoolConfig> {
    return this.disk.poolConfig;
  }

  /** Batching, merging and polling, at run time (see BlockBackend.setAio). */
  setAio(cfg: Partial<AioConfig>): void {
    this.disk.setAio(cfg);
  }

  get aioConfig(): Readonly<AioConfig> {
    return this.disk.aioConfig;
  }

  /** Stop the vCPUs, let their requests complete, shut the disk down, release the image, stop
   *  the main loop. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      try {
        await this.stop();
      } finally {
        try {
          await this.disk.close();
        } finally {
          await this.loop.stop();
        }
      }
    })();
    return this.destroyed;
  }

  private vcpu(index: number): Vcpu {
    const v = this.vcpus[index];
    if (!Number.isInteger(index) || !v) {
      throw new RangeError(`vCPU ${index} does not exist (the machine has ${this.vcpus.length})`);
    }
    return v;
  }

  private checkAlive(): void {
    if (this.destroyed) throw new Error(`the machine on image "${this.image}" is destroyed`);
  }
}
