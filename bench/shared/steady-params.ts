// The `steady`, `ceiling` and `ceiling-batched` scenarios' parameters, layout and results: N
// workers, each doing one operation (random 4 KiB reads, random 4 KiB writes, sequential 32 KiB
// reads, sequential 32 KiB writes, round-robin) on its own region of an image, all at once or
// each alone — through the emulator's vCPUs (`steady`, under each AIO mode), and straight with
// idb-keyval from plain workers, one request per transaction (`ceiling`) or up to `batch` of
// them (`ceiling-batched`). The comparison is steady-compare.ts. No DOM here.

import type { BenchOp, CeilingSideResult, IoPattern, SideResult } from './bench-contracts.ts';
import {
  AIO_BATCH_MAX,
  DEFAULT_AIO_CONFIG,
  FAITHFUL_AIO_CONFIG,
  type AioConfig,
} from '../../app/shared/block/aio-config.ts';
import { checkChunkSize, checkVirtualSize } from '../../app/shared/block/image-format.ts';
import type { PoolPolicyName } from '../../app/shared/pool/pool-config.ts';
import { ParamChecker } from './check.ts';

/** The operations, assigned round-robin to vCPUs (steady) and to plain workers (ceiling). */
export const STEADY_OPS: readonly { name: string; op: BenchOp; pattern: IoPattern }[] = [
  { name: 'randread', op: 'read', pattern: 'random' },
  { name: 'randwrite', op: 'write', pattern: 'random' },
  { name: 'seqread', op: 'read', pattern: 'sequential' },
  { name: 'seqwrite', op: 'write', pattern: 'sequential' },
];

/** All operations at once, one worker each (one timed run); or each operation alone, one worker
 *  doing only it (a timed run per operation). */
export const STEADY_MIXES = ['all', 'alone'] as const;
export type SteadyMix = (typeof STEADY_MIXES)[number];

/**
 * How the emulator's AIO layer runs a steady case: `batched` — up to aio.batch (32) requests per
 * transaction and the device's merging, no page cache, so it meets IndexedDB on every request as
 * the ceilings do; `faithful` — one request per transaction (FAITHFUL_AIO_CONFIG, the path the
 * `ceiling` models); `cached` — the defaults with the page cache (cache=writeback), random writes
 * alone with a flush every `cachedFlushEvery` writes.
 */
export const STEADY_AIO_MODES = ['batched', 'faithful', 'cached'] as const;
export type SteadyAioMode = (typeof STEADY_AIO_MODES)[number];

export function aioConfigOf(mode: SteadyAioMode): AioConfig {
  if (mode === 'faithful') return { ...FAITHFUL_AIO_CONFIG };
  if (mode === 'cached') return { ...DEFAULT_AIO_CONFIG };
  return { ...DEFAULT_AIO_CONFIG, pageCache: false };
}

export type CeilingScenario = 'ceiling' | 'ceiling-batched';

export interface SteadyParams {
  /** `steady` only: the pool policies to run under (not `inline`; see checkSteadyParams). */
  policies: PoolPolicyName[];
  /** `steady` only: the AIO modes, one set of cases each (`cached`: one case, random writes). */
  aio: SteadyAioMode[];
  /** `steady` only: the `cached` case flushes after every this many writes. */
  cachedFlushEvery: number;
  /** All operations at once, each alone, or both (every scenario; `cached` is always alone). */
  mixes: SteadyMix[];
  /** Ceilings only: requests per transaction at most, one set of cases each (`ceiling`: 1). */
  batch: number[];
  /** vCPUs (steady) or plain workers (ceiling), one operation each. */
  vcpus: number;
  /** Requests in flight per operation; one case per value. */
  iodepth: number[];
  /** Request size of the random and of the sequential operations (bytes). */
  randomBs: number;
  sequentialBs: number;
  /** Timed part of each case, after an untimed warm-up (steady: and the pool's growth). */
  runtimeMs: number;
  warmupMs: number;
  imageBytes: number;
  chunkSize: number;
  /** `steady` only: prealloc's minThreads, and the pool's maximum. */
  minThreads: number;
  maxThreads: number;
  seed: number;
  /** How long the pool's growth or a run may go without the machine moving before it is called
   *  a hang. */
  timeoutMs: number;
}

