// What every guest I/O program shares, fio's core: keep up to `iodepth` requests in flight while
// there is work to start, stamp and submit each, ring the doorbell once for what it submitted
// (or once each, with `kick: 'each'`), reap completions, count them, and halt (HLT) when nothing
// can move until an interrupt. A program says what to submit and what a
// completion means; it touches only guest RAM and the device, through the driver.

import { stampMs } from '../../app/shared/sync/clock.ts';
import type { JobReport, ResolvedJob } from '../../app/shared/guest/guest-job.ts';
import { Histogram } from '../../app/shared/stats/histogram.ts';
import { BlkStatus } from '../../app/shared/virtio/virtio.ts';
import type { BlkDriver, Bus, Completion, RawDesc } from './driver.ts';

/** Busy guest computation: the vCPU does not yield. */
export function think(us: number, bus: Bus): void {
  if (us <= 0) return;
  const until = performance.now() + us / 1000;
  while (performance.now() < until && !bus.shouldStop());
}

/** A request in flight, as its program knows it. */
export interface Pending {
  /** When the guest made it, and when the doorbell's exit returned (stamps). */
  tSubmit: number;
  tIssued: number;
}

export class JobStats {
  readonly slat = Histogram.create();
  readonly clat = Histogram.create();
  readonly lat = Histogram.create();
  reads = 0;
  writes = 0;
  flushes = 0;
  readBytes = 0;
  writeBytes = 0;
  readonly status = { ok: 0, ioerr: 0, unsupp: 0, none: 0 };
  readonly verify = { checked: 0, errors: 0, firstError: null as string | null };
  tFirstSubmit = 0;
  tFirstComplete = 0;
  tLastComplete = 0;

  publish(bus: Bus): void {
    bus.progress(this.reads + this.writes, this.verify.checked, this.verify.errors);
  }

  countStatus(status: number): void {
    if (status === BlkStatus.OK) this.status.ok++;
    else if (status === BlkStatus.IOERR) this.status.ioerr++;
    else if (status === BlkStatus.UNSUPP) this.status.unsupp++;
    else this.status.none++;
  }

  /** A read or a write that completed OK. */
  countIo(isWrite: boolean, nbytes: number): void {
    if (isWrite) {
      this.writes++;
      this.writeBytes += nbytes;
    } else {
      this.reads++;
      this.readBytes += nbytes;
    }
  }

  timing(tSubmit: number, tIssued: number, tSeen: number): void {
    if (this.tFirstComplete === 0) this.tFirstComplete = tSeen;
    this.tLastComplete = tSeen;
    this.slat.record((tIssued - tSubmit) * 1000);
    this.clat.record((tSeen - tIssued) * 1000);
    this.lat.record((tSeen - tSubmit) * 1000);
  }

  report(vcpu: number, job: ResolvedJob, runtimeMs: number, stopped: boolean): JobReport {
    const ios = this.reads + this.writes;
    const bytes = this.readBytes + this.writeBytes;
    const secs = Math.max(runtimeMs, 1e-3) / 1000;
    return {
      vcpu,
      rw: job.rw,
      bs: job.bs,
      iodepth: job.iodepth,
      ios,
      bytes,
      reads: this.reads,
      writes: this.writes,
      flushes: this.flushes,
      readBytes: this.readBytes,
      writeBytes: this.writeBytes,
      runtimeMs,
      iops: ios / secs,
      bw: bytes / secs,
      slat: this.slat.summary(),
      clat: this.clat.summary(),
      lat: this.lat.summary(),
      verify: { ...this.verify },
      status: { ...this.status },
      fuzz: null,
      stopped,
      tFirstSubmit: this.tFirstSubmit,
      tFirstComplete: this.tFirstComplete,
      tLastComplete: this.tLastComplete,
    };
  }
}

