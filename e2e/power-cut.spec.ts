// A flush keeps its promise across a power cut: the profile lives on lazyfs, whose data is lost
// unless fsynced; several cuts on one profile, in writeback and writethrough, and after each
// reboot every acknowledged write is there, whole and in its place. With cache=unsafe (flush
// does nothing) the same check finds losses: it has teeth. Longer campaigns, and plain
// IndexedDB patterns to compare: `npm run bench -- --scenario power-cut` (docs/durability.md).

import { expect, test } from './fixtures.ts';
import { lazyfsMissing } from '../scripts/lazyfs.ts';
import { badSectors, runCuts } from '../scripts/power-cut.ts';

const CUTS = 3;

// No Playwright trace: these browsers are killed on purpose, and a killed browser's trace can
// be neither stopped nor saved; the runner stopping it on a browser still dying as the test
// ended failed a CI run. The log lines say what each cut found.
test.use({ trace: 'off' });

test.beforeEach(() => {
  expect(lazyfsMissing(), 'lazyfs needs python3-llfuse and fuse3 (.ci/run installs them)').toBe(
    undefined,
  );
});

for (const pattern of ['writeback', 'writethrough'] as const) {
  test(`power cut (${pattern}): ${CUTS} cuts, every write a completed flush covered is intact`, async ({
    baseURL,
  }) => {
    test.setTimeout(30_000 + CUTS * 20_000);
    const r = await runCuts({
      baseURL: baseURL ?? '',
      pattern,
      cut: 'power',
      cuts: CUTS,
      seed: 7,
      log: (line) => console.log(line),
    });
    for (const c of r.cuts) {
      expect(c.flushedBatches, `cut ${c.cut}: batches flushed before it`).toBeGreaterThan(0);
      expect(c.examples, `cut ${c.cut}`).toEqual([]);
    }
  });
}

test('power cut (unsafe): the same check finds the writes a flush did not make durable', async ({
  baseURL,
}) => {
  test.setTimeout(30_000 + 2 * 20_000);
  const r = await runCuts({
    baseURL: baseURL ?? '',
    pattern: 'unsafe',
    cut: 'power',
    cuts: 2,
    seed: 7,
    log: (line) => console.log(line),
  });
  expect(r.cuts.map(badSectors).some((n) => n > 0)).toBe(true);
  expect(r.cutsWithLoss).toBeGreaterThan(0);
});
