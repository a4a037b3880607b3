// Data written through openBlock() is the data read back: random byte ranges across chunk
// boundaries against an in-memory model, read back in other pieces, and again after the
// browser is closed and relaunched on the same persistent profile.

import { expect, test } from './fixtures.ts';

const IMAGE = 'data';
const SIZE = 4 << 20;
const CHUNK = 4096;

test('random writes match a model, survive a browser restart, untouched bytes read as zeros', async ({
  profile,
}) => {
  let page = await profile.open();
  const written = await page.evaluate(
    async ({ IMAGE, SIZE, CHUNK }) => {
      // mulberry32
      let a = 20261127;
      const rand = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const int = (n: number) => Math.floor(rand() * n);
      await window.webaio.images.create(IMAGE, SIZE, { chunkSize: CHUNK });
      const b = await window.webaio.openBlock(IMAGE);
      const model = new Uint8Array(SIZE);
      // Writes stay in the first 3 MiB: the last MiB is never touched. Four at a time are in
      // flight, each in its own quarter of that span, so their order does not matter.
      const quarter = (3 << 20) / 4;
      for (let i = 0; i < 30; i++) {
        const group = [0, 1, 2, 3].map((q) => {
          const len = 1 + int(q === i % 4 ? 70_000 : 9_000);
          const off = q * quarter + int(quarter - len);
          const data = new Uint8Array(len);
          for (let k = 0; k < len; k++) data[k] = int(256);
          model.set(data, off);
          return b.pwrite(off, data);
        });
        await Promise.all(group);
      }
      // Read back in different pieces: odd sizes, unaligned, crossing chunks.
      let mismatches = 0;
      for (let off = 0; off < SIZE;) {
        const len = Math.min(SIZE - off, 1 + int(50_000));
        const got = await b.pread(off, len);
        for (let k = 0; k < len; k++) if (got[k] !== model[off + k]) mismatches++;
        off += len;
      }
      await b.flush();
      const s = b.stats();
      await b.close();
      const info = await window.webaio.images.info(IMAGE);
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', model)));
      return { mismatches, digest, writes: s.wr_operations, flushes: s.flush_operations, info };
    },
    { IMAGE, SIZE, CHUNK },
  );
  expect(written.mismatches).toBe(0);
  expect(written.writes).toBe(120);
  expect(written.flushes).toBe(1);
  expect(written.info.virtualSize).toBe(SIZE);
  // Sparse: the untouched last MiB stores nothing.
  expect(written.info.actualSize).toBeLessThanOrEqual(3 << 20);
  expect(written.info.actualSize).toBeGreaterThan(0);

  page = await profile.relaunch();
  const reread = await page.evaluate(
    async ({ IMAGE, SIZE }) => {
      const b = await window.webaio.openBlock(IMAGE);
      const whole = new Uint8Array(SIZE);
      for (let off = 0; off < SIZE; off += 1 << 20) whole.set(await b.pread(off, 1 << 20), off);
      await b.close();
      const tail = whole.subarray(3 << 20);
      return {
        digest: Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', whole))),
        tailNonZero: tail.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0),
      };
    },
    { IMAGE, SIZE },
  );
  expect(reread.digest).toEqual(written.digest);
  expect(reread.tailNonZero).toBe(0);
});

test('64 concurrent 512-byte writes to distinct sectors of one chunk all survive', async ({
  profile,
}) => {
  const page = await profile.open();
  const r = await page.evaluate(async () => {
    await window.webaio.images.create('one-chunk', 1 << 20, { chunkSize: 32768 });
    const b = await window.webaio.openBlock('one-chunk');
    const sectors = Array.from({ length: 64 }, (_, i) => i);
    await Promise.all(
      sectors.map((s) => b.pwrite(32768 + s * 512, new Uint8Array(512).fill(s + 1))),
    );
    const chunk = await b.pread(32768, 32768);
    const bad = sectors.filter((s) =>
      chunk.subarray(s * 512, s * 512 + 512).some((v) => v !== s + 1),
    );
    const s = b.stats();
    await b.close();
    return { bad, writes: s.wr_operations, maxWorkers: s.pool.cur_high_water };
  });
  expect(r.bad).toEqual([]);
  expect(r.writes).toBe(64);
  // They really ran on more than one worker at once.
  expect(r.maxWorkers).toBeGreaterThan(1);
});

for (const [mode, aio] of [
  ['page cache', {}],
  ['faithful', { batch: 1, merge: false, pageCache: false, pollUs: 0 }],
] as const) {
  test(`discard and write-zeroes read back as zeros and free whole chunks (${mode})`, async ({
    profile,
  }) => {
    const page = await profile.open();
    const r = await page.evaluate(async (aio) => {
      await window.webaio.images.create('zeros', 1 << 20, { chunkSize: 4096 });
      const b = await window.webaio.openBlock('zeros', { aio });
      // What the image stores is what reached it: flush first (the page cache holds writes).
      const stored = async () => {
        await b.flush();
        return (await window.webaio.images.info('zeros')).actualSize;
      };
      await b.pwrite(0, new Uint8Array(8 * 4096).fill(7));
      const before = await stored();
      await b.discard(4096, 2 * 4096); // two whole chunks
      await b.writeZeroes(6 * 4096 + 100, 4096); // two partial chunks
      const data = await b.pread(0, 8 * 4096);
      const after = await stored();
      const s = b.stats();
      await b.close();
      const expected = new Uint8Array(8 * 4096).fill(7);
      expected.fill(0, 4096, 3 * 4096);
      expected.fill(0, 6 * 4096 + 100, 7 * 4096 + 100);
      return {
        same: data.every((v, i) => v === expected[i]),
        before,
        after,
        unmap: s.unmap_operations,
        wr: s.wr_operations,
      };
    }, aio);
    expect(r.same).toBe(true);
    expect(r.before).toBe(8 * 4096);
    expect(r.after).toBe(6 * 4096);
    expect(r.unmap).toBe(1);
    expect(r.wr).toBe(2); // the write and the write-zeroes
  });
}
