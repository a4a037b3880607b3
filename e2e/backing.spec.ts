// Base images over HTTP under a local copy-on-write overlay: reads equal the base, writes stay in
// the overlay, each piece is fetched once (and never again after a relaunch), the base is never
// written; a server that ignores Range, or a base that changed, gets its own clear error.

import { expect, test } from './fixtures.ts';
import { routeBase, seededBytes, type RouteBase } from './range-route.ts';

const BASE = 'images/default-base.img';

test('an overlay of a base served with Range by vite preview: base + writes, fetched once', async ({
  profile,
}) => {
  test.setTimeout(90_000);
  let page = await profile.open();
  const first = await page.evaluate(async (BASE) => {
    const hex = async (b: Uint8Array) =>
      Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b.slice())), (x) =>
        x.toString(16).padStart(2, '0'),
      ).join('');
    const base = new Uint8Array(await (await fetch(BASE, { cache: 'no-store' })).arrayBuffer());
    const im = window.webaio.images;
    const info = await im.create('ov', { backing: BASE });
    const b = await window.webaio.openBlock('ov');
    const spans: [number, number][] = [
      [0, 4096],
      [1_000_003, 70_000],
      [(20 << 20) + 123, 300_000],
    ];
    const same = (o: number, got: Uint8Array) =>
      got.every((v, i) => v === base[o + i]) && got.length > 0;
    const reads: boolean[] = [];
    for (const [o, n] of spans) reads.push(same(o, await b.pread(o, n)));
    const fetched1 = b.stats().backing?.fetched_bytes ?? -1;
    for (const [o, n] of spans) reads.push(same(o, await b.pread(o, n)));
    const fetched2 = b.stats().backing?.fetched_bytes ?? -1;
    // A partial write over a piece never fetched, and a discarded whole chunk.
    const w = new Uint8Array(10_000).fill(0xab);
    await b.pwrite((5 << 20) + 777, w);
    await b.discard(8 << 20, 32768);
    const model = base.slice();
    model.set(w, (5 << 20) + 777);
    model.fill(0, 8 << 20, (8 << 20) + 32768);
    const whole = await b.pread(0, b.virtualSize);
    await b.flush();
    const stats = b.stats().backing;
    await b.close();
    const again = new Uint8Array(await (await fetch(BASE, { cache: 'no-store' })).arrayBuffer());
    return {
      info,
      reads,
      fetched1,
      fetched2,
      stats,
      wholeOk: (await hex(whole)) === (await hex(model)),
      model: await hex(model),
      baseUnchanged: (await hex(again)) === (await hex(base)),
    };
  }, BASE);
  expect(first.info).toMatchObject({ virtualSize: 32 << 20, inUse: [] });
  expect(first.info.backing?.url).toMatch(/\/images\/default-base\.img$/);
  expect(first.info.backing?.etag).toBeTruthy();
  expect(first.reads).toEqual([true, true, true, true, true, true]);
  // Aligned 256 KiB pieces: the three spans touch 1 + 2 + 2 of them; the second pass none.
  expect(first.fetched1).toBe(5 * (256 << 10));
  expect(first.fetched2).toBe(first.fetched1);
  expect(first.wholeOk).toBe(true);
  expect(first.stats?.fetched_bytes).toBe(32 << 20);
  expect(first.baseUnchanged).toBe(true);

  page = await profile.relaunch();
  const second = await page.evaluate(async () => {
    const b = await window.webaio.openBlock('ov');
    const whole = await b.pread(0, b.virtualSize);
    const stats = b.stats().backing;
    await b.close();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', whole.slice()));
    return { stats, hex: Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('') };
  });
  expect(second.hex).toBe(first.model);
  expect(second.stats).toMatchObject({ fetched_bytes: 0, served_from_base_bytes: 0 });
  expect(second.stats?.served_from_overlay_bytes).toBe(32 << 20);
});

