// Self-describing sectors (cf. fio's verify): each 512-byte sector carries a magic, its own
// sector number, the run id of the job that wrote it, a per-run generation, a checksum, and a
// payload derived from all of these. Any read can then tell a good sector from a torn, stale,
// misplaced or corrupted one.

import { hash32 } from '../../app/shared/guest/rng.ts';

export const SECTOR_MAGIC = 0x56494157; // "WAIV"
const WORDS = 128;
const W = {
  magic: 0,
  sectorLo: 1,
  sectorHi: 2,
  runId: 3,
  gen: 4,
  checksum: 5,
  payload: 6,
} as const;

/** The run id of a job's seed: what its sectors say, and what a later read-only job expects. */
export const runIdOf = (seed: number) => hash32(seed, 0x5eed) | 1;

function checksum(words: Int32Array, base: number): number {
  let c = 0x9e3779b9;
  for (let k = 0; k < WORDS; k++) {
    if (k !== W.checksum) c = Math.imul(c ^ words[base + k], 0x85ebca6b) ^ (c >>> 13);
  }
  return c | 0;
}

/** Write one sector at word index `base` of `words` (a 4-byte-aligned view of guest RAM). */
export function fillSector(
  words: Int32Array,
  base: number,
  sector: number,
  runId: number,
  gen: number,
): void {
  words[base + W.magic] = SECTOR_MAGIC;
  words[base + W.sectorLo] = sector % 2 ** 32;
  words[base + W.sectorHi] = Math.floor(sector / 2 ** 32);
  words[base + W.runId] = runId;
  words[base + W.gen] = gen;
  let x = hash32(sector, runId, gen) | 1;
  for (let k = W.payload; k < WORDS; k++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[base + k] = x;
  }
  words[base + W.checksum] = checksum(words, base);
}

/** What a reader knows about a sector. */
export type Expectation =
  /** This job wrote it: exactly that run and generation. */
  | { kind: 'exact'; runId: number; gen: number }
  /** A read-only job over a region an earlier job with this run id wrote. */
  | { kind: 'run'; runId: number }
  /** Unknown history: zeros, or any well-formed sector for this sector number. */
  | { kind: 'any' };

/** What a sector holds, read without expectations. */
export type SectorContent =
  | { kind: 'zero' }
  | { kind: 'foreign' } // not a verify sector, or one whose checksum fails: torn or corrupted
  | { kind: 'misplaced'; claimed: number }
  | { kind: 'written'; runId: number; gen: number };

/** Read the sector at word index `base` of `words`, sector number `sector`. */
export function readSector(words: Int32Array, base: number, sector: number): SectorContent {
  let zero = true;
  for (let k = 0; k < WORDS && zero; k++) zero = words[base + k] === 0;
  if (zero) return { kind: 'zero' };
  if (words[base + W.magic] !== SECTOR_MAGIC) return { kind: 'foreign' };
  const claimed = (words[base + W.sectorLo] >>> 0) + (words[base + W.sectorHi] >>> 0) * 2 ** 32;
  if (words[base + W.checksum] !== checksum(words, base)) return { kind: 'foreign' };
  if (claimed !== sector) return { kind: 'misplaced', claimed };
  return { kind: 'written', runId: words[base + W.runId] >>> 0, gen: words[base + W.gen] >>> 0 };
}

/** Why the sector at `base` does not meet `expect`, or null if it does. */
export function checkSector(
  words: Int32Array,
  base: number,
  sector: number,
  expect: Expectation,
): string | null {
  const c = readSector(words, base, sector);
  switch (c.kind) {
    case 'zero':
      return expect.kind === 'any' ? null : `sector ${sector} reads as zeros (never written?)`;
    case 'foreign':
      return words[base + W.magic] !== SECTOR_MAGIC
        ? `sector ${sector} has no verify header`
        : `sector ${sector} fails its checksum`;
    case 'misplaced':
      return `sector ${sector} holds sector ${c.claimed}'s data`;
  }
  if (expect.kind === 'any') return null;
  if (c.runId !== expect.runId >>> 0) {
    return `sector ${sector} was written by run ${c.runId.toString(16)}, expected ${(expect.runId >>> 0).toString(16)}`;
  }
  if (expect.kind === 'exact' && c.gen !== expect.gen >>> 0) {
    return `sector ${sector} is generation ${c.gen}, expected ${expect.gen} (a lost or reordered write)`;
  }
  return null;
}
