import { describe, expect, it } from 'vitest';
import { BlockOp, type BlockRequest } from '../block/block.ts';
import { createControl } from '../layout/layout.ts';
import { SlotState } from '../block/slot-layout.ts';
import { vcpuCounter, vcpuHistogram, type VcpuCounter } from '../machine/vcpu-layout.ts';
import {
  BlkStatus,
  BlkType,
  DESC_SIZE,
  DescFlag,
  GuestMemory,
  Mmio,
  segMaxFor,
  VRING_USED_F_NO_NOTIFY,
} from './virtio.ts';
import { BlkDriver, STATUS_NONE, type Bus, type RawDesc } from '../../../workers/guest/driver.ts';
import { VirtioBlk } from './virtio-blk.ts';

const RAM = 1 << 20;
const DISK = 1 << 20;
const QUEUE = 16;

/** A device and a guest driver on one thread, the block layer replaced by a list. */
function rig() {
  const ctl = createControl({
    nslots: QUEUE,
    maxIov: segMaxFor(QUEUE),
    nrecords: 256,
    nvcpus: 1,
    cachePages: 0,
    diskChunks: 0,
  });
  const mem = new GuestMemory(new SharedArrayBuffer(RAM));
  const submitted: { slot: number; req: BlockRequest }[] = [];
  /** Request counts of each call of the block layer's submit (one per exit with requests). */
  const batches: number[] = [];
  const device = new VirtioBlk(
    ctl,
    mem,
    0,
    { virtualSize: DISK, id: new TextEncoder().encode('disk-under-test') },
    QUEUE,
    segMaxFor(QUEUE),
    (reqs) => {
      batches.push(reqs.length);
      for (const { slot, req } of reqs) {
        Atomics.store(ctl.i32, ctl.L.slot.state.at(slot), SlotState.QUEUED);
        submitted.push({ slot, req });
      }
    },
  );
  const bus: Bus = {
    mmioRead: (reg) => device.mmioRead(reg),
    mmioWrite: (reg, value) => {
      device.mmioWrite(reg, value);
      return 0;
    },
    halt: () => Promise.resolve(),
    shouldStop: () => false,
    progress: () => {},
  };
  const drv = new BlkDriver(bus, mem, 0, RAM, QUEUE);
  const counter = (name: VcpuCounter) => Atomics.load(ctl.i32, vcpuCounter(ctl, 0, name));
  const submit = (type: number, sector: number, data: RawDesc[]) => {
    const id = drv.allocId();
    if (id === undefined) throw new Error('no free id');
    drv.submit(id, type, sector, data);
    return id;
  };
  return { ctl, mem, device, drv, submitted, batches, counter, submit };
}

const buffer = (r: ReturnType<typeof rig>, nbytes: number, write: boolean) =>
  (r.drv.allocBuffer(nbytes) ?? []).map((d) => ({ ...d, write }));

