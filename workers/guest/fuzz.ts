// A misbehaving guest: valid reads and writes in its region mixed with malformed requests —
// buffers outside RAM, lengths not a multiple of 512, sectors past the end, unknown types, too
// many or zero segments. Every malformed one must come back with an error status, every valid
// one with OK, and the device must not fall over.

import { SECTOR_SIZE } from '../../app/shared/block.ts';
import { stampMs } from '../../app/shared/clock.ts';
import type { JobReport, ResolvedJob } from '../../app/shared/guest-job.ts';
import { hash32, Rng } from '../../app/shared/rng.ts';
import { BlkStatus, BlkType } from '../../app/shared/virtio.ts';
import type { BlkDriver, Bus, RawDesc } from './driver.ts';
import { runInFlight } from './in-flight.ts';
import { JobStats, think } from './job.ts';

export const MALFORMATIONS = [
  'outside-ram',
  'bad-length',
  'past-end',
  'unknown-type',
  'too-many-segments',
  'zero-segments',
] as const;
type Malformation = (typeof MALFORMATIONS)[number];

interface Pending {
  malformed: Malformation | null;
  isWrite: boolean;
  nbytes: number;
  segs: RawDesc[];
  tSubmit: number;
  tIssued: number;
}

export async function runFuzz(
  bus: Bus,
  drv: BlkDriver,
  job: ResolvedJob,
  vcpu: number,
): Promise<JobReport> {
  const stats = new JobStats();
  const ledger = { malformed: 0, rejected: 0, valid: 0, validOk: 0 };
  const rng = new Rng(hash32(job.seed, vcpu, 0xf022));
  const t0 = stampMs();
  const deadline = t0 + job.runtimeMs;
  const blocks = job.size / job.bs;
  const inflight = new Map<number, Pending>();
  let submitted = 0;

  const submitOne = (): boolean => {
    const malformed = rng.int(2) === 0 ? MALFORMATIONS[rng.int(MALFORMATIONS.length)] : null;
    const isWrite = rng.int(2) === 0;
    const got = drv.allocRequest(job.bs);
    if (!got) return false;
    const { id, segs } = got;
    think(job.thinkUs, bus);
    let sector = (job.offset + rng.int(blocks) * job.bs) / SECTOR_SIZE;
    let type: number = isWrite ? BlkType.OUT : BlkType.IN;
    let data: RawDesc[] = segs.map((d) => ({ ...d, write: !isWrite }));
    switch (malformed) {
      case 'outside-ram':
        data = [{ addr: drv.mem.size - 256, len: 512, write: !isWrite }];
        break;
      case 'bad-length':
        data = [{ ...data[0], len: 500 }];
        break;
      case 'past-end':
        // The last sector of the request lies one sector past the end of the disk.
        sector = drv.capacity - job.bs / SECTOR_SIZE + 1;
        break;
      case 'unknown-type':
        type = 99;
        break;
      case 'too-many-segments':
        data = Array.from({ length: drv.segMax + 1 }, () => ({ ...data[0], len: 512 }));
        break;
      case 'zero-segments':
        data = [];
        break;
      case null:
        break;
    }
    const p: Pending = { malformed, isWrite, nbytes: job.bs, segs, tSubmit: stampMs(), tIssued: 0 };
    if (stats.tFirstSubmit === 0) stats.tFirstSubmit = p.tSubmit;
    drv.submit(id, type, sector, data);
    p.tIssued = stampMs();
    inflight.set(id, p);
    submitted++;
    return true;
  };

  const reap = () => {
    drv.ack();
    const done = drv.reap();
    const tSeen = stampMs();
    for (const c of done) {
      const p = inflight.get(c.id);
      if (!p) continue;
      inflight.delete(c.id);
      drv.freeBuffer(p.segs);
      stats.countStatus(c.status);
      stats.timing(p.tSubmit, p.tIssued, tSeen);
      const ok = c.status === BlkStatus.OK;
      if (p.malformed) {
        ledger.malformed++;
        if (!ok) ledger.rejected++;
      } else {
        ledger.valid++;
        if (ok) {
          ledger.validOk++;
          if (p.isWrite) {
            stats.writes++;
            stats.writeBytes += p.nbytes;
          } else {
            stats.reads++;
            stats.readBytes += p.nbytes;
          }
        }
      }
    }
    if (done.length) stats.publish(bus);
    return done.length;
  };

  const stopped = await runInFlight(bus, {
    iodepth: job.iodepth,
    deadline,
    inflight: () => inflight.size,
    wantMore: () => submitted < job.ios && stampMs() < deadline,
    submitOne,
    reap,
  });
  stats.publish(bus);
  const report = stats.report(vcpu, job, stampMs() - t0, stopped);
  return { ...report, fuzz: ledger };
}