export const STEADY_DEFAULTS: Readonly<SteadyParams> = {
  policies: ['bh'],
  aio: ['batched', 'faithful', 'cached'],
  cachedFlushEvery: 1000,
  mixes: ['all', 'alone'],
  batch: [1],
  vcpus: 4,
  iodepth: [32],
  randomBs: 4096,
  sequentialBs: 32768,
  runtimeMs: 3000,
  warmupMs: 1000,
  imageBytes: 32 << 20,
  chunkSize: 32768,
  minThreads: 8,
  maxThreads: 64,
  seed: 1,
  timeoutMs: 30_000,
};

/**
 * `ceiling-batched`'s requests per transaction, "as many as help": each operation's figure is the
 * best of these. In short runs here (iodepth 32; docs/runs/issue-11-short-runs.md) 4 was worse than 1 and 8
 * never the best; 16 won the reads alone and all four at once in one run, 32 everything in
 * another and the writes alone in both. Above 32 nothing changes: only 32 are in flight.
 */
export const CEILING_BATCH_DEFAULT = [16, 32];

export function steadyDefaults(scenario: 'steady' | CeilingScenario): Readonly<SteadyParams> {
  return scenario === 'ceiling-batched'
    ? { ...STEADY_DEFAULTS, batch: [...CEILING_BATCH_DEFAULT] }
    : STEADY_DEFAULTS;
}

export function checkSteadyParams(
  input: unknown = {},
  scenario: 'steady' | CeilingScenario = 'steady',
): SteadyParams {
  const c = new ParamChecker(scenario);
  const p = c.merge(steadyDefaults(scenario), input);
  const policies = c.list('policies', p.policies, (v) => c.policy(v));
  if (policies.includes('inline')) {
    c.fail(
      'policy inline is not measured in the steady state: the warm-up ends by restarting the ' +
        'vCPUs, and under inline the workers a vCPU created die with its thread',
    );
  }
  const vcpus = c.vcpus('vcpus', p.vcpus);
  const chunkSize = checkChunkSize(p.chunkSize);
  const imageBytes = checkVirtualSize(p.imageBytes);
  const randomBs = c.bs('randomBs', p.randomBs);
  const sequentialBs = c.bs('sequentialBs', p.sequentialBs);
  const iodepth = c.list('iodepth', p.iodepth, (v) => c.int('iodepth', v, 1, 128));
  const share = regionBytesOf(imageBytes, vcpus, chunkSize);
  for (const bs of [randomBs, sequentialBs]) {
    if (share < bs * Math.max(...iodepth) || share % bs !== 0) {
      c.fail(
        `each of the ${vcpus} regions of the image (${share} bytes) must hold iodepth ` +
          `${Math.max(...iodepth)} requests of ${bs} bytes, a whole number of them`,
      );
    }
  }
  const maxThreads = c.int('maxThreads', p.maxThreads, 1, 128);
  const aio = c.list('aio', p.aio, (v) => c.oneOf('aio', v, STEADY_AIO_MODES));
  const mixes = c.list('mixes', p.mixes, (v) => c.oneOf('mix', v, STEADY_MIXES));
  const batch =
    scenario === 'ceiling-batched'
      ? c.list('batch', p.batch, (v) => c.int('batch', v, 2, AIO_BATCH_MAX))
      : c.list('batch', p.batch, (v) =>
          v === 1
            ? 1
            : c.fail(
                `batch ${JSON.stringify(v)}: ${scenario} runs one request per transaction ` +
                  '(ceiling-batched takes batch)',
              ),
        );
  if (scenario === 'steady' && aio.includes('cached') && vcpus < 2) {
    c.fail(
      'aio mode cached runs the random writes (the 2nd operation): it needs vcpus 2 or more ' +
        '(or aio without cached)',
    );
  }
  return {
    policies,
    aio,
    cachedFlushEvery: c.int('cachedFlushEvery', p.cachedFlushEvery, 1, 1_000_000),
    mixes,
    batch,
    vcpus,
    iodepth,
    randomBs,
    sequentialBs,
    runtimeMs: c.runtimeMs(p.runtimeMs),
    warmupMs: c.warmupMs(p.warmupMs),
    imageBytes,
    chunkSize,
    minThreads: c.int('minThreads', p.minThreads, 1, maxThreads),
    maxThreads,
    seed: c.seed(p.seed),
    timeoutMs: c.timeoutMs(p.timeoutMs),
  };
}

