// Errors are the documented ones, counted, and lose nothing already written: out-of-range
// requests (EINVAL, invalid), a write cancelled while queued (ECANCELED, failed), injected
// storage failures (ENOSPC, EIO, failed), and a failed flush that poisons later flushes.

import { expect, test } from './fixtures.ts';

test('out-of-range requests are EINVAL, counted invalid, and write nothing', async ({ app }) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('range', 1 << 20, { chunkSize: 4096 });
    const b = await window.webaio.openBlock('range');
    await b.pwrite((1 << 20) - 4096, new Uint8Array(4096).fill(9));
    const err = async (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const out = {
      readPastEnd: await err(b.pread((1 << 20) - 100, 200)),
      writePastEnd: await err(b.pwrite((1 << 20) - 100, new Uint8Array(200).fill(1))),
      negative: await err(b.pread(-1, 10)),
      fractional: await err(b.discard(0.5, 10)),
      notBytes: await err(b.pwrite(0, [1, 2, 3] as unknown as Uint8Array)),
    };
    const tail = await b.pread((1 << 20) - 4096, 4096);
    const s = b.stats();
    await b.close();
    return { out, tailIntact: tail.every((v) => v === 9), s };
  });
  expect(r.out.readPastEnd).toBe(
    'EINVAL: image "range": read of 200 bytes at byte 1048476 is beyond the end of the disk (1048576 bytes)',
  );
  expect(r.out.writePastEnd).toMatch(
    /^EINVAL: .*write of 200 bytes at byte 1048476 is beyond the end/,
  );
  expect(r.out.negative).toMatch(/^EINVAL: .*byte offset -1 is not a non-negative integer/);
  expect(r.out.fractional).toMatch(/^EINVAL: .*discard: byte offset 0.5/);
  expect(r.out.notBytes).toMatch(/^EINVAL: .*write data is \[object Array\], not a Uint8Array/);
  expect(r.tailIntact).toBe(true);
  expect(r.s.invalid_rd_operations).toBe(2);
  expect(r.s.invalid_wr_operations).toBe(2);
  expect(r.s.invalid_unmap_operations).toBe(1);
  expect(r.s.wr_operations).toBe(1);
  expect(r.s.rd_operations).toBe(1);
  expect(r.s.failed_wr_operations).toBe(0);
});

test('a write cancelled while queued is ECANCELED, counted failed, and never written', async ({
  app,
}) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('cancel', 32 << 20, { chunkSize: 32768 });
    // One request per transaction, no page cache: the worker takes the queued writes one by
    // one, each a transaction of its own, so the victim stays queued for a while.
    const b = await window.webaio.openBlock('cancel', {
      pool: { maxThreads: 1 },
      aio: { batch: 1, pageCache: false },
    });
    // One worker, busy with a 16 MiB write (it exists: a read came first); 18 writes and the
    // victim queued behind it; cancel the victim once it is in the pool's queue.
    await b.pread(0, 512);
    const big = 128 << 10;
    const writes = [b.pwrite(0, new Uint8Array(16 << 20).fill(1))];
    while (b.stats().pool.idle_threads > 0) await new Promise((r) => setTimeout(r, 0));
    for (let i = 1; i < 19; i++) {
      writes.push(b.pwrite((16 << 20) + i * big, new Uint8Array(big).fill(i + 1)));
    }
    const ac = new AbortController();
    const victim = b.pwrite(30 << 20, new Uint8Array(4096).fill(0xee), { signal: ac.signal });
    let queuedAtAbort = 0;
    const deadline = performance.now() + 10_000;
    while ((queuedAtAbort = b.stats().pool.queued) !== 19 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 0));
    }
    ac.abort();
    const outcome = await victim.then(
      () => 'written',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    await Promise.all(writes);
    const after = await b.pread(30 << 20, 4096);
    const first = await b.pread(0, big);
    // A signal aborted before the call cancels it before it is even queued.
    const early = await b.pread(0, 10, { signal: AbortSignal.abort() }).then(
      () => 'read',
      (e: Error) => e.name,
    );
    const s = b.stats();
    await b.close();
    return {
      outcome,
      early,
      victimWritten: after.some((v) => v !== 0),
      firstIntact: first.every((v) => v === 1),
      queuedAtAbort,
      s,
    };
  });
  // The victim was in the pool's queue (18 writes and itself) when it was cancelled.
  expect(r.queuedAtAbort).toBe(19);
  expect(r.outcome).toMatch(/^ECANCELED: image "cancel": write of 4096 bytes at byte 31457280/);
  expect(r.early).toBe('ECANCELED');
  expect(r.victimWritten).toBe(false);
  expect(r.firstIntact).toBe(true);
  expect(r.s.failed_wr_operations).toBe(1);
  expect(r.s.failed_rd_operations).toBe(1);
  expect(r.s.wr_operations).toBe(19);
  expect(r.s.rd_operations).toBe(3);
  expect(r.s.pool.cur_high_water).toBe(1);
});

