// Crash safety: the browser is killed (SIGKILL to every process) in the middle of writing,
// several times on one persistent profile; after each restart every write a completed flush
// covered is intact, no sector is torn and none holds another sector's data. The page cache
// lives in the page's memory, so with cache=unsafe (flush writes nothing back) the same check
// finds losses.

import { expect, test } from './fixtures.ts';
import { badSectors, runCuts } from '../scripts/power-cut.ts';

const KILLS = 5;

// No Playwright trace, as in power-cut.spec.ts: a killed browser's trace cannot be saved.
test.use({ trace: 'off' });

test(`crash (writeback): ${KILLS} kills mid-write, every write a completed flush covered is intact`, async ({
  baseURL,
}) => {
  test.setTimeout(20_000 + KILLS * 10_000);
  const r = await runCuts({
    baseURL: baseURL ?? '',
    pattern: 'writeback',
    cut: 'kill',
    cuts: KILLS,
    seed: 11,
    log: (line) => console.log(line),
  });
  for (const c of r.cuts) {
    expect(c.flushedBatches, `kill ${c.cut}: batches flushed before it`).toBeGreaterThan(0);
    expect(c.examples, `kill ${c.cut}`).toEqual([]);
  }
});

test('crash (unsafe): the same check finds what the page cache still held', async ({ baseURL }) => {
  test.setTimeout(20_000 + 2 * 10_000);
  const r = await runCuts({
    baseURL: baseURL ?? '',
    pattern: 'unsafe',
    cut: 'kill',
    cuts: 2,
    seed: 11,
    log: (line) => console.log(line),
  });
  expect(r.cuts.map(badSectors).some((n) => n > 0)).toBe(true);
});
