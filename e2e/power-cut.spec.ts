// A flush keeps its promise however the machine dies: the browser killed (SIGKILL to every
// process), or the power cut (the profile on lazyfs, whose data is lost unless fsynced). Several
// deaths mid-write on one profile, and after each restart every write a completed flush covered
// is there, whole and in its place. With cache=unsafe (flush writes nothing back; the page cache
// lives in the page's memory) the same check finds losses: it has teeth. Longer campaigns:
// `npm run bench -- --scenario power-cut` (docs/durability.md).

import { expect, test } from './fixtures.ts';
import { lazyfsMissing } from '../scripts/lazyfs.ts';
import { badSectors, runCuts, type CutKind } from '../scripts/power-cut.ts';
import type { CutPattern } from '../scripts/cut-writers.ts';

interface Death {
  cut: CutKind;
  name: string;
  /** Deaths in a row on one profile, for each mode in `intact`. */
  cuts: number;
  /** Cache modes whose acknowledged writes must all survive. */
  intact: CutPattern[];
  seed: number;
  /** A restart on lazyfs takes longer than a plain one. */
  startMs: number;
  msPerCut: number;
}

const DEATHS: readonly Death[] = [
  {
    cut: 'kill',
    name: 'crash',
    cuts: 5,
    intact: ['writeback'],
    seed: 11,
    startMs: 20_000,
    msPerCut: 10_000,
  },
  {
    cut: 'power',
    name: 'power cut',
    cuts: 3,
    intact: ['writeback', 'writethrough'],
    seed: 7,
    startMs: 30_000,
    msPerCut: 20_000,
  },
];

// No Playwright trace: these browsers are killed on purpose, and a killed browser's trace can
// be neither stopped nor saved; the runner stopping it on a browser still dying as the test
// ended failed a CI run. The log lines say what each cut found.
test.use({ trace: 'off' });

for (const d of DEATHS) {
  test.describe(d.name, () => {
    if (d.cut === 'power') {
      test.beforeEach(() => {
        expect(
          lazyfsMissing(),
          'lazyfs needs python3-llfuse and fuse3 (.ci/run installs them)',
        ).toBe(undefined);
      });
    }
    const cuts = (baseURL: string | undefined, pattern: CutPattern, n: number) =>
      runCuts({
        baseURL: baseURL ?? '',
        pattern,
        cut: d.cut,
        cuts: n,
        seed: d.seed,
        log: (line) => console.log(line),
      });

    for (const pattern of d.intact) {
      test(`${d.name} (${pattern}): ${d.cuts} mid-write, every write a completed flush covered is intact`, async ({
        baseURL,
      }) => {
        test.setTimeout(d.startMs + d.cuts * d.msPerCut);
        const r = await cuts(baseURL, pattern, d.cuts);
        for (const c of r.cuts) {
          expect(c.flushedBatches, `${d.name} ${c.cut}: batches flushed before it`).toBeGreaterThan(
            0,
          );
          expect(c.examples, `${d.name} ${c.cut}`).toEqual([]);
        }
      });
    }

    test(`${d.name} (unsafe): the same check finds the writes a flush did not make durable`, async ({
      baseURL,
    }) => {
      test.setTimeout(d.startMs + 2 * d.msPerCut);
      const r = await cuts(baseURL, 'unsafe', 2);
      expect(r.cuts.map(badSectors).some((n) => n > 0)).toBe(true);
      expect(r.cutsWithLoss).toBeGreaterThan(0);
    });
  });
}