test('a base behind a route: equal reads; a server without Range and a changed ETag are refused', async ({
  profile,
}) => {
  const page = await profile.open();
  const bytes = seededBytes(4 << 20, 7);
  const good: RouteBase = { bytes, etag: '"v1"', log: [] };
  await routeBase(profile.browser, '**/routed/base.img', good);
  await routeBase(profile.browser, '**/routed/norange.img', { bytes, etag: '"x"', range: false });
  const r = await page.evaluate(async () => {
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const im = window.webaio.images;
    const noRange = await err(im.create('nr', { backing: '/routed/norange.img' }));
    const unanswered = await err(im.create('gone', { backing: 'http://127.0.0.1:9/base.img' }));
    const listed = (await im.list()).map((i) => i.name);
    const info = await im.create('rt', { backing: '/routed/base.img', fetchBytes: 1 << 20 });
    const b = await window.webaio.openBlock('rt');
    const head = Array.from(await b.pread(0, 16));
    const tail = Array.from(await b.pread((4 << 20) - 16, 16));
    (window as unknown as { held: typeof b }).held = b;
    return { noRange, unanswered, listed, info, head, tail };
  });
  expect(r.noRange).toMatch(
    /^EIO: the server of base image http:\/\/.*\/routed\/norange\.img ignores HTTP Range requests/,
  );
  expect(r.unanswered).toMatch(
    /^EIO: base image http:\/\/127\.0\.0\.1:9\/base\.img does not answer/,
  );
  expect(r.listed).toEqual([]);
  expect(r.info).toMatchObject({ virtualSize: 4 << 20, backing: { etag: '"v1"' } });
  expect(r.head).toEqual(Array.from(bytes.subarray(0, 16)));
  expect(r.tail).toEqual(Array.from(bytes.subarray((4 << 20) - 16)));
  // Probes at create and at open, then 1 MiB aligned pieces, one request each.
  expect(good.log).toEqual([
    'bytes=0-511',
    'bytes=0-511',
    'bytes=0-1048575',
    'bytes=3145728-4194303',
  ]);

  // Eight reads of one piece at once, on eight workers, from a slow server: fetched once. One
  // request per transaction, so that one worker cannot take all eight as a batch.
  await page.evaluate(async () => {
    const held = (
      window as unknown as {
        held: { setPool(c: object): Promise<void>; setAio(c: object): void };
      }
    ).held;
    held.setAio({ batch: 1 });
    await held.setPool({ policy: 'prealloc', minThreads: 8 });
  });
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          (
            window as unknown as { held: { stats(): { pool: { idle_threads: number } } } }
          ).held.stats().pool.idle_threads,
      ),
    )
    .toBe(8);
  good.delayMs = 300;
  const served = await page.evaluate(async () => {
    const held = (
      window as unknown as { held: Awaited<ReturnType<typeof window.webaio.openBlock>> }
    ).held;
    const before = new Map(held.stats().spawns.map((w) => [w.seq, w.served]));
    await Promise.all(Array.from({ length: 8 }, (_, k) => held.pread((2 << 20) + k * 65536, 4096)));
    // The workers that served one of these eight (not the earlier reads).
    return held.stats().spawns.filter((w) => w.served > (before.get(w.seq) ?? 0)).length;
  });
  good.delayMs = 0;
  expect(served).toBeGreaterThan(1);
  expect(good.log?.slice(4)).toEqual(['bytes=2097152-3145727']);

  // The base changes under a running overlay, then under a new open.
  good.etag = '"v2"';
  const changed = await page.evaluate(async () => {
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const held = (
      window as unknown as { held: Awaited<ReturnType<typeof window.webaio.openBlock>> }
    ).held;
    // A piece never fetched needs the base, which is refused; one in the overlay does not.
    const fresh = await err(held.pread(1 << 20, 512));
    const cached = await err(held.pread(4096, 512));
    const fault = held.stats().backing?.fault;
    await held.close();
    return { fresh, cached, fault, reopen: await err(window.webaio.openBlock('rt')) };
  });
  expect(changed.fresh).toMatch(
    /^EIO: image "rt": read of 512 bytes at byte 1048576 failed with EIO \(-5\): the base image http:\/\/.*\/routed\/base\.img \(ETag "v1"\) has changed since the overlay was made: refusing to mix old and new data$/,
  );
  expect(changed.cached).toBe('ok');
  expect(changed.fault).toMatch(/has changed since the overlay was made/);
  expect(changed.reopen).toMatch(
    /^EIO: image "rt": its base changed since the overlay was made: it was http:\/\/.*\/routed\/base\.img \(ETag "v1"\), 4194304 bytes; it is now .*\(ETag "v2"\)/,
  );
});

test('the demo boots read-verify guests on an overlay of the default base and shows its traffic', async ({
  page,
}) => {
  await page.goto('/?image=base&vcpus=2');
  await expect(page.getByRole('status', { name: 'machine status' })).toContainText(
    '2 vCPUs on image "base", policy bh, max 64 threads, AIO batched — running',
  );
  const disk = page.getByRole('table', { name: 'disk' });
  const fetched = disk.locator('[data-stat="base-fetched"]');
  await expect(fetched).not.toHaveText('0 B');
  await expect(disk.locator('[data-stat="overlay-served"]')).not.toHaveText('0 B');
  const checked = () =>
    page.evaluate(() =>
      (window.webaio.machine?.stats().vcpus ?? []).reduce(
        (n, v) => n + v.counters.verifyChecked,
        0,
      ),
    );
  await expect.poll(checked).toBeGreaterThan(1000);
  await expect(disk.locator('[data-stat="verify-errors"]')).toHaveText('0');
  await expect(
    page.getByRole('table', { name: 'images' }).locator('tr[data-image="base"] [data-in-use]'),
  ).toHaveText('machine');
});