describe('virtio-blk device', () => {
  it("virtio-blk/valid: a read and a write reach the block layer with the guest's pages", () => {
    const r = rig();
    const read = buffer(r, 8192, true);
    r.submit(BlkType.IN, 8, read);
    const write = buffer(r, 4096, false);
    r.submit(BlkType.OUT, 100, write);
    expect(r.submitted.map((s) => s.req)).toEqual([
      { op: BlockOp.READ, byteOffset: 4096, nbytes: 8192, iov: read.map((d) => [d.addr, d.len]) },
      {
        op: BlockOp.WRITE,
        byteOffset: 51200,
        nbytes: 4096,
        iov: write.map((d) => [d.addr, d.len]),
      },
    ]);
    expect(r.counter('submitted')).toBe(2);
    expect(r.counter('exits')).toBe(2);
    // Nothing was answered yet: the pool has the requests.
    expect(r.drv.reap()).toEqual([]);
  });

  it('virtio-blk/refused: each malformed request gets its error status and reaches nothing', () => {
    const r = rig();
    const ok = () => buffer(r, 4096, true);
    const cases: [string, number, number, RawDesc[], number, VcpuCounter][] = [
      [
        'outside RAM',
        BlkType.IN,
        0,
        [{ addr: RAM - 256, len: 512, write: true }],
        BlkStatus.IOERR,
        'invalidRd',
      ],
      [
        'length not a multiple of 512',
        BlkType.IN,
        0,
        [{ ...ok()[0], len: 500 }],
        BlkStatus.IOERR,
        'invalidRd',
      ],
      [
        'past the end',
        BlkType.OUT,
        DISK / 512 - 1,
        buffer(r, 4096, false),
        BlkStatus.IOERR,
        'invalidWr',
      ],
      ['unknown type', 99, 0, ok(), BlkStatus.UNSUPP, 'unsupported'],
      ['zero segments', BlkType.IN, 0, [], BlkStatus.IOERR, 'invalidRd'],
      [
        'too many segments',
        BlkType.IN,
        0,
        Array.from({ length: segMaxFor(QUEUE) + 1 }, () => ({ ...ok()[0], len: 512 })),
        BlkStatus.IOERR,
        'invalidRd',
      ],
      [
        'read into a readable buffer',
        BlkType.IN,
        0,
        buffer(r, 4096, false),
        BlkStatus.IOERR,
        'invalidRd',
      ],
    ];
    for (const [, type, sector, data] of cases) r.submit(type, sector, data);
    const done = r.drv.reap();
    expect(done.map((c) => c.status)).toEqual(cases.map((c) => c[4]));
    expect(done.every((c) => c.len === 1)).toBe(true);
    expect(r.submitted).toEqual([]);
    expect(r.counter('invalidRd')).toBe(5);
    expect(r.counter('invalidWr')).toBe(1);
    expect(r.counter('unsupported')).toBe(1);
    // The interrupt line was raised for them.
    expect(r.device.mmioRead(Mmio.INTERRUPT_STATUS)).toBe(1);
  });

  it('virtio-blk/get-id: the device answers with the image name at once', () => {
    const r = rig();
    const buf = buffer(r, 512, true);
    r.submit(BlkType.GET_ID, 0, [{ ...buf[0], len: 20 }]);
    const [c] = r.drv.reap();
    expect(c.status).toBe(BlkStatus.OK);
    expect(new TextDecoder().decode(r.mem.bytes.subarray(buf[0].addr, buf[0].addr + 15))).toBe(
      'disk-under-test',
    );
  });

  it('virtio-blk/discard-write-zeroes: one range, checked against the disk', () => {
    const r = rig();
    const range = buffer(r, 512, false);
    const put = (sector: number, sectors: number) => {
      r.mem.setU64(range[0].addr, sector);
      r.mem.setU32(range[0].addr + 8, sectors);
    };
    put(16, 8);
    r.submit(BlkType.DISCARD, 0, [{ ...range[0], len: 16 }]);
    expect(r.submitted[0].req).toEqual({
      op: BlockOp.DISCARD,
      byteOffset: 8192,
      nbytes: 4096,
      iov: [],
    });
    put(DISK / 512 - 4, 8);
    r.submit(BlkType.WRITE_ZEROES, 0, [{ ...range[0], len: 16 }]);
    expect(r.drv.reap().map((c) => c.status)).toEqual([BlkStatus.IOERR]);
    expect(r.counter('invalidWr')).toBe(1);
  });

  it('virtio-blk/broken-chains: a loop or a head already in flight never crashes the device', () => {
    const r = rig();
    // A head in flight, submitted again.
    const id = r.submit(BlkType.IN, 0, buffer(r, 512, true));
    const availIdx = r.mem.loadIdx(r.ctl.i32[r.ctl.L.vcpu.qAvail.at(0)] + 2);
    const avail = r.ctl.i32[r.ctl.L.vcpu.qAvail.at(0)];
    r.mem.setU16(avail + 4 + 2 * (availIdx % QUEUE), id);
    r.mem.storeIdx(avail + 2, availIdx + 1);
    r.device.mmioWrite(Mmio.QUEUE_NOTIFY, 0);
    expect(r.counter('broken')).toBe(1);
    expect(r.submitted).toHaveLength(1);

    // A chain whose indirect table loops: descriptor 0 -> 1 -> 0 -> ...
    const descTable = r.ctl.i32[r.ctl.L.vcpu.qDesc.at(0)];
    const fresh = r.drv.allocId() ?? 0;
    const [page] = buffer(r, 4096, false);
    const table = page.addr;
    r.mem.setU64(table, page.addr + 1024);
    r.mem.setU32(table + 8, 16);
    r.mem.setU16(table + 12, DescFlag.NEXT | DescFlag.WRITE);
    r.mem.setU16(table + 14, 1);
    r.mem.setU64(table + DESC_SIZE, page.addr + 2048);
    r.mem.setU32(table + DESC_SIZE + 8, 512);
    r.mem.setU16(table + DESC_SIZE + 12, DescFlag.NEXT | DescFlag.WRITE);
    r.mem.setU16(table + DESC_SIZE + 14, 0);
    r.mem.setU64(descTable + fresh * DESC_SIZE, table);
    r.mem.setU32(descTable + fresh * DESC_SIZE + 8, 2 * DESC_SIZE);
    r.mem.setU16(descTable + fresh * DESC_SIZE + 12, DescFlag.INDIRECT);
    r.mem.setU8(r.drv.statusAddr(fresh), STATUS_NONE);
    const idx = r.mem.loadIdx(avail + 2);
    r.mem.setU16(avail + 4 + 2 * (idx % QUEUE), fresh);
    r.mem.storeIdx(avail + 2, idx + 1);
    r.device.mmioWrite(Mmio.QUEUE_NOTIFY, 0);
    const answered = r.drv.reap();
    const looped = answered.find((c) => c.id === fresh);
    expect(looped?.status).toBe(STATUS_NONE); // no status byte could be trusted
    expect(looped?.len).toBe(0);
    expect(r.device.lastRefusal).toMatch(/loops/);
  });

  it('virtio-blk/one-kick: requests made available together are drained by one exit, in order', () => {
    const r = rig();
    const ids: number[] = [];
    for (let k = 0; k < QUEUE; k++) {
      const id = r.drv.allocId() ?? -1;
      r.drv.add(id, BlkType.IN, k * 8, buffer(r, 4096, true));
      ids.push(id);
    }
    expect(r.counter('exits')).toBe(0);
    r.drv.kick();
    expect(r.counter('exits')).toBe(1);
    expect(r.counter('popped')).toBe(QUEUE);
    expect(r.batches).toEqual([QUEUE]);
    expect(r.submitted.map((s) => s.slot)).toEqual(ids);
    expect(r.submitted.map((s) => s.req.byteOffset)).toEqual(ids.map((_, k) => k * 4096));
    const perExit = vcpuHistogram(r.ctl, 0, 'exitRequests').summary();
    expect([perExit.count, perExit.max]).toEqual([1, QUEUE]);
    // Nothing new: no doorbell write at all.
    r.drv.kick();
    expect(r.counter('exits')).toBe(1);
  });

  it('virtio-blk/no-notify: a request added while the device drains is picked up by its re-check, not a kick', () => {
    const r = rig();
    const first = r.drv.allocId() ?? -1;
    const firstBuf = buffer(r, 4096, true);
    r.drv.add(first, BlkType.IN, 0, firstBuf);
    // Another guest CPU adds a request while the device walks the first one's descriptors.
    const late = r.drv.allocId() ?? -1;
    const lateBuf = buffer(r, 4096, true);
    let flagsSeen = -1;
    const u64 = r.mem.u64.bind(r.mem);
    // The device reads the first request's sector from its header: that is mid-drain.
    const header = r.drv.statusAddr(first) - 16;
    r.mem.u64 = (addr: number) => {
      if (flagsSeen === -1 && addr === header + 8) {
        flagsSeen = r.mem.loadIdx(r.ctl.i32[r.ctl.L.vcpu.qUsed.at(0)]);
        r.drv.add(late, BlkType.IN, 8, lateBuf);
        r.drv.kick();
      }
      return u64(addr);
    };
    r.drv.kick();
    expect(flagsSeen).toBe(VRING_USED_F_NO_NOTIFY);
    expect(r.drv.kicksSuppressed).toBe(1);
    expect(r.counter('exits')).toBe(1);
    expect(r.counter('rechecks')).toBe(1);
    expect(r.submitted.map((s) => s.slot)).toEqual([first, late]);
    expect(r.batches).toEqual([2]);
    // Notifications are on again once the exit returns.
    expect(r.mem.loadIdx(r.ctl.i32[r.ctl.L.vcpu.qUsed.at(0)])).toBe(0);
  });
});
