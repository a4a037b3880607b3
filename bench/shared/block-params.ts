// The `block` scenario's parameters, their defaults and checks, and the shape of its result.
// No DOM here: `npm run bench` checks its command line with these same functions.

import type { AioConfig } from '../../app/shared/block/aio-config.ts';
import type { LatencySplit } from '../../app/shared/stats/latency-split.ts';
import {
  BENCH_OPS,
  type BenchOp,
  type CeilingSideResult,
  type SideResult,
} from './bench-contracts.ts';
import type { CacheMode } from '../../app/shared/block/block.ts';
import { checkChunkSize, checkVirtualSize } from '../../app/shared/block/image-format.ts';
import type { PoolConfig } from '../../app/shared/pool/pool-config.ts';
import { ParamChecker } from './check.ts';

export interface BlockBenchParams {
  ops: BenchOp[];
  /** Request sizes, bytes: powers of two from 512 to 1 MiB. */
  bs: number[];
  /** Requests in flight: 1 to 256 (the backend's request slots). */
  iodepth: number[];
  /** Timed part of each side of each case. */
  runtimeMs: number;
  /** Untimed warm-up before it (the emulator's also lasts until its pool stops growing). */
  warmupMs: number;
  /** Size of each of the two images the scenario creates. */
  imageBytes: number;
  /** Requests fall in [0, regionBytes), prefilled before the first case. */
  regionBytes: number;
  chunkSize: number;
  seed: number;
  /** Keep the two images afterwards (default: delete them). */
  keepImages: boolean;
  /** The emulator's page cache (default off: every request meets IndexedDB, as the baseline's
   *  do; otherwise its reads of a region larger than the cache are partly memory copies). */
  pageCache: boolean;
}

export const BLOCK_BENCH_DEFAULTS: Readonly<BlockBenchParams> = {
  ops: ['read', 'write'],
  bs: [4096, 32768],
  iodepth: [1, 32],
  runtimeMs: 3000,
  warmupMs: 1000,
  imageBytes: 256 << 20,
  regionBytes: 64 << 20,
  chunkSize: 32768,
  seed: 1,
  keepImages: false,
  pageCache: false,
};

const BS_MIN = 512;
const BS_MAX = 1 << 20;
/** The backend's request slots. */
const IODEPTH_MAX = 256;

const c = new ParamChecker('block');

export const checkOp = (v: unknown) => c.oneOf('op', v, BENCH_OPS);
export const checkBs = (v: unknown) => c.pow2('bs', v, BS_MIN, BS_MAX);
export const checkIodepth = (v: unknown) => c.int('iodepth', v, 1, IODEPTH_MAX);
export const checkRuntimeMs = (v: unknown) => c.runtimeMs(v);

/** Fill in the defaults and check every value; the error names the value that is wrong. */
export function checkBlockParams(input: Partial<BlockBenchParams> = {}): BlockBenchParams {
  const p = c.merge(BLOCK_BENCH_DEFAULTS, input);
  const chunkSize = checkChunkSize(p.chunkSize);
  const imageBytes = checkVirtualSize(p.imageBytes);
  const regionBytes = c.int('regionBytes', p.regionBytes, chunkSize, imageBytes);
  if (regionBytes % chunkSize !== 0) {
    c.fail(`regionBytes ${regionBytes} is not a multiple of the chunk size ${chunkSize}`);
  }
  const bs = c.list('bs', p.bs, checkBs);
  for (const size of bs) {
    if (regionBytes % size !== 0)
      c.fail(`regionBytes ${regionBytes} is not a multiple of bs ${size}`);
  }
  return {
    ops: c.list('ops', p.ops, checkOp),
    bs,
    iodepth: c.list('iodepth', p.iodepth, checkIodepth),
    runtimeMs: checkRuntimeMs(p.runtimeMs),
    warmupMs: c.warmupMs(p.warmupMs),
    imageBytes,
    regionBytes,
    chunkSize,
    seed: c.seed(p.seed, 2 ** 32 - 1),
    keepImages: c.bool('keepImages', p.keepImages),
    pageCache: c.bool('pageCache', p.pageCache),
  };
}

/** The emulator's side of a case, plus what its pool did during the timed part. */
export interface EmulatorSideResult extends SideResult {
  pool: {
    /** Workers alive when the timed part started and when it ended. */
    threadsAtStart: number;
    threadsAtEnd: number;
    /** Workers created during the timed part (0 in the steady state). */
    spawnedDuringRun: number;
    /** Most workers alive at once since the backend opened. */
    curHighWater: number;
  };
  /**
   * Where the backend's requests spent their time (stats().split), over the whole case: the
   * warm-up and the timed part. From submit to the promise settling, the page adds the rest.
   */
  splitUs: LatencySplit;
}

export interface BlockCaseResult {
  op: BenchOp;
  bs: number;
  iodepth: number;
  /** Which side ran first: they alternate from case to case. */
  first: 'emulator' | 'baseline';
  emulator: EmulatorSideResult;
  baseline: CeilingSideResult;
  /** emulator / baseline. IOPS below 1: the emulator is slower; latency above 1: slower. */
  ratio: { iops: number; p50: number; p99: number };
}

export interface BlockBenchResult {
  scenario: 'block';
  params: BlockBenchParams;
  /** How the emulator's backend was opened (webaio.openBlock's defaults, params.pageCache). */
  emulator: { image: string; cache: CacheMode; pool: PoolConfig; aio: AioConfig };
  baseline: { image: string; worker: string };
  /** Untimed writes of random bytes to every chunk of the region of each image. */
  prefillMs: { emulator: number; baseline: number };
  startedAt: string;
  elapsedMs: number;
  cases: BlockCaseResult[];
}
