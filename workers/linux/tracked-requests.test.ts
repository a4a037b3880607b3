import { describe, expect, it } from 'vitest';
import { Rng } from '../../app/shared/guest/rng.ts';
import { mustWait, TrackedRequests, type Tracked, type TrackedOp } from './tracked-requests.ts';

const SECTOR = 512;
const DISK_SECTORS = 64;

interface Req extends Tracked {
  id: number;
  /** A write's generation (its id); a read's expectation: each sector's latest earlier write. */
  expect: Int32Array;
}

describe('IDE tracked requests', () => {
  it('tracked/overlap-rules: writes serialise with what they overlap, reads do not, flush waits for writes', () => {
    const r = (op: TrackedOp, sector: number, sectors: number): Tracked => ({
      op,
      byteOffset: sector * SECTOR,
      nbytes: sectors * SECTOR,
    });
    expect(mustWait(r('read', 0, 8), r('read', 4, 8))).toBe(false);
    expect(mustWait(r('write', 0, 8), r('read', 4, 8))).toBe(true);
    expect(mustWait(r('read', 0, 8), r('write', 4, 8))).toBe(true);
    expect(mustWait(r('write', 0, 8), r('write', 8, 8))).toBe(false);
    expect(mustWait(r('write', 0, 8), r('flush', 0, 0))).toBe(true);
    expect(mustWait(r('read', 0, 8), r('flush', 0, 0))).toBe(false);
    expect(mustWait(r('flush', 0, 0), r('write', 0, 8))).toBe(false);
  });

  it('tracked/waiting-request-blocks-later: order holds through a request still waiting', () => {
    const t = new TrackedRequests<Tracked>();
    const w1 = { op: 'write', byteOffset: 0, nbytes: 4096 } as const;
    const w2 = { op: 'write', byteOffset: 2048, nbytes: 4096 } as const;
    const r3 = { op: 'read', byteOffset: 4096, nbytes: 512 } as const;
    expect(t.add(w1)).toBe(true);
    expect(t.add(w2)).toBe(false);
    // r3 overlaps only w2, which has not even started: it must wait for w2 all the same.
    expect(t.add(r3)).toBe(false);
    expect(t.complete(w1)).toEqual([w2]);
    expect(t.complete(w2)).toEqual([r3]);
    expect(t.complete(r3)).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('tracked/random-order-equals-guest-order: seeded runs, completions in random order', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Rng(seed);
      const t = new TrackedRequests<Req>();
      // The disk as the pool leaves it: each sector's generation (a write's id).
      const disk = new Int32Array(DISK_SECTORS);
      // The disk as guest order says it is after every request added so far.
      const model = new Int32Array(DISK_SECTORS);
      // What every completed write made durable when a flush started: none may be missing.
      const completedWrites = new Set<number>();
      const addedWrites: number[] = [];
      let started: Req[] = [];
      let id = 0;
      let checked = 0;
      const start = (r: Req) => {
        // Nothing it must wait for is running, nor anything that must wait for it: overlapping
        // writes never run at once.
        for (const s of started) {
          expect(s.id < r.id ? mustWait(s, r) : mustWait(r, s)).toBe(false);
        }
        if (r.op === 'flush') {
          const before = addedWrites.filter((w) => w < r.id);
          for (const w of before) expect(completedWrites.has(w)).toBe(true);
        }
        started.push(r);
      };
      for (let step = 0; step < 400; step++) {
        if (started.length > 0 && rng.next() < 0.45) {
          // The pool finishes one of the running requests, any of them.
          const r = started[rng.int(started.length)];
          started = started.filter((s) => s !== r);
          const first = r.byteOffset / SECTOR;
          for (let s = 0; s < r.nbytes / SECTOR; s++) {
            if (r.op === 'write') disk[first + s] = r.id;
            else if (r.op === 'read') {
              expect(disk[first + s]).toBe(r.expect[s]);
              checked++;
            }
          }
          if (r.op === 'write') completedWrites.add(r.id);
          for (const n of t.complete(r)) start(n);
          continue;
        }
        const pick = rng.next();
        const op: TrackedOp = pick < 0.45 ? 'read' : pick < 0.9 ? 'write' : 'flush';
        const first = rng.int(DISK_SECTORS);
        const sectors = op === 'flush' ? 0 : 1 + rng.int(Math.min(8, DISK_SECTORS - first));
        const r: Req = {
          id: ++id,
          op,
          byteOffset: op === 'flush' ? 0 : first * SECTOR,
          nbytes: sectors * SECTOR,
          expect: new Int32Array(sectors),
        };
        for (let s = 0; s < sectors; s++) {
          if (op === 'read') r.expect[s] = model[first + s];
          if (op === 'write') model[first + s] = r.id;
        }
        if (op === 'write') addedWrites.push(r.id);
        if (t.add(r)) start(r);
      }
      // Drain: everything completes, and the disk is what guest order says.
      while (started.length > 0) {
        const r = started.shift() as Req;
        const first = r.byteOffset / SECTOR;
        for (let s = 0; s < r.nbytes / SECTOR; s++) {
          if (r.op === 'write') disk[first + s] = r.id;
          else if (r.op === 'read') expect(disk[first + s]).toBe(r.expect[s]);
        }
        if (r.op === 'write') completedWrites.add(r.id);
        for (const n of t.complete(r)) start(n);
      }
      expect(t.size).toBe(0);
      expect([...disk]).toEqual([...model]);
      expect(checked).toBeGreaterThan(0);
    }
  });
});
