// The `block` scenario: random aligned reads and writes through webaio.openBlock() (the AIO pool
// on an IndexedDB image; batched, without the page cache unless asked), each case against the
// same work done by plain idb-keyval calls from one worker on an image of the same layout, one
// side after the other, never both at once.

import type { BlockBackendOptions } from '../../app/block/block-config.ts';
import { BlockIo } from '../../app/block/block-io.ts';
import { createImage, deleteImage } from '../../app/images/images.ts';
import { deleteIfPresent, prefillBlock } from './bench-images.ts';
import { CeilingWorkers } from './ceiling-workers.ts';
import type { CeilingSideResult, IoJob } from '../shared/bench-contracts.ts';
import {
  jobOffsets,
  randomBytes,
  runClosedLoop,
  sideResult,
  type ClosedLoopRun,
} from '../shared/bench-loop.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';
import type { AioConfig } from '../../app/shared/block/aio-config.ts';
import type { CacheMode } from '../../app/shared/block/block.ts';
import { Histogram } from '../../app/shared/stats/histogram.ts';
import type { PoolConfig } from '../../app/shared/pool/pool-config.ts';
import {
  checkBlockParams,
  type BlockBenchParams,
  type BlockBenchResult,
  type BlockCaseResult,
  type EmulatorSideResult,
} from '../shared/block-params.ts';
import { progress } from '../shared/progress.ts';

export const BENCH_IMAGE_EMULATOR = 'bench-block-emulator';
export const BENCH_IMAGE_BASELINE = 'bench-block-baseline';

/** After the warm-up, keep warming in slices of this while the pool still has a backlog. */
const POOL_SETTLE_SLICE_MS = 200;
const POOL_SETTLE_MAX_MS = 15_000;
/** A warm-up request slower than this is reported as a stall. */
const STALL_MS = 5_000;

export async function runBlockBench(
  input: Partial<BlockBenchParams> = {},
): Promise<BlockBenchResult> {
  const params = checkBlockParams(input);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  const images = [BENCH_IMAGE_EMULATOR, BENCH_IMAGE_BASELINE];
  for (const name of images) await deleteIfPresent(name);
  for (const name of images) {
    await createImage(name, params.imageBytes, { chunkSize: params.chunkSize });
  }
  const workers = new CeilingWorkers(1);
  const [ceiling] = workers.apis;
  try {
    await workers.open(BENCH_IMAGE_BASELINE, params.chunkSize);
    const mib = (params.regionBytes / 2 ** 20).toFixed(0);
    progress(`block: prefilling ${mib} MiB of each image (untimed)`);
    const open = { aio: { pageCache: params.pageCache } };
    const prefill = await withBackend(open, (b) =>
      prefillBlock(b, params.regionBytes, params.chunkSize, params.seed),
    );
    const prefillMs = {
      emulator: prefill.result,
      baseline: await workers.call(ceiling.prefill(params.regionBytes, params.seed)),
    };
    const cases: BlockCaseResult[] = [];
    const plan = casesOf(params);
    for (const [i, c] of plan.entries()) {
      const job: IoJob = {
        ...c,
        batch: 1,
        pattern: 'random',
        regionOffset: 0,
        regionBytes: params.regionBytes,
        runtimeMs: params.runtimeMs,
        warmupMs: params.warmupMs,
        seed: (params.seed + i) >>> 0,
      };
      const label = `block ${i + 1}/${plan.length}: ${c.op} bs=${c.bs} iodepth=${c.iodepth}`;
      const runEmulator = async () => {
        progress(`${label}: emulator`);
        return (await withBackend(open, (b) => emulatorSide(b, job))).result;
      };
      const runBaseline = () => {
        progress(`${label}: baseline`);
        return workers.call(ceiling.run(job));
      };
      // Alternate which side goes first, so drift (compaction, a noisy neighbour) is shared.
      const first = i % 2 === 0 ? 'emulator' : 'baseline';
      let emulator: EmulatorSideResult;
      let baseline: CeilingSideResult;
      if (first === 'emulator') {
        emulator = await runEmulator();
        baseline = await runBaseline();
      } else {
        baseline = await runBaseline();
        emulator = await runEmulator();
      }
      const result: BlockCaseResult = {
        ...c,
        first,
        emulator,
        baseline,
        ratio: {
          iops: emulator.iops / baseline.iops,
          p50: emulator.latencyUs.p50 / baseline.latencyUs.p50,
          p99: emulator.latencyUs.p99 / baseline.latencyUs.p99,
        },
      };
      cases.push(result);
      progress(
        `${label}: ${emulator.iops.toFixed(0)} vs ${baseline.iops.toFixed(0)} IOPS ` +
          `(x${result.ratio.iops.toFixed(2)}), p50 ${emulator.latencyUs.p50.toFixed(0)} vs ` +
          `${baseline.latencyUs.p50.toFixed(0)} µs`,
      );
    }
    return {
      scenario: 'block',
      params,
      emulator: {
        image: BENCH_IMAGE_EMULATOR,
        cache: prefill.cache,
        pool: prefill.pool,
        aio: prefill.aio,
      },
      baseline: { image: BENCH_IMAGE_BASELINE, worker: 'idb-keyval in one dedicated worker' },
      prefillMs,
      startedAt,
      elapsedMs: nowMs() - t0,
      cases,
    };
  } finally {
    await workers.close();
    if (!params.keepImages) {
      for (const name of images) {
        await deleteImage(name).catch((e: unknown) => console.warn(`bench: ${String(e)}`));
      }
    }
  }
}

