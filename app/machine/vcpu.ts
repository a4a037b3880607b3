// One vCPU as the page manages it: its worker, the job it runs, stopping it (at the guest's next
// safe point, then its thread goes away) and starting it again after a device reset of its
// queue, which waits for the queue's in-flight requests to complete first.

import { wrap, type Remote } from 'comlink';
import { spawnVcpuWorker } from '../spawn.ts';
import type { VcpuInit, VcpuWorkerApi } from '../shared/contracts.ts';
import type { JobReport, ResolvedJob } from '../shared/guest/guest-job.ts';
import type { Control } from '../shared/layout/layout.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Vcpu {
  readonly index: number;
  private readonly ctl: Control;
  private readonly init: VcpuInit;
  private worker: Worker | undefined;
  private api: Remote<VcpuWorkerApi> | undefined;
  private running: Promise<JobReport> | undefined;
  private job: ResolvedJob | undefined;
  /** Whether the current thread has run a job (a thread runs one job). */
  private started = false;
  /** The most recent run, running or ended. */
  lastRun: Promise<JobReport> | undefined;
  /** Reports of every run of this vCPU, oldest first. */
  readonly reports: JobReport[] = [];
  /** Thread incarnations: bumped each time a new worker is created for this vCPU. */
  generation = 0;

  /** Called when this vCPU's thread was ended holding the pool lock (its workers died). */
  private readonly onEnded: (vcpu: number) => Promise<unknown>;

  constructor(ctl: Control, init: VcpuInit, onEnded: (vcpu: number) => Promise<unknown>) {
    this.ctl = ctl;
    this.index = init.vcpu;
    this.init = init;
    this.onEnded = onEnded;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** The job it runs (or ran last), e.g. "randread 4096 x 32". */
  get jobLabel(): string | null {
    const job = this.job;
    return job ? `${job.rw} ${job.bs} x ${job.iodepth}` : null;
  }

  /** Create this vCPU's thread and attach it (the guest does not run yet). */
  async boot(): Promise<void> {
    this.worker = spawnVcpuWorker(`vcpu${this.index}`);
    this.api = wrap<VcpuWorkerApi>(this.worker);
    this.generation++;
    this.started = false;
    await this.api.init(this.init);
  }

  /** Run `job` on the booted thread; `lastRun` settles with its report when it ends. */
  start(job: ResolvedJob): void {
    if (!this.api) throw new Error(`vCPU ${this.index} is not booted`);
    if (this.running) throw new Error(`vCPU ${this.index} is already running`);
    this.job = job;
    this.started = true;
    const run = this.api.run(job).then((report) => {
      this.reports.push(report);
      return report;
    });
    this.running = run;
    this.lastRun = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
  }

  /** Run `job`: on this thread if it never ran, else on a new one after a queue reset. */
  async ensureRunning(job: ResolvedJob): Promise<void> {
    if (this.running) return;
    if (this.api && !this.started) this.start(job);
    else await this.restart(job);
  }

  /**
   * Stop: the guest leaves at its next safe point (a halted vCPU is woken for it), then the
   * thread is ended. Requests it had in flight still complete into guest RAM.
   */
  async stop(): Promise<void> {
    const { i32, L } = this.ctl;
    Atomics.store(i32, L.vcpu.stop.at(this.index), 1);
    Atomics.notify(i32, L.vcpu.irq.at(this.index));
    await this.running?.catch(() => undefined);
    const holdsPoolLock = (await this.api?.quiesce()) ?? false;
    // Idle in its event loop now (its run has returned), never blocked: safe to end. The pool
    // workers it created (inline policy) die with it.
    this.worker?.terminate();
    this.worker = undefined;
    this.api = undefined;
    if (holdsPoolLock) await this.onEnded(this.index);
  }

  /** Wait until the device has answered every request of this vCPU's queue. */
  async drained(): Promise<void> {
    const { i32, L } = this.ctl;
    while (Atomics.load(i32, L.vcpu.qInflight.at(this.index)) > 0) await sleep(2);
  }

  /** Stop if needed, reset the queue once drained, and run `job` on a new thread. */
  async restart(job: ResolvedJob): Promise<void> {
    if (this.worker) await this.stop();
    await this.drained();
    const { i32, L } = this.ctl;
    // Device reset of this queue: the new guest sets it up from scratch.
    Atomics.store(i32, L.vcpu.qReady.at(this.index), 0);
    Atomics.store(i32, L.vcpu.irq.at(this.index), 0);
    Atomics.store(i32, L.vcpu.stop.at(this.index), 0);
    await this.boot();
    this.start(job);
  }
}
