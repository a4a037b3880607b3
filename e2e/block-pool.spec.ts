// The pool's counters move exactly as the design says: growth capped at max_threads, at most
// one pending newborn under `bh`, every worker created by the main thread, idle workers exit
// after the idle timeout, and close() leaves no worker running.

import { aioWorkers, expect, test } from './fixtures.ts';

test('a cold burst of 256 grows the pool to exactly maxThreads, one newborn at a time', async ({
  app,
}) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('burst', 8 << 20, { chunkSize: 4096 });
    const b = await window.webaio.openBlock('burst', { pool: { maxThreads: 8 } });
    const cold = b.stats().pool;
    const reads = Array.from({ length: 256 }, (_, i) => b.pread(i * 4096, 4096));
    await Promise.all(reads);
    // The burst may finish before the pool has grown: wait for the backlog to be created.
    while (b.stats().pool.new_threads + b.stats().pool.pending_threads > 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const s = b.stats();
    return { cold, pool: s.pool, spawns: s.spawns, rd: s.rd_operations };
  });
  expect(r.cold).toMatchObject({ cur_threads: 0, spawned: 0, pending_threads: 0 });
  expect(r.rd).toBe(256);
  expect(r.pool.cur_high_water).toBe(8);
  expect(r.pool.cur_threads).toBe(8);
  expect(r.pool.spawned).toBe(8);
  expect(r.pool.new_threads).toBe(0);
  expect(r.pool.pending_threads).toBe(0);
  expect(r.pool.pending_high_water).toBe(1);
  expect(r.spawns).toHaveLength(8);
  for (const w of r.spawns) {
    expect(w.creator).toBe('main');
    expect(w.tRequested).toBeGreaterThan(0);
    expect(w.tCreated).toBeGreaterThanOrEqual(w.tRequested);
    expect(w.tReady).toBeGreaterThanOrEqual(w.tCreated);
    // Workers born after the burst was served never took a request.
    if (w.served > 0) expect(w.tFirstRequest).toBeGreaterThanOrEqual(w.tReady);
    else expect(w.tFirstRequest).toBe(0);
  }
  expect(r.spawns[0].served).toBeGreaterThan(0);
  expect(r.spawns.reduce((n, w) => n + w.served, 0)).toBe(256);
  expect(aioWorkers(app)).toHaveLength(8);
});

test('idle workers exit after idleTimeoutMs down to minThreads, and close() leaves none', async ({
  app,
}) => {
  await app.evaluate(async () => {
    await window.webaio.images.create('idle', 8 << 20, { chunkSize: 4096 });
    // One request per worker's transaction, so that the burst grows the pool as QEMU's does.
    const b = await window.webaio.openBlock('idle', {
      pool: { maxThreads: 6, minThreads: 2, idleTimeoutMs: 300 },
      aio: { batch: 1 },
    });
    (window as unknown as { b: typeof b }).b = b;
    await Promise.all(Array.from({ length: 64 }, (_, i) => b.pread(i * 4096, 4096)));
  });
  type W = Window & { b: Awaited<ReturnType<typeof window.webaio.openBlock>> };
  const pool = () => app.evaluate(() => (window as unknown as W).b.stats().pool);
  expect((await pool()).cur_high_water).toBeGreaterThan(2);
  await expect.poll(async () => (await pool()).cur_threads, { timeout: 10_000 }).toBe(2);
  const settled = await pool();
  expect(settled.exited).toBe(settled.spawned - 2);
  expect(settled.idle_threads).toBe(2);
  await expect.poll(() => aioWorkers(app).length).toBe(2);

  // Lowering maxThreads at run time: the surplus worker exits as it wakes.
  await app.evaluate(() => (window as unknown as W).b.setPool({ maxThreads: 1, minThreads: 0 }));
  await expect.poll(async () => (await pool()).cur_threads, { timeout: 10_000 }).toBe(1);

  await app.evaluate(() => (window as unknown as W).b.close());
  const closed = await pool();
  expect(closed.cur_threads).toBe(0);
  expect(closed.idle_threads).toBe(0);
  expect(closed.exited).toBe(closed.spawned);
  await expect.poll(() => aioWorkers(app).length).toBe(0);
});

test('close() during a burst drains every request, then every worker exits', async ({ app }) => {
  const r = await app.evaluate(async () => {
    await window.webaio.images.create('drain', 8 << 20, { chunkSize: 4096 });
    const b = await window.webaio.openBlock('drain', { pool: { maxThreads: 4 } });
    const writes = Array.from({ length: 100 }, (_, i) =>
      b.pwrite(i * 4096, new Uint8Array(4096).fill(i % 251)),
    );
    const closing = b.close();
    const outcomes = await Promise.allSettled(writes);
    await closing;
    const s = b.stats();
    const late = await b.pread(0, 512).then(
      () => 'read after close worked',
      (e: Error) => e.name,
    );
    return {
      fulfilled: outcomes.filter((o) => o.status === 'fulfilled').length,
      pool: s.pool,
      wr: s.wr_operations,
      late,
    };
  });
  expect(r.fulfilled).toBe(100);
  expect(r.wr).toBe(100);
  expect(r.pool.cur_threads).toBe(0);
  expect(r.pool.exited).toBe(r.pool.spawned);
  expect(r.late).toBe('EBADF');
  await expect.poll(() => aioWorkers(app).length).toBe(0);
});

test('a write after reads is not held up by an idle worker (a read transaction left open would block it for the idle timeout)', async ({
  profile,
}) => {
  const page = await profile.open();
  const r = await page.evaluate(async () => {
    await window.webaio.images.create('rw', 4 << 20, { chunkSize: 4096 });
    // An hour of idle timeout: if an idle worker kept its read transaction open, the write
    // below would wait for it that long, and the test would time out.
    const b = await window.webaio.openBlock('rw', {
      pool: { maxThreads: 8, idleTimeoutMs: 3_600_000 },
    });
    // A request stuck this long is the hang this test is about: fail with the pool's state
    // (who is idle, what is queued) rather than a bare test timeout.
    const step = async <T>(what: string, p: Promise<T>): Promise<T> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const { pool, aio } = b.stats();
          reject(new Error(`${what}: no answer in 20 s; pool ${JSON.stringify({ pool, aio })}`));
        }, 20_000);
      });
      try {
        return await Promise.race([p, stuck]);
      } finally {
        clearTimeout(timer);
      }
    };
    await step('first write', b.pwrite(0, new Uint8Array(65536).fill(1)));
    for (let round = 0; round < 8; round++) {
      // Reads one at a time leave several workers idle, each after a read of its own.
      for (let i = 0; i < 20; i++) await step(`round ${round} read ${i}`, b.pread(i * 4096, 4096));
      const data = new Uint8Array(4096).fill(2 + round);
      await step(`round ${round} write`, b.pwrite(round * 4096, data));
    }
    const back = await b.pread(0, 8 * 4096);
    await b.close();
    return Array.from({ length: 8 }, (_, k) => back[k * 4096]);
  });
  expect(r).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
});