test('injected storage failures give ENOSPC and EIO, are counted, and keep earlier data', async ({
  profile,
}) => {
  const page = await profile.open();
  const r = await page.evaluate(async () => {
    await window.webaio.images.create('faults', 1 << 20, { chunkSize: 4096 });
    const b = await window.webaio.openBlock('faults');
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    // Earlier data, spanning three chunks.
    await b.pwrite(4000, new Uint8Array(9000).fill(0x11));
    await b.flush();
    // A quota failure in the middle of a multi-chunk write: the transaction aborts whole.
    b.injectError({ op: 'write', errno: 'ENOSPC' });
    const full = await err(b.pwrite(2000, new Uint8Array(12000).fill(0x22)));
    const afterFull = await b.pread(0, 16384);
    // A failed read.
    b.injectError({ op: 'read' });
    const readFail = await err(b.pread(0, 512));
    // A failed flush poisons the image: the next flush fails with nothing injected.
    b.injectError({ op: 'flush' });
    const flush1 = await err(b.flush());
    const flush2 = await err(b.flush());
    // Writes still work after that, and so do reads.
    await b.pwrite(0, new Uint8Array(10).fill(0x33));
    const last = await b.pread(0, 16384);
    const s = b.stats();
    await b.close();
    const expected = new Uint8Array(16384);
    expected.fill(0x11, 4000, 13000);
    const intact = afterFull.every((v, i) => v === expected[i]);
    expected.fill(0x33, 0, 10);
    const sameLast = last.every((v, i) => v === expected[i]);
    return { full, readFail, flush1, flush2, intact, sameLast, s };
  });
  expect(r.full).toMatch(
    /^ENOSPC: image "faults": write of 12000 bytes at byte 2000 failed with ENOSPC \(-28\)/,
  );
  expect(r.intact).toBe(true);
  expect(r.readFail).toMatch(/^EIO: .*read of 512 bytes at byte 0 failed with EIO \(-5\)/);
  expect(r.flush1).toMatch(/^EIO: .*flush/);
  expect(r.flush2).toMatch(/^EIO: .*flush/);
  expect(r.sameLast).toBe(true);
  expect(r.s.failed_wr_operations).toBe(1);
  expect(r.s.failed_rd_operations).toBe(1);
  expect(r.s.failed_flush_operations).toBe(2);
  expect(r.s.flush_operations).toBe(1);
  expect(r.s.wr_operations).toBe(2);
});

test('cache=unsafe ignores flush; bad cache modes and pool settings are refused by name', async ({
  app,
}) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('unsafe', 1 << 20);
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    const badCache = await err(
      window.webaio.openBlock('unsafe', { cache: 'none' as unknown as 'unsafe' }),
    );
    const badPool = await err(window.webaio.openBlock('unsafe', { pool: { maxThreads: 0 } }));
    const badMin = await err(
      window.webaio.openBlock('unsafe', { pool: { minThreads: 9, maxThreads: 4 } }),
    );
    const b = await window.webaio.openBlock('unsafe', { cache: 'unsafe' });
    b.injectError({ op: 'flush' });
    const flush = await err(b.flush());
    const setBad = await err(b.setPool({ policy: 'eager' as unknown as 'bh' }));
    const s = b.stats();
    await b.close();
    return { badCache, badPool, badMin, flush, setBad, flushes: s.flush_operations };
  });
  expect(r.badCache).toBe(
    'EINVAL: cache mode "none" is not one of writeback, writethrough, unsafe, directsync',
  );
  expect(r.badPool).toBe('EINVAL: pool maxThreads = 0 is not an integer in 1..128');
  expect(r.badMin).toBe('EINVAL: pool minThreads 9 is above maxThreads 4');
  expect(r.flush).toBe('ok');
  expect(r.flushes).toBe(1);
  expect(r.setBad).toBe('EINVAL: pool policy "eager" is not one of inline, bh, prealloc');
});
