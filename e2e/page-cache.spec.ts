// The page cache (cache=writeback, the default): reads see the newest data before it reaches the
// image, through evictions too; requests on one chunk in flight together never lose each other's
// bytes; and close() and a stopped machine write the cache back before they report done — a
// browser restart then finds everything.

import { expect, test } from './fixtures.ts';

const CHUNK = 32768;
/** One set of the cache: 16 pages (cache-layout.ts CACHE_WAYS), so every chunk competes for them. */
const SMALL_CACHE = 16 * CHUNK;

test('reads see the newest data first, before and after evictions; nothing reached the image until written back', async ({
  app,
}) => {
  const r = await app.evaluate(
    async ({ CHUNK, SMALL_CACHE }) => {
      const SIZE = 4 << 20;
      await window.webaio.images.create('pc-newest', SIZE, { chunkSize: CHUNK });
      const model = new Uint8Array(SIZE);
      let seed = 5;
      const byte = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      const write = (
        b: Awaited<ReturnType<typeof window.webaio.openBlock>>,
        off: number,
        n: number,
      ) => {
        const data = new Uint8Array(n);
        for (let k = 0; k < n; k++) data[k] = byte();
        model.set(data, off);
        return b.pwrite(off, data);
      };
      const mismatches = async (b: Awaited<ReturnType<typeof window.webaio.openBlock>>) => {
        let bad = 0;
        for (let off = 0; off < SIZE; off += 300_000) {
          const got = await b.pread(off, Math.min(300_000, SIZE - off));
          got.forEach((v, k) => (bad += v === model[off + k] ? 0 : 1));
        }
        return bad;
      };
      // A cache far larger than what is written: nothing is evicted, nothing written back.
      const big = await window.webaio.openBlock('pc-newest');
      await Promise.all([0, 1, 2, 3].map((q) => write(big, q * 40_000 + 1000, 30_000)));
      const before = {
        bad: await mismatches(big),
        stored: (await window.webaio.images.info('pc-newest')).actualSize,
        aio: big.stats().aio,
      };
      await big.close();
      // One set of 16 pages over 128 chunks: the writes evict each other, the reads too.
      const small = await window.webaio.openBlock('pc-newest', { pageCacheBytes: SMALL_CACHE });
      for (let round = 0; round < 4; round++) {
        await Promise.all(
          Array.from({ length: 8 }, (_, k) =>
            write(small, ((round * 8 + k) * 131_072) % (SIZE - 70_000), 70_000),
          ),
        );
      }
      const after = { bad: await mismatches(small), aio: small.stats().aio };
      await small.close();
      const reopened = await window.webaio.openBlock('pc-newest');
      const fromImage = await mismatches(reopened);
      await reopened.close();
      return { before, after, fromImage };
    },
    { CHUNK, SMALL_CACHE },
  );
  // Before: every byte read came from the cache; the image holds nothing yet.
  expect(r.before.bad).toBe(0);
  expect(r.before.stored).toBe(0);
  expect(r.before.aio.page_cache.dirty).toBeGreaterThan(0);
  expect(r.before.aio.page_cache.written_back).toBe(0);
  expect(r.before.aio.page_cache.hits).toBeGreaterThan(0);
  // After: dirty pages were written back to make room, and reads still saw the newest bytes.
  expect(r.after.bad).toBe(0);
  expect(r.after.aio.page_cache.pages).toBe(16);
  expect(r.after.aio.page_cache.evictions).toBeGreaterThan(0);
  expect(r.after.aio.page_cache.written_back).toBeGreaterThan(0);
  expect(r.fromImage).toBe(0);
});

