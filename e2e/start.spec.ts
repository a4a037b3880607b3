// `npm start` as the README's first command runs it: this test starts it itself (never a server
// it did not start), opens the URL it prints, and checks that the page is cross-origin isolated,
// that the demo machine boots, that a pool worker starts and serves a write and a read, and
// that "Show me" answers.
// Then SIGTERM to npm must leave none of its processes behind.

import { fileURLToPath } from 'node:url';
import { expect, test as base } from './fixtures.ts';
import { npmStart, type NpmStart } from '../scripts/npm-start.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const test = base.extend<{ started: NpmStart }>({
  started: async ({}, use) => {
    const server = npmStart(ROOT);
    try {
      await use(server);
    } finally {
      // Every path, a failed or timed-out test included; a no-op after the test's own stop().
      await server.stop();
    }
  },
});

test('npm start serves a page where a machine boots and a pool worker starts; SIGTERM stops it all', async ({
  page,
  started,
}) => {
  // A cold first build, on a machine the other tests may have loaded.
  test.setTimeout(180_000);
  const url = await started.url;
  await page.goto(url);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.getByRole('status', { name: 'machine status' })).toContainText(
    '4 vCPUs on image "default", policy bh, max 64 threads, AIO batched — running',
  );
  const completed = page.getByRole('table', { name: 'disk' }).locator('[data-stat="ops"]');
  await expect.poll(async () => Number(await completed.textContent())).toBeGreaterThan(0);

  const r = await page.evaluate(async () => {
    const w = window.webaio;
    await w.images.create('npm-start', 1 << 20);
    const b = await w.openBlock('npm-start', { pool: { maxThreads: 4 } });
    try {
      await b.pwrite(4096, new Uint8Array(8192).fill(0x5a));
      const back = await b.pread(0, 16384);
      return {
        zerosBefore: back.subarray(0, 4096).every((v) => v === 0),
        written: back.subarray(4096, 12288).every((v) => v === 0x5a),
        zerosAfter: back.subarray(12288).every((v) => v === 0),
        pool: b.stats().pool,
        states: b.stats().spawns.map((s) => s.state),
      };
    } finally {
      await b.close();
    }
  });
  expect(r).toMatchObject({ zerosBefore: true, written: true, zerosAfter: true });
  expect(r.pool.spawned).toBeGreaterThan(0);
  // Every worker the pool created got to run (none "created" and never started, none lost).
  expect(r.states.length).toBe(r.pool.spawned);
  expect(r.states.filter((s) => s === 'created' || s === 'lost')).toEqual([]);

  // The comparison works here too: Show me answers from the first trial of each policy.
  await page.getByRole('button', { name: 'Show me' }).click();
  await expect(page.locator('.headline')).toContainText('One trial of each so far.', {
    timeout: 60_000,
  });
  await page.getByRole('button', { name: 'Stop refining' }).click();
  await expect(page.locator('.lesson-status')).toContainText('Done: 2 trials', {
    timeout: 60_000,
  });

  await page.close();
  expect(await started.stop(), `npm start printed:\n${started.printed()}`).toEqual([]);
});
