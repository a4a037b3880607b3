// The `steady` and `ceiling` scenarios' parameters, layout and results: N workers, each doing one
// operation (random 4 KiB reads, random 4 KiB writes, sequential 32 KiB reads, sequential 32 KiB
// writes, round-robin) on its own region of an image, all at once — through the emulator's vCPUs
// (`steady`), and straight with idb-keyval from N plain workers (`ceiling`). No DOM here.

import type { BenchOp, IoPattern, SideResult } from './bench-contracts.ts';
import { checkChunkSize, checkVirtualSize } from '../../app/shared/image-format.ts';
import type { PoolPolicyName } from '../../app/shared/thread-pool.ts';
import { ParamChecker, WARMUP_MS_MAX } from './check.ts';
import { ratioOf } from './cold-burst-params.ts';

/** The operations, assigned round-robin to vCPUs (steady) and to plain workers (ceiling). */
export const STEADY_OPS: readonly { name: string; op: BenchOp; pattern: IoPattern }[] = [
  { name: 'randread', op: 'read', pattern: 'random' },
  { name: 'randwrite', op: 'write', pattern: 'random' },
  { name: 'seqread', op: 'read', pattern: 'sequential' },
  { name: 'seqwrite', op: 'write', pattern: 'sequential' },
];

export interface SteadyParams {
  /** `steady` only: the pool policies to run under (not `inline`; see checkSteadyParams). */
  policies: PoolPolicyName[];
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
  /** Longest wait for the pool to stop growing and for a run to end after its runtime. */
  timeoutMs: number;
}

export const STEADY_DEFAULTS: Readonly<SteadyParams> = {
  policies: ['bh'],
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

export function checkSteadyParams(
  input: unknown = {},
  scenario: 'steady' | 'ceiling' = 'steady',
): SteadyParams {
  const c = new ParamChecker(scenario);
  const p = c.merge(STEADY_DEFAULTS, input);
  const policies = c.list('policies', p.policies, (v) => c.policy(v));
  if (policies.includes('inline')) {
    c.fail(
      'policy inline is not measured in the steady state: the warm-up ends by restarting the ' +
        'vCPUs, and under inline the workers a vCPU created die with its thread',
    );
  }
  const vcpus = c.int('vcpus', p.vcpus, 1, 16);
  const chunkSize = checkChunkSize(p.chunkSize);
  const imageBytes = checkVirtualSize(p.imageBytes);
  const randomBs = c.pow2('randomBs', p.randomBs, 512, 65536);
  const sequentialBs = c.pow2('sequentialBs', p.sequentialBs, 512, 65536);
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
  return {
    policies,
    vcpus,
    iodepth,
    randomBs,
    sequentialBs,
    runtimeMs: c.runtimeMs(p.runtimeMs),
    warmupMs: c.int('warmupMs', p.warmupMs, 0, WARMUP_MS_MAX),
    imageBytes,
    chunkSize,
    minThreads: c.int('minThreads', p.minThreads, 1, maxThreads),
    maxThreads,
    seed: c.int('seed', p.seed, 0, 2 ** 31 - 1),
    timeoutMs: c.int('timeoutMs', p.timeoutMs, 1000, 600_000),
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

export interface LaneResult extends SteadyLane {
  result: SideResult;
}

export interface SteadyCase {
  policy: PoolPolicyName;
  iodepth: number;
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
  /** policy × iodepth, in that order. */
  cases: SteadyCase[];
}

export interface CeilingResult {
  scenario: 'ceiling';
  params: SteadyParams;
  image: string;
  worker: string;
  prefillMs: number;
  startedAt: string;
  elapsedMs: number;
  cases: { iodepth: number; lanes: LaneResult[] }[];
}

interface Figures {
  iops: number;
  mbPerS: number;
  p50: number;
  p99: number;
}

export interface SteadyComparisonRow {
  policy: PoolPolicyName;
  iodepth: number;
  lane: string;
  bs: number;
  emulator: Figures;
  ceiling: Figures;
  /** emulator / ceiling (null where the ceiling's figure is 0). */
  ratio: { iops: number | null; mbPerS: number | null; p50: number | null; p99: number | null };
}

const figures = (s: SideResult): Figures => ({
  iops: s.iops,
  mbPerS: s.mbPerS,
  p50: s.latencyUs.p50,
  p99: s.latencyUs.p99,
});

/** Each steady lane against the ceiling lane of the same index and iodepth. */
export function compareSteady(steady: SteadyResult, ceiling: CeilingResult): SteadyComparisonRow[] {
  return steady.cases.flatMap((sc) => {
    const cc = ceiling.cases.find((c) => c.iodepth === sc.iodepth);
    if (!cc) return [];
    return sc.lanes.flatMap((lane) => {
      const base = cc.lanes.find((l) => l.index === lane.index && l.name === lane.name);
      if (!base) return [];
      const e = figures(lane.result);
      const b = figures(base.result);
      return [
        {
          policy: sc.policy,
          iodepth: sc.iodepth,
          lane: lane.name,
          bs: lane.bs,
          emulator: e,
          ceiling: b,
          ratio: {
            iops: ratioOf(e.iops, b.iops),
            mbPerS: ratioOf(e.mbPerS, b.mbPerS),
            p50: ratioOf(e.p50, b.p50),
            p99: ratioOf(e.p99, b.p99),
          },
        },
      ];
    });
  });
}
