// A machine: guest RAM, vCPU threads running toy guests, one virtio-blk device with a queue per
// vCPU, and an AIO pool serving it. The page owns it all: it allocates every SharedArrayBuffer,
// runs the main loop (which holds the BQL while it completes requests), and starts and stops
// the threads.

import { acctTypeOf, BlockAcct } from './block-acct.ts';
import type { BlockStats } from './block-backend.ts';
import { acquireImageLock } from './image-lock.ts';
import { readImageMeta } from './images.ts';
import {
  checkMachineConfig,
  resolveVcpuJob,
  type MachineConfig,
  type ResolvedMachineConfig,
} from './machine-config.ts';
import { MainLoop, type LoopLock } from './main-loop.ts';
import { machineStats, type MachineStats, type RunReport, runReport } from './machine-stats.ts';
import { ThreadPool } from './thread-pool.ts';
import { Vcpu } from './vcpu.ts';
import { BlockOp } from './shared/block.ts';
import { stampMs } from './shared/clock.ts';
import type { ResolvedJob } from './shared/guest-job.ts';
import { Histogram } from './shared/histogram.ts';
import { createControl, threadIdOfVcpu, type Control } from './shared/layout.ts';
import { QemuMutex } from './shared/mutex.ts';
import type { PoolConfig } from './shared/thread-pool.ts';
import { raiseIrq, virtioBlkComplete } from './shared/virtio-blk.ts';
import { BlkStatus, GuestMemory } from './shared/virtio.ts';

/** The BQL as the main loop takes it: try, then await; its wait and hold times measured. */
class MainBql implements LoopLock {
  readonly wait = Histogram.create();
  readonly hold = Histogram.create();
  private readonly mutex: QemuMutex;
  private since = 0;
  constructor(ctl: Control) {
    this.mutex = new QemuMutex(ctl.i32, ctl.L.machine.bql);
  }
  async lockAsync(): Promise<void> {
    const t0 = stampMs();
    await this.mutex.lockAsync();
    this.since = stampMs();
    this.wait.record((this.since - t0) * 1000);
  }
  unlock(): void {
    this.hold.record((stampMs() - this.since) * 1000);
    this.mutex.unlock();
  }
}

export class Machine {
  readonly config: ResolvedMachineConfig;
  readonly image: string;
  readonly diskBytes: number;
  readonly ctl: Control;
  readonly ram: GuestMemory;
  readonly vcpus: Vcpu[];
  private readonly jobs: ResolvedJob[];
  private readonly loop: MainLoop;
  private readonly pool: ThreadPool;
  private readonly acct = new BlockAcct();
  private readonly bql: MainBql;
  private readonly releaseLock: () => void;
  private readonly irqPending = new Set<number>();
  private destroyed: Promise<void> | undefined;

  /** createMachine(): check the configuration, take the image, allocate, boot the vCPUs. */
  static async create(cfg: MachineConfig): Promise<Machine> {
    const config = checkMachineConfig(cfg);
    const release = await acquireImageLock(config.image);
    try {
      const meta = await readImageMeta(config.image);
      const jobs = config.jobs.map((job, v) => resolveVcpuJob(config, v, job, meta.virtualSize));
      const machine = new Machine(config, meta.virtualSize, meta.chunkSize, jobs, release);
      await machine.boot();
      return machine;
    } catch (e) {
      release();
      throw e;
    }
  }

