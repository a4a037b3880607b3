// Crashes and power cuts, counted. A persistent browser profile; batches of self-describing
// sectors (the guest's verify format, workers/guest/verify.ts) written through WebAIO at random
// places, each batch followed by a flush; at a random moment the browser is killed (SIGKILL to
// all its processes) or the power goes (the profile is on lazyfs, whose unsynced data the cut
// throws away, then the browser is killed). After each restart every sector is read back and
// judged: a sector a completed flush covered must hold that write or a newer one, whole, and its
// own. Used by e2e/power-cut.spec.ts (a few cuts) and `npm run bench -- --scenario power-cut`.

import type { Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadline } from '../app/shared/sync/deadline.ts';
import { Rng } from '../app/shared/guest/rng.ts';
import { fillSector, readSector } from '../workers/guest/verify.ts';
import { installCutPage, type CutPattern } from './cut-writers.ts';
import { BrowserProfile } from './browser-profile.ts';
import { LazyFs } from './lazyfs.ts';

/** A browser crash (every process SIGKILLed), or a power cut (unsynced data lost, then that). */
export type CutKind = 'kill' | 'power';

export interface CutOptions {
  baseURL: string;
  pattern: CutPattern;
  cut: CutKind;
  cuts: number;
  seed?: number;
  /** Sectors of the region written (default 4096: 2 MiB). */
  sectors?: number;
  /** Writes per batch (at most; overlapping ones are dropped), each 1..maxSectors sectors. */
  batch?: number;
  maxSectors?: number;
  /** The cut comes this long (ms, drawn uniformly) after the boot's first batch was flushed. */
  cutAfterMs?: [number, number];
  /** Where the profile goes (default: the system's temporary directory). */
  tmp?: string;
  log?: (message: string) => void;
}

export interface CutResult {
  cut: number;
  /** Batches whose flush completed before the cut, and the writes they held. */
  flushedBatches: number;
  flushedWrites: number;
  /** Sectors checked after the restart, and what was wrong with them. */
  checked: number;
  lost: number;
  torn: number;
  misplaced: number;
  phantom: number;
  /** The first few problems, as sentences. */
  examples: string[];
}

export interface CutsResult {
  pattern: CutPattern;
  cut: CutKind;
  cuts: CutResult[];
  /** Cuts after which at least one acknowledged write was missing or damaged. */
  cutsWithLoss: number;
}

/** The longest wait for a boot's first flushed batch. */
const FIRST_BATCH_MS = 30_000;

export const badSectors = (r: CutResult) => r.lost + r.torn + r.misplaced + r.phantom;

const SECTOR_BYTES = 512;
const WORDS = SECTOR_BYTES / 4;
/** The run id every sector of these runs carries; the generation tells the writes apart. */
const RUN_ID = 0x0c07;

/** Sectors first..first+n-1 as written by generation `gen` (from 1). */
function sectorsOf(first: number, n: number, gen: number): Uint8Array {
  const words = new Int32Array(n * WORDS);
  for (let k = 0; k < n; k++) fillSector(words, k * WORDS, first + k, RUN_ID, gen);
  return new Uint8Array(words.buffer);
}

/** What each sector of the region holds: a generation (0: zeros), or torn or misplaced. */
function contentsOf(bytes: Uint8Array): (number | 'torn' | 'misplaced')[] {
  const words = new Int32Array(bytes.slice().buffer);
  return Array.from({ length: bytes.byteLength / SECTOR_BYTES }, (_, s) => {
    const c = readSector(words, s * WORDS, s);
    if (c.kind === 'zero') return 0;
    if (c.kind === 'misplaced') return 'misplaced';
    return c.kind === 'written' && c.runId === RUN_ID ? c.gen : 'torn';
  });
}

/** What the run knows of each sector, and the judgement after a restart. */
class Ledger {
  /** The floor of each sector: a generation it must hold at least (acknowledged, or seen). */
  private readonly floor: Int32Array;
  /** Every generation ever written to each sector (a survivor must be one of them). */
  private readonly written: Set<number>[];

  constructor(sectors: number) {
    this.floor = new Int32Array(sectors);
    this.written = Array.from({ length: sectors }, () => new Set([0]));
  }

  issued(first: number, n: number, gen: number): void {
    for (let s = first; s < first + n; s++) this.written[s].add(gen);
  }

  /** The batch's flush completed: its writes must survive. */
  acknowledged(writes: readonly [number, number, number][]): void {
    for (const [first, n, gen] of writes) {
      for (let s = first; s < first + n; s++) this.floor[s] = Math.max(this.floor[s], gen);
    }
  }

