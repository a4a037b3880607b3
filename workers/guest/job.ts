// The toy guest's I/O program, fio-like: keeps `iodepth` requests in flight over its region,
// sequential or random, reads and/or writes, with think time, periodic flushes and verify.
// It runs on its vCPU and touches only guest RAM and the device (through the driver).

import { SECTOR_SIZE } from '../../app/shared/block/block.ts';
import { stampMs } from '../../app/shared/sync/clock.ts';
import type { JobReport, ResolvedJob } from '../../app/shared/guest/guest-job.ts';
import { hash32, Rng } from '../../app/shared/guest/rng.ts';
import { BlkStatus, BlkType } from '../../app/shared/virtio/virtio.ts';
import type { BlkDriver, Bus, Completion, RawDesc } from './driver.ts';
import { GuestProgram, JobStats, think, type Pending } from './program.ts';
import { checkSector, fillSector, runIdOf, type Expectation } from './verify.ts';

interface Req extends Pending {
  kind: 'read' | 'write' | 'flush';
  block: number;
  byteOffset: number;
  nbytes: number;
  segs: RawDesc[];
  /** The generation a write puts in its sectors (verify). */
  gen: number;
}

class IoJob extends GuestProgram<Req> {
  private readonly rng: Rng;
  private readonly runId: number;
  private readonly blocks: number;
  private readonly random: boolean;
  /** A read-only job expects what an earlier run of the same seed wrote (verify). */
  private readonly strictReads: boolean;
  private readonly writesOnly: boolean;
  /** Generation of each sector this run wrote (verify). */
  private readonly written = new Map<number, number>();
  /** Blocks with a request in flight: a verifying job never has two on one block. */
  private readonly busy = new Set<number>();
  private nextBlock = 0;
  private writesSinceFlush = 0;

  constructor(bus: Bus, drv: BlkDriver, job: ResolvedJob, vcpu: number) {
    super(bus, drv, job, vcpu);
    this.rng = new Rng(hash32(job.seed, vcpu, 0x10b));
    this.runId = runIdOf(job.seed);
    this.blocks = job.size / job.bs;
    this.random = job.rw.startsWith('rand');
    this.strictReads = job.rw === 'read' || job.rw === 'randread';
    this.writesOnly = job.rw === 'write' || job.rw === 'randwrite';
  }

  /** A writing job that flushes periodically ends with a flush, like fio's end_fsync. */
  override async run(): Promise<JobReport> {
    const stopped = await this.loop();
    if (!stopped && this.job.flushEvery > 0 && this.writesSinceFlush > 0 && this.submitFlush()) {
      await this.drain();
    }
    return this.finish(stopped);
  }

  protected submitOne(): boolean {
    const { flushEvery } = this.job;
    if (flushEvery > 0 && this.writesSinceFlush >= flushEvery) return this.submitFlush();
    return this.submitIo();
  }

  private pickBlock(): number | undefined {
    if (!this.random) {
      const b = this.nextBlock % this.blocks;
      if (this.busy.has(b)) return undefined;
      this.nextBlock++;
      return b;
    }
    for (let tries = 0; tries < 8; tries++) {
      const b = this.rng.int(this.blocks);
      if (!this.busy.has(b)) return b;
    }
    return undefined;
  }

  private submitFlush(): boolean {
    const id = this.drv.allocId();
    if (id === undefined) return false;
    this.writesSinceFlush = 0;
    const req: Req = {
      kind: 'flush',
      block: -1,
      byteOffset: 0,
      nbytes: 0,
      segs: [],
      gen: 0,
      tSubmit: 0,
      tIssued: 0,
    };
    this.issue(req, id, BlkType.FLUSH, 0, []);
    return true;
  }

  private submitIo(): boolean {
    const { job, drv } = this;
    const block = this.pickBlock();
    if (block === undefined) return false;
    const isWrite = this.writesOnly || (job.rw === 'randrw' && this.rng.int(100) >= job.rwmixread);
    const got = drv.allocRequest(job.bs);
    if (!got) return false;
    const { id, segs } = got;
    think(job.thinkUs, this.bus);
    const byteOffset = job.offset + block * job.bs;
    const firstSector = byteOffset / SECTOR_SIZE;
    const gen = isWrite ? (this.written.get(firstSector) ?? 0) + 1 : 0;
    if (isWrite && job.verify) {
      let s = firstSector;
      for (const seg of segs) {
        for (let at = 0; at < seg.len; at += SECTOR_SIZE, s++)
          fillSector(drv.mem.i32, (seg.addr + at) >> 2, s, this.runId, gen);
      }
    }
    this.busy.add(block);
    this.submitted++;
    const data = segs.map((d) => ({ ...d, write: !isWrite }));
    const req: Req = {
      kind: isWrite ? 'write' : 'read',
      block,
      byteOffset,
      nbytes: job.bs,
      segs,
      gen,
      tSubmit: 0,
      tIssued: 0,
    };
    this.issue(req, id, isWrite ? BlkType.OUT : BlkType.IN, firstSector, data);
    if (isWrite) this.writesSinceFlush++;
    return true;
  }

  protected completed(req: Req, c: Completion): void {
    const ok = c.status === BlkStatus.OK;
    if (req.kind === 'flush') {
      if (ok) this.stats.flushes++;
      return;
    }
    this.busy.delete(req.block);
    if (ok) this.stats.countIo(req.kind === 'write', req.nbytes);
    const firstSector = req.byteOffset / SECTOR_SIZE;
    if (req.kind === 'write') {
      for (let k = 0; k < req.nbytes / SECTOR_SIZE; k++) {
        // A failed write leaves its sectors unknown.
        if (ok) this.written.set(firstSector + k, req.gen);
        else this.written.delete(firstSector + k);
      }
    } else if (ok && this.job.verify) {
      this.verify(req, firstSector);
    }
    this.drv.freeBuffer(req.segs);
  }

  /** Check every sector a read brought back against what this run (or its seed) wrote. */
  private verify(req: Req, firstSector: number): void {
    const { verify } = this.stats;
    let s = firstSector;
    for (const seg of req.segs) {
      for (let at = 0; at < seg.len; at += SECTOR_SIZE, s++) {
        const gen = this.written.get(s);
        const expect: Expectation =
          gen !== undefined
            ? { kind: 'exact', runId: this.runId, gen }
            : this.strictReads
              ? { kind: 'run', runId: this.runId }
              : { kind: 'any' };
        const why = checkSector(this.drv.mem.i32, (seg.addr + at) >> 2, s, expect);
        verify.checked++;
        if (why) {
          verify.errors++;
          verify.firstError ??= `vCPU ${this.vcpu}: ${why}`;
        }
      }
    }
  }
}

export async function runJob(
  bus: Bus,
  drv: BlkDriver,
  job: ResolvedJob,
  vcpu: number,
): Promise<JobReport> {
  if (job.rw !== 'idle') return new IoJob(bus, drv, job, vcpu).run();
  // No I/O: halt until stopped or until the runtime ends.
  const t0 = stampMs();
  const deadline = t0 + job.runtimeMs;
  while (!bus.shouldStop() && stampMs() < deadline) {
    await bus.halt(Math.min(1000, deadline - stampMs()));
    drv.ack();
  }
  return new JobStats().report(vcpu, job, stampMs() - t0, bus.shouldStop());
}
