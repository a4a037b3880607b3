// A flush keeps its promise across a power cut: the profile lives on lazyfs, whose data is lost
// unless fsynced; several cuts on one profile, in writeback and writethrough, and after each
// reboot every acknowledged write is there, whole and in its place. With cache=unsafe (flush
// does nothing) the same test finds losses: it has teeth.

import { expect, test } from './fixtures.ts';
import { lazyfsMissing } from '../scripts/lazyfs.ts';
import { runPowerCuts, type PowerCutPattern } from '../scripts/power-cut.ts';

const CUTS = Number(process.env.WEBAIO_POWER_CUTS ?? 3);

for (const pattern of ['writeback', 'writethrough'] as PowerCutPattern[]) {
  test(`power cut (${pattern}): ${CUTS} cuts, every write a completed flush covered is intact`, async ({
    baseURL,
  }) => {
    const missing = lazyfsMissing();
    expect(
      missing,
      'lazyfs needs python3-llfuse and fuse3 (.ci/run installs them)',
    ).toBeUndefined();
    test.setTimeout(30_000 + CUTS * 20_000);
    const r = await runPowerCuts({
      baseURL: baseURL ?? '',
      pattern,
      cuts: CUTS,
      seed: 7,
      log: (m) => console.log(m),
    });
    expect(r.cuts.reduce((n, c) => n + c.flushedBatches, 0)).toBeGreaterThan(0);
    for (const c of r.cuts) expect(c.examples, `cut ${c.cut}`).toEqual([]);
  });
}

test(`power cut (unsafe): the same check finds the writes a flush did not make durable`, async ({
  baseURL,
}) => {
  expect(lazyfsMissing()).toBeUndefined();
  test.setTimeout(30_000 + 2 * 20_000);
  const r = await runPowerCuts({ baseURL: baseURL ?? '', pattern: 'unsafe', cuts: 2, seed: 7 });
  expect(r.cutsWithLoss).toBeGreaterThan(0);
});