  judge(
    cut: number,
    gens: readonly (number | 'torn' | 'misplaced')[],
    flushed: [number, number],
  ): CutResult {
    const r: CutResult = {
      cut,
      flushedBatches: flushed[0],
      flushedWrites: flushed[1],
      checked: gens.length,
      lost: 0,
      torn: 0,
      misplaced: 0,
      phantom: 0,
      examples: [],
    };
    gens.forEach((g, s) => {
      let why: string | undefined;
      if (g === 'torn') {
        r.torn++;
        why = `sector ${s} is torn`;
      } else if (g === 'misplaced') {
        r.misplaced++;
        why = `sector ${s} holds another sector's data`;
      } else if (!this.written[s].has(g)) {
        r.phantom++;
        why = `sector ${s} holds generation ${g}, never written there`;
      } else {
        if (g < this.floor[s]) {
          r.lost++;
          why = `sector ${s} holds generation ${g}, older than acknowledged ${this.floor[s]}`;
        }
        // What it holds now is what later cuts must keep (a loss is counted once).
        this.floor[s] = g;
      }
      if (why && r.examples.length < 5) r.examples.push(why);
    });
    return r;
  }
}

/** Run `cuts` crashes or power cuts on one profile; judge every sector after each restart. */
export async function runCuts(o: CutOptions): Promise<CutsResult> {
  const sectors = o.sectors ?? 4096;
  const batch = o.batch ?? 8;
  const maxSectors = o.maxSectors ?? 64;
  const [cutMin, cutMax] = o.cutAfterMs ?? [300, 1500];
  const log = o.log ?? (() => undefined);
  const rng = new Rng(o.seed ?? 1);
  const tmp = o.tmp ?? tmpdir();
  mkdirSync(tmp, { recursive: true });
  const dir = mkdtempSync(join(tmp, `webaio-${o.cut}-`));
  const fs = o.cut === 'power' ? new LazyFs(dir) : undefined;
  const profile = join(fs?.mountpoint ?? dir, 'profile');
  const browser = new BrowserProfile(profile, o.baseURL, installCutPage);
  const ledger = new Ledger(sectors);
  let gen = 0;
  const results: CutResult[] = [];
  try {
    await fs?.start();
    let page = await browser.open();
    await page.evaluate((n) => window.webaio.images.create('power', n), sectors * SECTOR_BYTES);
    for (let cut = 1; cut <= o.cuts; cut++) {
      let flushedBatches = 0;
      let flushedWrites = 0;
      let running = true;
      let firstFlushed: () => void = () => undefined;
      const flushedOnce = new Promise<void>((resolve) => (firstFlushed = resolve));
      const writer = (async (p: Page) => {
        while (running) {
          // A batch's writes are in flight together, so they must not overlap: which of two
          // overlapping ones lands last is anybody's guess, on a real disk too.
          const writes: [number, number, number][] = [];
          const taken = new Uint8Array(sectors);
          for (let k = 0; k < batch; k++) {
            const n = 1 + rng.int(maxSectors);
            const first = rng.int(sectors - n + 1);
            if (taken.subarray(first, first + n).some(Boolean)) continue;
            taken.fill(1, first, first + n);
            writes.push([first, n, ++gen]);
            ledger.issued(first, n, gen);
          }
          await p.evaluate((a) => window.cutPage.writeBatch(a), {
            pattern: o.pattern,
            writes: writes.map(([first, n, g]): [number, Uint8Array] => [
              first * SECTOR_BYTES,
              sectorsOf(first, n, g),
            ]),
          });
          // Acknowledged: this batch's flush completed before the cut.
          ledger.acknowledged(writes);
          flushedBatches++;
          flushedWrites += writes.length;
          firstFlushed();
        }
      })(page);
      // The cut comes at a random moment after the first batch of this boot was flushed (the
      // first one opens the image too, which takes long on a busy machine).
      const failed = writer.then(() => {
        throw new Error(`${o.pattern}: the writer stopped before the cut`);
      });
      await deadline(
        Promise.race([flushedOnce, failed]),
        FIRST_BATCH_MS,
        `${o.pattern}: the boot's first flushed batch`,
      );
      await new Promise((r) => setTimeout(r, cutMin + rng.int(cutMax - cutMin + 1)));
      running = false;
      await fs?.cut();
      await browser.kill();
      await writer.catch(() => undefined); // the cut ends it mid-batch
      // Restart and judge.
      await fs?.start();
      page = await browser.open();
      const bytes = await page.evaluate((a) => window.cutPage.readRegion(a), {
        pattern: o.pattern,
        bytes: sectors * SECTOR_BYTES,
      });
      const r = ledger.judge(cut, contentsOf(bytes), [flushedBatches, flushedWrites]);
      results.push(r);
      const bad = badSectors(r);
      log(
        `${o.pattern}, ${o.cut} ${cut}/${o.cuts}: ${flushedBatches} batches flushed ` +
          `(${flushedWrites} writes), ${r.checked} sectors checked, ` +
          `${bad ? `${bad} bad sectors: ${r.examples.join('; ')}` : 'all acknowledged data intact'}`,
      );
    }
  } finally {
    await browser.kill().catch(() => undefined);
    await fs?.cut().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    pattern: o.pattern,
    cut: o.cut,
    cuts: results,
    cutsWithLoss: results.filter((r) => badSectors(r) > 0).length,
  };
}