for (const [mode, opts] of [
  ['page cache, one set', { pageCacheBytes: SMALL_CACHE }],
  ['page cache', {}],
  ['no page cache', { aio: { pageCache: false } }],
  ['faithful', { aio: { batch: 1, merge: false, pageCache: false, pollUs: 0 } }],
] as const) {
  test(`${mode}: every sector of a chunk written at once by separate requests, none lost`, async ({
    app,
  }) => {
    const r = await app.evaluate(
      async ({ CHUNK, opts }) => {
        const SIZE = 2 << 20;
        await window.webaio.images.create('pc-one-chunk', SIZE, { chunkSize: CHUNK });
        const b = await window.webaio.openBlock('pc-one-chunk', {
          ...opts,
          pool: { maxThreads: 8 },
        });
        const sectors = CHUNK / 512;
        // Chunks 0, 16, 32, ...: the same set of a 16-way cache. In each, a 512-byte write per
        // sector, all in flight at once, with reads of the same chunks among them.
        const chunks = [0, 16, 32, 48];
        const fill = (c: number, s: number) => new Uint8Array(512).fill(((c * 7 + s) % 251) + 1);
        const inflight: Promise<unknown>[] = [];
        for (let s = 0; s < sectors; s++) {
          for (const c of chunks) {
            inflight.push(b.pwrite(c * CHUNK + s * 512, fill(c, s)));
            if (s % 8 === 0) inflight.push(b.pread(c * CHUNK, CHUNK));
          }
        }
        await Promise.all(inflight);
        const check = async (x: typeof b) => {
          let bad = 0;
          for (const c of chunks) {
            const got = await x.pread(c * CHUNK, CHUNK);
            for (let s = 0; s < sectors; s++) {
              const want = fill(c, s)[0];
              if (got.subarray(s * 512, s * 512 + 512).some((v) => v !== want)) bad++;
            }
          }
          return bad;
        };
        const lost = await check(b);
        await b.close();
        const again = await window.webaio.openBlock('pc-one-chunk');
        const lostAfterClose = await check(again);
        await again.close();
        return { lost, lostAfterClose, written: sectors * chunks.length };
      },
      { CHUNK, opts },
    );
    expect(r.written).toBe(256);
    expect(r.lost).toBe(0);
    expect(r.lostAfterClose).toBe(0);
  });
}

test('close() writes the page cache back before it resolves: a browser restart finds every byte', async ({
  profile,
}) => {
  let page = await profile.open();
  const dirty = await page.evaluate(async () => {
    await window.webaio.images.create('pc-close', 1 << 20);
    const b = await window.webaio.openBlock('pc-close');
    for (let k = 0; k < 32; k++) await b.pwrite(k * 32768, new Uint8Array(32768).fill(k + 1));
    const { dirty } = b.stats().aio.page_cache;
    await b.close(); // no flush
    return dirty;
  });
  expect(dirty).toBe(32);
  page = await profile.relaunch();
  const bad = await page.evaluate(async () => {
    const b = await window.webaio.openBlock('pc-close');
    let wrong = 0;
    for (let k = 0; k < 32; k++) {
      const got = await b.pread(k * 32768, 32768);
      if (got.some((v) => v !== k + 1)) wrong++;
    }
    await b.close();
    return wrong;
  });
  expect(bad).toBe(0);
});

test('a stopped machine has written its page cache back: after a restart, read-verify finds every sector', async ({
  profile,
}) => {
  test.setTimeout(90_000);
  let page = await profile.open();
  const written = await page.evaluate(async () => {
    await window.webaio.images.create('pc-machine', 8 << 20);
    const m = await window.webaio.createMachine({
      image: 'pc-machine',
      vcpus: 2,
      // No flushes: what the guests wrote is in the page cache until stop().
      jobs: { rw: 'write', bs: 16384, iodepth: 8, verify: true, seed: 31 },
    });
    await m.start();
    const report = await m.done();
    const dirty = m.stats().aio.page_cache.dirty;
    await m.stop();
    const after = m.stats().aio.page_cache.dirty;
    await m.destroy();
    return {
      ios: report.total.ios,
      flushes: report.jobs.reduce((n, j) => n + j.flushes, 0),
      dirty,
      after,
    };
  });
  expect(written.ios).toBe((8 << 20) / 16384);
  expect(written.flushes).toBe(0);
  expect(written.dirty).toBeGreaterThan(0);
  expect(written.after).toBe(0);
  page = await profile.relaunch();
  const verify = await page.evaluate(async () => {
    const m = await window.webaio.createMachine({
      image: 'pc-machine',
      vcpus: 2,
      jobs: { rw: 'read', bs: 65536, iodepth: 4, verify: true, seed: 31 },
    });
    await m.start();
    const report = await m.done();
    await m.destroy();
    return report.total.verify;
  });
  expect(verify).toEqual({ checked: (8 << 20) / 512, errors: 0 });
});
