// Results of the steady and ceiling scenarios made up for the unit tests of the comparison and
// the targets: only the figures they read are meaningful.

import type { CeilingSideResult, SideResult } from './bench-contracts.ts';
import type { LatencySummary } from '../../app/shared/stats/histogram.ts';
import {
  aioConfigOf,
  checkSteadyParams,
  runsOf,
  steadyLanes,
  type AioDelta,
  type CeilingResult,
  type SteadyAioMode,
  type SteadyCase,
  type SteadyLane,
  type SteadyMix,
  type SteadyResult,
} from './steady-params.ts';

const latency = (p50: number, p99 = p50 * 2): LatencySummary => ({
  count: 100,
  min: p50 / 2,
  avg: p50,
  p50,
  p90: p99,
  p99,
  p999: p99,
  max: p99,
});

/** `iops` over one second. */
export const side = (iops: number, bs: number, p50 = 1000): SideResult => ({
  ops: iops,
  bytes: iops * bs,
  elapsedMs: 1000,
  iops,
  mbPerS: (iops * bs) / 1e6,
  latencyUs: latency(p50),
  warmupMs: 100,
  warmupOps: 10,
});

export const noTransactions = (elapsedMs = 1000): AioDelta => ({
  elapsedMs,
  readTransactions: 0,
  readRequests: 0,
  writeTransactions: 0,
  writeRequests: 0,
  durableTransactions: 0,
  rdMerged: 0,
  wrMerged: 0,
  flushes: 0,
  pageCache: { hits: 0, misses: 0, evictions: 0, writtenBack: 0 },
});

const params = checkSteadyParams({});
const lanes = steadyLanes(params, 32);

/** The default lanes of a mix: one run of four, or four runs of one. */
export const runs = (mix: SteadyMix): SteadyLane[][] => runsOf(lanes, mix);

/** A steady case of `run`, each lane at `iops(name)`. */
export function steadyCase(
  aio: SteadyAioMode,
  mix: SteadyMix,
  run: readonly SteadyLane[],
  iops: (name: string) => number,
  transactions: Partial<AioDelta> = {},
  flushEvery = 0,
): SteadyCase {
  return {
    policy: 'bh',
    iodepth: 32,
    aio,
    aioConfig: aioConfigOf(aio),
    mix,
    flushEvery,
    transactions: { ...noTransactions(), ...transactions },
    pool: { threadsAtStart: 64, threadsAtEnd: 64, spawnedDuringRun: 0, curHighWater: 64 },
    lanes: run.map((l) => ({ ...l, result: side(iops(l.name), l.bs) })),
  };
}

export function steadyResult(cases: SteadyCase[]): SteadyResult {
  return {
    scenario: 'steady',
    params,
    image: 'bench-steady-test',
    prefillMs: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedMs: 1,
    cases,
  };
}

/** A ceiling's cases: per batch and mix, each lane at `iops(name, batch)`, `batch` per tx. */
export function ceilingResult(
  scenario: CeilingResult['scenario'],
  batches: number[],
  mixes: SteadyMix[],
  iops: (name: string, batch: number, mix: SteadyMix) => number,
): CeilingResult {
  const cases = batches.flatMap((batch) =>
    mixes.flatMap((mix) =>
      runs(mix).map((run) => ({
        batch,
        iodepth: 32,
        mix,
        lanes: run.map((l) => {
          const s = side(iops(l.name, batch, mix), l.bs);
          const result: CeilingSideResult = { ...s, transactions: Math.ceil(s.ops / batch) };
          return { ...l, result };
        }),
      })),
    ),
  );
  return {
    scenario,
    params: { ...params, batch: batches },
    image: 'bench-ceiling-test',
    worker: 'made up',
    prefillMs: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedMs: 1,
    cases,
  };
}
