// The toy guest's I/O program, fio-like: keeps `iodepth` requests in flight over its region,
// sequential or random, reads and/or writes, with think time, periodic flushes and verify.
// It runs on its vCPU and touches only guest RAM and the device (through the driver).

import { stampMs } from '../../app/shared/clock.ts';
import type { JobReport, ResolvedJob } from '../../app/shared/guest-job.ts';
import { Histogram } from '../../app/shared/histogram.ts';
import { hash32, Rng } from '../../app/shared/rng.ts';
import { BlkStatus, BlkType } from '../../app/shared/virtio.ts';
import { type BlkDriver, type Bus, type Completion, type RawDesc } from './driver.ts';
import { runInFlight } from './in-flight.ts';
import { checkSector, fillSector, runIdOf, type Expectation } from './verify.ts';

const SECTOR = 512;

interface Req {
  kind: 'read' | 'write' | 'flush';
  block: number;
  byteOffset: number;
  nbytes: number;
  segs: RawDesc[];
  gen: number;
  tSubmit: number;
  tIssued: number;
}

/** Busy guest computation: the vCPU does not yield. */
export function think(us: number, bus: Bus): void {
  if (us <= 0) return;
  const until = performance.now() + us / 1000;
  while (performance.now() < until && !bus.shouldStop());
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

export async function runJob(
  bus: Bus,
  drv: BlkDriver,
  job: ResolvedJob,
  vcpu: number,
): Promise<JobReport> {
  const stats = new JobStats();
  const t0 = stampMs();
  const deadline = t0 + job.runtimeMs;
  if (job.rw === 'idle') {
    while (!bus.shouldStop() && stampMs() < deadline) {
      await bus.halt(Math.min(1000, deadline - stampMs()));
      drv.ack();
    }
    return stats.report(vcpu, job, stampMs() - t0, bus.shouldStop());
  }

  const rng = new Rng(hash32(job.seed, vcpu, 0x10b));
  const runId = runIdOf(job.seed);
  const words = drv.mem.i32;
  const blocks = job.size / job.bs;
  const sectorsPerBlock = job.bs / SECTOR;
  const random = job.rw.startsWith('rand');
  const strictReads = job.rw === 'read' || job.rw === 'randread';
  const writes = job.rw === 'write' || job.rw === 'randwrite';
  /** Generation of each sector this run wrote (verify). */
  const written = new Map<number, number>();
  const busy = new Set<number>();
  const inflight = new Map<number, Req>();
  let nextBlock = 0;
  let submitted = 0;
  let writesSinceFlush = 0;

  const wantMore = () => submitted < job.ios && stampMs() < deadline;

  const pickBlock = (): number | undefined => {
    if (!random) {
      const b = nextBlock % blocks;
      if (busy.has(b)) return undefined;
      nextBlock++;
      return b;
    }
    for (let tries = 0; tries < 8; tries++) {
      const b = rng.int(blocks);
      if (!busy.has(b)) return b;
    }
    return undefined;
  };

  const issue = (req: Req, id: number, type: number, sector: number, data: RawDesc[]) => {
    req.tSubmit = stampMs();
    if (stats.tFirstSubmit === 0) stats.tFirstSubmit = req.tSubmit;
    drv.submit(id, type, sector, data);
    req.tIssued = stampMs();
    inflight.set(id, req);
  };

  const submitFlush = (): boolean => {
    const id = drv.allocId();
    if (id === undefined) return false;
    writesSinceFlush = 0;
    issue(
      {
        kind: 'flush',
        block: -1,
        byteOffset: 0,
        nbytes: 0,
        segs: [],
        gen: 0,
        tSubmit: 0,
        tIssued: 0,
      },
      id,
      BlkType.FLUSH,
      0,
      [],
    );
    return true;
  };

  const submitIo = (): boolean => {
    const block = pickBlock();
    if (block === undefined) return false;
    const isWrite = writes || (job.rw === 'randrw' && rng.int(100) >= job.rwmixread);
    const got = drv.allocRequest(job.bs);
    if (!got) return false;
    const { id, segs } = got;
    think(job.thinkUs, bus);
    const byteOffset = job.offset + block * job.bs;
    const firstSector = byteOffset / SECTOR;
    const gen = isWrite ? (written.get(firstSector) ?? 0) + 1 : 0;
    if (isWrite && job.verify) {
      let s = firstSector;
      for (const seg of segs) {
        for (let at = 0; at < seg.len; at += SECTOR, s++)
          fillSector(words, (seg.addr + at) >> 2, s, runId, gen);
      }
    }
    busy.add(block);
    submitted++;
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
    issue(req, id, isWrite ? BlkType.OUT : BlkType.IN, firstSector, data);
    if (isWrite) writesSinceFlush++;
    return true;
  };

  const complete = (c: Completion, tSeen: number) => {
    const req = inflight.get(c.id);
    if (!req) return;
    inflight.delete(c.id);
    stats.countStatus(c.status);
    stats.timing(req.tSubmit, req.tIssued, tSeen);
    const ok = c.status === BlkStatus.OK;
    if (req.kind === 'flush') {
      if (ok) stats.flushes++;
      return;
    }
    busy.delete(req.block);
    const firstSector = req.byteOffset / SECTOR;
    if (req.kind === 'write') {
      if (ok) {
        stats.writes++;
        stats.writeBytes += req.nbytes;
      }
      for (let k = 0; k < sectorsPerBlock; k++) {
        // A failed write leaves its sectors unknown.
        if (ok) written.set(firstSector + k, req.gen);
        else written.delete(firstSector + k);
      }
    } else if (ok) {
      stats.reads++;
      stats.readBytes += req.nbytes;
      if (job.verify) {
        let s = firstSector;
        for (const seg of req.segs) {
          for (let at = 0; at < seg.len; at += SECTOR, s++) {
            const gen = written.get(s);
            const expect: Expectation =
              gen !== undefined
                ? { kind: 'exact', runId, gen }
                : strictReads
                  ? { kind: 'run', runId }
                  : { kind: 'any' };
            const why = checkSector(words, (seg.addr + at) >> 2, s, expect);
            stats.verify.checked++;
            if (why) {
              stats.verify.errors++;
              stats.verify.firstError ??= `vCPU ${vcpu}: ${why}`;
            }
          }
        }
      }
    }
    drv.freeBuffer(req.segs);
  };

  const reap = () => {
    drv.ack();
    const done = drv.reap();
    const tSeen = stampMs();
    for (const c of done) complete(c, tSeen);
    if (done.length) stats.publish(bus);
    return done.length;
  };

  let stopped = await runInFlight(bus, {
    iodepth: job.iodepth,
    deadline,
    inflight: () => inflight.size,
    wantMore,
    submitOne: () =>
      job.flushEvery > 0 && writesSinceFlush >= job.flushEvery ? submitFlush() : submitIo(),
    reap,
  });
  // A writing job that flushes periodically ends with a flush, like fio's end_fsync.
  if (!stopped && job.flushEvery > 0 && writesSinceFlush > 0 && submitFlush()) {
    while (inflight.size > 0 && !bus.shouldStop()) {
      if (reap() === 0) await bus.halt(1000);
    }
  }
  stopped ||= bus.shouldStop();
  stats.publish(bus);
  return stats.report(vcpu, job, stampMs() - t0, stopped);
}