/** Each worker's region: an equal share of the image, whole chunks. */
export function regionBytesOf(imageBytes: number, vcpus: number, chunkSize: number): number {
  return Math.floor(imageBytes / vcpus / chunkSize) * chunkSize;
}

/** What worker (vCPU) `index` does. */
export interface SteadyLane {
  index: number;
  name: string;
  op: BenchOp;
  pattern: IoPattern;
  bs: number;
  iodepth: number;
  regionOffset: number;
  regionBytes: number;
}

export function steadyLanes(p: SteadyParams, iodepth: number): SteadyLane[] {
  const regionBytes = regionBytesOf(p.imageBytes, p.vcpus, p.chunkSize);
  return Array.from({ length: p.vcpus }, (_, index) => {
    const { name, op, pattern } = STEADY_OPS[index % STEADY_OPS.length];
    const bs = pattern === 'random' ? p.randomBs : p.sequentialBs;
    return {
      index,
      name,
      op,
      pattern,
      bs,
      iodepth,
      regionOffset: index * regionBytes,
      regionBytes,
    };
  });
}

/**
 * The timed runs of a mix: all lanes in one run, or one run per operation (the first lane of
 * each: with more workers than operations, the others repeat them).
 */
export function runsOf(lanes: readonly SteadyLane[], mix: SteadyMix): SteadyLane[][] {
  if (mix === 'all') return [[...lanes]];
  return lanes.slice(0, STEADY_OPS.length).map((lane) => [lane]);
}

export interface LaneResult extends SteadyLane {
  result: SideResult;
}

export interface CeilingLaneResult extends SteadyLane {
  result: CeilingSideResult;
}

/** The AIO layer over a steady case's timed run: differences of stats() before and after. */
export interface AioDelta {
  /** The timed run: its longest lane's runtime. */
  elapsedMs: number;
  readTransactions: number;
  readRequests: number;
  /** Relaxed write transactions and the requests they carried. */
  writeTransactions: number;
  writeRequests: number;
  /** Durable commits: flushes and the page cache's writebacks (two each). */
  durableTransactions: number;
  /** Requests the device merged into a neighbour (rd_merged, wr_merged); flushes completed. */
  rdMerged: number;
  wrMerged: number;
  flushes: number;
  pageCache: { hits: number; misses: number; evictions: number; writtenBack: number };
}

/** One timed run of the emulator: a machine with a vCPU per lane. */
export interface SteadyCase {
  policy: PoolPolicyName;
  iodepth: number;
  aio: SteadyAioMode;
  aioConfig: AioConfig;
  mix: SteadyMix;
  /** The guest flushes after every this many writes (0: never). */
  flushEvery: number;
  transactions: AioDelta;
  /** The pool over the timed part: workers at its start and end, created during it. */
  pool: {
    threadsAtStart: number;
    threadsAtEnd: number;
    spawnedDuringRun: number;
    curHighWater: number;
  };
  lanes: LaneResult[];
}

export interface SteadyResult {
  scenario: 'steady';
  params: SteadyParams;
  image: string;
  /** Untimed: random bytes written to the whole image first. */
  prefillMs: number;
  startedAt: string;
  elapsedMs: number;
  /** policy × iodepth × aio mode × mix (× operation, alone), in that order. */
  cases: SteadyCase[];
}

/** One timed run of plain workers: a worker per lane, up to `batch` requests per transaction. */
export interface CeilingCase {
  batch: number;
  iodepth: number;
  mix: SteadyMix;
  lanes: CeilingLaneResult[];
}

export interface CeilingResult {
  scenario: CeilingScenario;
  params: SteadyParams;
  image: string;
  worker: string;
  prefillMs: number;
  startedAt: string;
  elapsedMs: number;
  /** batch × iodepth × mix (× operation, alone), in that order. */
  cases: CeilingCase[];
}