  private constructor(
    config: ResolvedMachineConfig,
    diskBytes: number,
    chunkSize: number,
    jobs: ResolvedJob[],
    releaseLock: () => void,
  ) {
    this.config = config;
    this.image = config.image;
    this.diskBytes = diskBytes;
    this.jobs = jobs;
    this.releaseLock = releaseLock;
    this.ctl = createControl({
      nslots: config.vcpus * config.queueSize,
      maxIov: config.segMax,
      nrecords: 512,
      nvcpus: config.vcpus,
    });
    this.ram = new GuestMemory(new SharedArrayBuffer(config.ramBytes));
    this.loop = new MainLoop(this.ctl);
    this.bql = new MainBql(this.ctl);
    this.loop.setLock(this.bql);
    const image = { name: config.image, virtualSize: diskBytes, chunkSize };
    this.pool = new ThreadPool({
      ctl: this.ctl,
      loop: this.loop,
      dma: this.ram.sab,
      image,
      cache: config.cache,
      config: config.pool,
    });
    this.vcpus = Array.from({ length: config.vcpus }, (_, v) => {
      this.pool.onComplete(threadIdOfVcpu(v), (slot) => this.complete(v, slot));
      return new Vcpu(
        this.ctl,
        {
          ctl: this.ctl.sab,
          ram: this.ram.sab,
          vcpu: v,
          ramBase: v * config.ramShareBytes,
          ramSize: config.ramShareBytes,
          capacityBytes: diskBytes,
          diskId: config.image,
          queueSize: config.queueSize,
          segMax: config.segMax,
          image,
          cache: config.cache,
          workerLockPrefix: this.pool.workerLockPrefix,
        },
        (vcpu) => this.pool.recoverOrphans(threadIdOfVcpu(vcpu)),
      );
    });
    // Raise each interrupt once per completion pass, after all its requests are in.
    this.pool.afterCompletions = () => {
      for (const v of this.irqPending) raiseIrq(this.ctl, v);
      this.irqPending.clear();
    };
  }

  private async boot(): Promise<void> {
    this.loop.start();
    await this.pool.start();
    await Promise.all(this.vcpus.map((v) => v.boot()));
  }

  /** The virtio-blk side of the completion BH (under the BQL): status, used ring, interrupt. */
  private complete(v: number, slot: number): void {
    const { i32, f64, L } = this.ctl;
    const S = L.slot;
    const ret = Atomics.load(i32, S.ret.at(slot));
    const head = i32[S.tag.at(slot)];
    const op = i32[S.op.at(slot)] as BlockOp;
    const nbytes = f64[S.nbytes.at(slot)];
    const ok = ret >= 0;
    const inLen = ok ? i32[L.vreq.inLen.at(slot)] : 1;
    virtioBlkComplete(
      this.ctl,
      this.ram,
      v,
      head,
      i32[L.vreq.statusAddr.at(slot)],
      ok ? BlkStatus.OK : BlkStatus.IOERR,
      inLen,
    );
    this.irqPending.add(v);
    const tComplete = stampMs();
    const tSubmit = f64[S.tSubmit.at(slot)];
    this.acct.split(tSubmit, f64[S.tStart.at(slot)], f64[S.tDone.at(slot)], tComplete);
    this.acct.account(acctTypeOf(op), nbytes, tComplete - tSubmit, !ok);
    if (ok && (op === BlockOp.WRITE || op === BlockOp.WRITE_ZEROES)) {
      this.acct.wrote(f64[S.byteOffset.at(slot)] + nbytes);
    }
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
    const base: BlockStats = {
      ...this.acct.stats(),
      pool: this.pool.counters(),
      spawns: this.pool.records(),
      main_loop: this.loop.stats(),
    };
    return machineStats(this.ctl, base, this.bql, this.pool.completionBatch, this.vcpus);
  }

  setPool(cfg: Partial<PoolConfig>): Promise<void> {
    return this.pool.setConfig(cfg);
  }

  /** Recount the pool's counters from its records and slots; [] if they agree. */
  auditPool(): Promise<string[]> {
    return this.pool.audit();
  }

  get poolConfig(): Readonly<PoolConfig> {
    return this.pool.configuration;
  }

  /** Stop the vCPUs, let their requests complete, shut the pool down, release the image. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      try {
        await this.stop();
        await this.pool.shutdown();
        await this.loop.stop();
      } finally {
        this.releaseLock();
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
