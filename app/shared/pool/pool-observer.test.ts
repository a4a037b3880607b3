import { describe, expect, it } from 'vitest';
import { BlockOp, writeSlot } from '../block/block.ts';
import { createControl } from '../layout/layout.ts';
import { THREAD_MAIN } from './record-layout.ts';
import { DEFAULT_POOL_CONFIG, writePoolConfig } from './pool-config.ts';
import { poolCounters, type PoolObserver } from './pool-observer.ts';
import { PoolCore } from './thread-pool.ts';
import { workerThread } from './worker-thread.ts';
import { PoolTraceKind } from '../trace/trace-ring.ts';

const KIND_NAMES = Object.fromEntries(Object.entries(PoolTraceKind).map(([k, v]) => [v, k]));

describe('pool observer', () => {
  it("thread-pool/observer: the core reports each step of a worker's life to its one hook", async () => {
    const ctl = createControl({
      nslots: 16,
      maxIov: 1,
      nrecords: 256,
      nvcpus: 0,
      cachePages: 0,
      diskChunks: 0,
    });
    const seen: string[] = [];
    const observer: PoolObserver = {
      workerEvent: (kind, record) => void seen.push(`${KIND_NAMES[kind]} ${record}`),
      requestsTaken: (record, slots) => void seen.push(`TAKEN ${record}: ${slots.join(',')}`),
    };
    const pool = new PoolCore(ctl, observer);
    writePoolConfig(ctl, { ...DEFAULT_POOL_CONFIG, idleTimeoutMs: 1 });
    const started: number[] = [];
    const main = { thread: THREAD_MAIN, start: (record: number) => void started.push(record) };
    writeSlot(ctl, 0, { op: BlockOp.READ, byteOffset: 0, nbytes: 0, iov: [] }, 0, 0);

    pool.submitLocked(0, main);
    await pool.spawnThreadBh(main);
    const [r] = started;
    // The real worker_thread(): it serves slot 0, idles out (1 ms, min_threads 0) and leaves.
    await workerThread(pool, r, () =>
      Promise.resolve({
        run: (slots: readonly number[]) => Promise.resolve(slots.map(() => 0)),
        settle: () => Promise.resolve(),
      }),
    );

    expect(seen).toEqual([
      `SPAWN ${r}`,
      `CREATE ${r}`,
      `READY ${r}`,
      `TAKEN ${r}: 0`,
      `IDLE ${r}`,
      `WAKE ${r}`,
      `EXIT ${r}`,
    ]);
    // What the page reads is the shared-memory observer's, which this pool did not have.
    expect(poolCounters(ctl)).toMatchObject({ cur_threads: 0, exited: 1, cur_high_water: 0 });
  });
});