export abstract class GuestProgram<P extends Pending> {
  readonly stats = new JobStats();
  protected readonly bus: Bus;
  protected readonly drv: BlkDriver;
  protected readonly job: ResolvedJob;
  protected readonly vcpu: number;
  protected readonly t0 = stampMs();
  /** When the job's runtime ends (ms since the epoch; Infinity if it has none). */
  protected readonly deadline: number;
  /** Requests in flight, by request id. */
  protected readonly pending = new Map<number, P>();
  /** Requests the program has started that count towards `job.ios`. */
  protected submitted = 0;
  /** Requests made available and not kicked yet (`kick: 'batch'`). */
  private readonly unkicked: P[] = [];

  constructor(bus: Bus, drv: BlkDriver, job: ResolvedJob, vcpu: number) {
    this.bus = bus;
    this.drv = drv;
    this.job = job;
    this.vcpu = vcpu;
    this.deadline = this.t0 + job.runtimeMs;
  }

  /** Start one request (through issue()); false if it cannot now (no buffer, id or block). */
  protected abstract submitOne(): boolean;
  /** What a completion of `req` means to the program (its status is counted already). */
  protected abstract completed(req: P, c: Completion): void;

  /** More requests should be started. */
  protected wantMore(): boolean {
    return this.submitted < this.job.ios && stampMs() < this.deadline;
  }

  /** Stamp `req` and describe it to the device; ring the doorbell now, or for the batch. */
  protected issue(req: P, id: number, type: number, sector: number, data: readonly RawDesc[]) {
    req.tSubmit = stampMs();
    if (this.stats.tFirstSubmit === 0) this.stats.tFirstSubmit = req.tSubmit;
    this.drv.add(id, type, sector, data);
    this.pending.set(id, req);
    this.unkicked.push(req);
    if (this.job.kick === 'each') this.kick();
  }

  /** One doorbell write for every request made available since the last; each is issued when
   *  the exit returns (its slat includes waiting for the rest of its batch, as in Linux). */
  protected kick(): void {
    if (this.unkicked.length === 0) return;
    this.drv.kick();
    const tIssued = stampMs();
    for (const req of this.unkicked) req.tIssued = tIssued;
    this.unkicked.length = 0;
  }

  /** Everything that completed since the last reap; how many did. */
  protected reap(): number {
    this.drv.ack();
    const done = this.drv.reap();
    const tSeen = stampMs();
    for (const c of done) {
      const req = this.pending.get(c.id);
      if (!req) continue;
      this.pending.delete(c.id);
      this.stats.countStatus(c.status);
      this.stats.timing(req.tSubmit, req.tIssued, tSeen);
      this.completed(req, c);
    }
    if (done.length) this.stats.publish(this.bus);
    return done.length;
  }

  /** Until the work is done and answered, or the vCPU is asked to stop; true if stopped. */
  protected async loop(): Promise<boolean> {
    const { bus } = this;
    const { iodepth } = this.job;
    for (;;) {
      if (bus.shouldStop()) return true;
      let progressed = this.reap() > 0;
      while (this.pending.size < iodepth && this.wantMore() && !bus.shouldStop()) {
        if (!this.submitOne()) break;
        progressed = true;
      }
      this.kick();
      if (this.pending.size === 0 && !this.wantMore()) return false;
      if (!progressed || this.pending.size >= iodepth || !this.wantMore()) {
        // Wake for a completion, or when the runtime ends if there is still work to start.
        const left = this.deadline - stampMs();
        await bus.halt(this.wantMore() ? Math.max(1, Math.min(1000, left)) : 1000);
      }
    }
  }

  /** Wait for every request in flight (unless the vCPU is stopped meanwhile). */
  protected async drain(): Promise<void> {
    this.kick();
    while (this.pending.size > 0 && !this.bus.shouldStop()) {
      if (this.reap() === 0) await this.bus.halt(1000);
    }
  }

  /** Run the program to its end; the report fio would print for it. */
  async run(): Promise<JobReport> {
    return this.finish(await this.loop());
  }

  protected finish(stopped: boolean): JobReport {
    this.stats.publish(this.bus);
    const end = stopped || this.bus.shouldStop();
    return this.stats.report(this.vcpu, this.job, stampMs() - this.t0, end);
  }
}
