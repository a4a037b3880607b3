// A misbehaving guest: valid reads and writes in its region mixed with malformed requests —
// buffers outside RAM, lengths not a multiple of 512, sectors past the end, unknown types, too
// many or zero segments. Every malformed one must come back with an error status, every valid
// one with OK, and the device must not fall over.

import { SECTOR_SIZE } from '../../app/shared/block/block.ts';
import type { JobReport, ResolvedJob } from '../../app/shared/guest/guest-job.ts';
import { hash32, Rng } from '../../app/shared/guest/rng.ts';
import { BlkStatus, BlkType } from '../../app/shared/virtio/virtio.ts';
import type { BlkDriver, Bus, Completion, RawDesc } from './driver.ts';
import { GuestProgram, think, type Pending } from './program.ts';

export const MALFORMATIONS = [
  'outside-ram',
  'bad-length',
  'past-end',
  'unknown-type',
  'too-many-segments',
  'zero-segments',
] as const;
type Malformation = (typeof MALFORMATIONS)[number];

interface Req extends Pending {
  malformed: Malformation | null;
  isWrite: boolean;
  nbytes: number;
  segs: RawDesc[];
}

class FuzzJob extends GuestProgram<Req> {
  readonly ledger = { malformed: 0, rejected: 0, valid: 0, validOk: 0 };
  private readonly rng: Rng;
  private readonly blocks: number;

  constructor(bus: Bus, drv: BlkDriver, job: ResolvedJob, vcpu: number) {
    super(bus, drv, job, vcpu);
    this.rng = new Rng(hash32(job.seed, vcpu, 0xf022));
    this.blocks = job.size / job.bs;
  }

  override async run(): Promise<JobReport> {
    return { ...(await super.run()), fuzz: { ...this.ledger } };
  }

  protected submitOne(): boolean {
    const { rng, job, drv } = this;
    const malformed = rng.int(2) === 0 ? MALFORMATIONS[rng.int(MALFORMATIONS.length)] : null;
    const isWrite = rng.int(2) === 0;
    const got = drv.allocRequest(job.bs);
    if (!got) return false;
    const { id, segs } = got;
    think(job.thinkUs, this.bus);
    let sector = (job.offset + rng.int(this.blocks) * job.bs) / SECTOR_SIZE;
    let type: number = isWrite ? BlkType.OUT : BlkType.IN;
    let data: RawDesc[] = segs.map((d) => ({ ...d, write: !isWrite }));
    switch (malformed) {
      case 'outside-ram':
        data = [{ addr: drv.mem.size - 256, len: SECTOR_SIZE, write: !isWrite }];
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
        data = Array.from({ length: drv.segMax + 1 }, () => ({ ...data[0], len: SECTOR_SIZE }));
        break;
      case 'zero-segments':
        data = [];
        break;
      case null:
        break;
    }
    const req: Req = { malformed, isWrite, nbytes: job.bs, segs, tSubmit: 0, tIssued: 0 };
    this.issue(req, id, type, sector, data);
    this.submitted++;
    return true;
  }

  protected completed(req: Req, c: Completion): void {
    this.drv.freeBuffer(req.segs);
    const ok = c.status === BlkStatus.OK;
    if (req.malformed) {
      this.ledger.malformed++;
      if (!ok) this.ledger.rejected++;
      return;
    }
    this.ledger.valid++;
    if (ok) {
      this.ledger.validOk++;
      this.stats.countIo(req.isWrite, req.nbytes);
    }
  }
}

export function runFuzz(
  bus: Bus,
  drv: BlkDriver,
  job: ResolvedJob,
  vcpu: number,
): Promise<JobReport> {
  return new FuzzJob(bus, drv, job, vcpu).run();
}
