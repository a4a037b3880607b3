import { describe, expect, it } from 'vitest';
import { checkSector, fillSector, readSector, runIdOf } from './verify.ts';

describe('verify sectors', () => {
  const run = runIdOf(7);
  const sector = () => {
    const words = new Int32Array(128);
    fillSector(words, 0, 1234, run, 3);
    return words;
  };

  it('verify/round-trip: a sector written is the sector read', () => {
    expect(checkSector(sector(), 0, 1234, { kind: 'exact', runId: run, gen: 3 })).toBeNull();
    expect(checkSector(sector(), 0, 1234, { kind: 'run', runId: run })).toBeNull();
    expect(checkSector(sector(), 0, 1234, { kind: 'any' })).toBeNull();
  });

  it('verify/detects: torn, misplaced, foreign, stale and missing sectors', () => {
    const torn = sector();
    torn[77] ^= 1;
    expect(checkSector(torn, 0, 1234, { kind: 'any' })).toMatch(/fails its checksum/);
    expect(checkSector(sector(), 0, 1235, { kind: 'any' })).toMatch(/holds sector 1234's data/);
    expect(checkSector(sector(), 0, 1234, { kind: 'run', runId: runIdOf(8) })).toMatch(
      /written by run/,
    );
    expect(checkSector(sector(), 0, 1234, { kind: 'exact', runId: run, gen: 4 })).toMatch(
      /generation 3, expected 4/,
    );
    const zeros = new Int32Array(128);
    expect(checkSector(zeros, 0, 1234, { kind: 'run', runId: run })).toMatch(/reads as zeros/);
    expect(checkSector(zeros, 0, 1234, { kind: 'any' })).toBeNull();
  });

  it('verify/read: what a sector holds, a torn one (halves of two writes) foreign', () => {
    expect(readSector(sector(), 0, 1234)).toEqual({ kind: 'written', runId: run, gen: 3 });
    expect(readSector(new Int32Array(128), 0, 1234)).toEqual({ kind: 'zero' });
    expect(readSector(sector(), 0, 99)).toEqual({ kind: 'misplaced', claimed: 1234 });
    const torn = sector();
    const other = new Int32Array(128);
    fillSector(other, 0, 1234, run, 4);
    torn.set(other.subarray(64), 64);
    expect(readSector(torn, 0, 1234)).toEqual({ kind: 'foreign' });
  });
});