/**
 * webaio.openBlock() on the emulator's image with its defaults (but the page cache, as asked),
 * `fn`, then close(): each case starts from an empty pool and leaves no worker behind while the
 * baseline runs.
 */
async function withBackend<T>(
  opts: BlockBackendOptions,
  fn: (b: BlockIo) => Promise<T>,
): Promise<{ result: T; cache: CacheMode; pool: PoolConfig; aio: AioConfig }> {
  const b = await BlockIo.open(BENCH_IMAGE_EMULATOR, opts);
  try {
    const result = await fn(b);
    return { result, cache: b.cache, pool: { ...b.poolConfig }, aio: { ...b.aioConfig } };
  } finally {
    await b.close();
  }
}

/** op × bs × iodepth, in that order. */
function casesOf(p: BlockBenchParams): Pick<IoJob, 'op' | 'bs' | 'iodepth'>[] {
  return p.ops.flatMap((op) =>
    p.bs.flatMap((bs) => p.iodepth.map((iodepth) => ({ op, bs, iodepth }))),
  );
}

async function emulatorSide(b: BlockIo, job: IoJob): Promise<EmulatorSideResult> {
  const data = randomBytes(job.bs, job.seed);
  const io =
    job.op === 'read'
      ? (byteOffset: number) => b.pread(byteOffset, job.bs)
      : (byteOffset: number) => b.pwrite(byteOffset, data);
  const offsets = jobOffsets(job);
  const warmupUs = Histogram.create();
  const warmup = await warmUp(b, job, io, offsets.warmup, warmupUs);
  const slowestMs = warmupUs.summary().max / 1000;
  if (slowestMs > STALL_MS) {
    progress(`block: an emulator request stalled for ${slowestMs.toFixed(0)} ms in the warm-up`);
  }
  const before = b.stats().pool;
  const latencyUs = Histogram.create();
  const run = await runClosedLoop({
    iodepth: job.iodepth,
    runtimeMs: job.runtimeMs,
    nextOffset: offsets.timed,
    io,
    latencyUs,
  });
  const stats = b.stats();
  const after = stats.pool;
  return {
    ...sideResult(run, job.bs, latencyUs, warmup),
    pool: {
      threadsAtStart: before.cur_threads,
      threadsAtEnd: after.cur_threads,
      spawnedDuringRun: after.spawned - before.spawned,
      curHighWater: after.cur_high_water,
    },
    splitUs: stats.split,
  };
}

/**
 * The warm-up, then more of it while the pool still owes workers (new or pending ones), so the
 * timed part measures the steady state and not the pool's growth.
 */
async function warmUp(
  b: BlockIo,
  job: IoJob,
  io: (byteOffset: number) => Promise<unknown>,
  nextOffset: () => number,
  latencyUs: Histogram,
): Promise<ClosedLoopRun> {
  const growing = () => {
    const pool = b.stats().pool;
    return pool.new_threads + pool.pending_threads > 0;
  };
  const slice = (runtimeMs: number) =>
    runClosedLoop({ iodepth: job.iodepth, runtimeMs, nextOffset, io, latencyUs });
  const total = await slice(job.warmupMs);
  while (growing() && total.elapsedMs < POOL_SETTLE_MAX_MS) {
    const more = await slice(POOL_SETTLE_SLICE_MS);
    total.ops += more.ops;
    total.elapsedMs += more.elapsedMs;
  }
  return total;
}
