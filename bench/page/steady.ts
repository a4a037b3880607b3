// The `steady` scenario: a machine whose vCPUs each run one operation (steady-params.ts) with
// `iodepth` requests in flight — all operations at once, or a machine per operation alone —
// under each AIO mode, measured once the pool has stopped growing. The warm-up is a run stopped
// after warmupMs; the pool then finishes growing; the timed run starts on new vCPU threads and
// keeps the pool (its workers belong to the page under bh and prealloc). The AIO layer's
// transactions over the timed run are the difference of stats() before and after it.

import { Machine } from '../../app/machine/machine.ts';
import type { MachineStats } from '../../app/machine/machine-stats.ts';
import type { SideResult } from '../shared/bench-contracts.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';
import type { GuestJob, JobKind, JobReport } from '../../app/shared/guest/guest-job.ts';
import type { PoolPolicyName } from '../../app/shared/pool/pool-config.ts';
import { prefillImage, withFreshImage } from './bench-images.ts';
import { ramBytesFor, untilPoolSettled, whileMoving } from './bench-machine.ts';
import { progress } from '../shared/progress.ts';
import {
  aioConfigOf,
  checkSteadyParams,
  runsOf,
  steadyLanes,
  type AioDelta,
  type SteadyAioMode,
  type SteadyCase,
  type SteadyLane,
  type SteadyMix,
  type SteadyParams,
  type SteadyResult,
} from '../shared/steady-params.ts';

const PREFIX = 'bench-steady-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSteady(input: Partial<SteadyParams> = {}): Promise<SteadyResult> {
  const params = checkSteadyParams(input, 'steady');
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  return withFreshImage(PREFIX, 'emu', params.imageBytes, params.chunkSize, async (image) => {
    progress(`steady: prefilling ${params.imageBytes >> 20} MiB (untimed)`);
    const prefillMs = await prefillImage(image, params.imageBytes, params.chunkSize, params.seed);
    const cases: SteadyCase[] = [];
    for (const policy of params.policies) {
      for (const iodepth of params.iodepth) {
        const lanes = steadyLanes(params, iodepth);
        for (const aio of params.aio) {
          if (aio === 'cached') {
            // Random writes alone, flushed every cachedFlushEvery writes.
            const writes = lanes.filter((l) => l.name === 'randwrite').slice(0, 1);
            const run = { aio, mix: 'alone' as const, flushEvery: params.cachedFlushEvery };
            cases.push(await steadyCase(params, image, policy, writes, run));
            continue;
          }
          for (const mix of params.mixes) {
            for (const run of runsOf(lanes, mix)) {
              cases.push(await steadyCase(params, image, policy, run, { aio, mix, flushEvery: 0 }));
            }
          }
        }
      }
    }
    return {
      scenario: 'steady',
      params,
      image,
      prefillMs,
      startedAt,
      elapsedMs: nowMs() - t0,
      cases,
    };
  });
}

function guestJob(lane: SteadyLane, p: SteadyParams, flushEvery: number): GuestJob {
  const kind: Record<string, JobKind> = {
    'random read': 'randread',
    'random write': 'randwrite',
    'sequential read': 'read',
    'sequential write': 'write',
  };
  return {
    rw: kind[`${lane.pattern} ${lane.op}`],
    bs: lane.bs,
    iodepth: lane.iodepth,
    offset: lane.regionOffset,
    size: lane.regionBytes,
    runtimeMs: p.runtimeMs,
    seed: p.seed + lane.index,
    ...(flushEvery > 0 ? { flushEvery } : {}),
  };
}

function sideOf(job: JobReport, warm: JobReport | undefined, warmupMs: number): SideResult {
  return {
    ops: job.ios,
    bytes: job.bytes,
    elapsedMs: job.runtimeMs,
    iops: job.iops,
    mbPerS: job.bw / 1e6,
    latencyUs: job.lat,
    warmupMs,
    warmupOps: warm?.ios ?? 0,
  };
}

/** The AIO layer's counters over a timed run: `after` minus `before`. */
function aioDelta(before: MachineStats, after: MachineStats, elapsedMs: number): AioDelta {
  const a = after.aio;
  const b = before.aio;
  return {
    elapsedMs,
    readTransactions: a.read_transactions - b.read_transactions,
    readRequests: a.read_transaction_requests - b.read_transaction_requests,
    writeTransactions: a.write_transactions - b.write_transactions,
    writeRequests: a.write_transaction_requests - b.write_transaction_requests,
    durableTransactions: a.durable_transactions - b.durable_transactions,
    rdMerged: after.rd_merged - before.rd_merged,
    wrMerged: after.wr_merged - before.wr_merged,
    flushes: after.flush_operations - before.flush_operations,
    pageCache: {
      hits: a.page_cache.hits - b.page_cache.hits,
      misses: a.page_cache.misses - b.page_cache.misses,
      evictions: a.page_cache.evictions - b.page_cache.evictions,
      writtenBack: a.page_cache.written_back - b.page_cache.written_back,
    },
  };
}

/** A machine with one vCPU per lane (lane i on vCPU i), warmed up, then timed. */
async function steadyCase(
  p: SteadyParams,
  image: string,
  policy: PoolPolicyName,
  lanes: readonly SteadyLane[],
  run: { aio: SteadyAioMode; mix: SteadyMix; flushEvery: number },
): Promise<SteadyCase> {
  const iodepth = lanes[0].iodepth;
  const what =
    run.mix === 'all'
      ? 'at once'
      : `alone${run.flushEvery ? `, flush every ${run.flushEvery}` : ''}`;
  const label = `steady ${policy} ${run.aio} iodepth ${iodepth} ${lanes.map((l) => l.name).join(', ')} ${what}`;
  const aioConfig = aioConfigOf(run.aio);
  const m = await Machine.create({
    image,
    vcpus: lanes.length,
    ramBytes: ramBytesFor(lanes.length, iodepth, Math.max(...lanes.map((l) => l.bs))),
    pool: {
      policy,
      minThreads: policy === 'prealloc' ? p.minThreads : 0,
      maxThreads: p.maxThreads,
    },
    aio: aioConfig,
    jobs: lanes.map((lane) => guestJob(lane, p, run.flushEvery)),
  });
  try {
    progress(`${label}: warm-up`);
    const tWarm = nowMs();
    await m.start();
    await sleep(p.warmupMs);
    await whileMoving(m, m.stop(), p.timeoutMs, 'stop() after the warm-up');
    const warm = await m.done();
    await untilPoolSettled(m, p.timeoutMs, 'the pool stops growing after the warm-up');
    const warmupMs = nowMs() - tWarm;
    const beforeStats = m.stats();
    const before = beforeStats.pool;
    progress(
      `${label}: pool of ${before.cur_threads} after a ${warmupMs.toFixed(0)} ms warm-up; ` +
        `${p.runtimeMs} ms timed`,
    );
    await m.start();
    const report = await whileMoving(m, m.done(), p.timeoutMs, 'the timed run');
    const afterStats = m.stats();
    const after = afterStats.pool;
    const jobOf = (i: number, r: typeof report) => r.jobs.find((j) => j.vcpu === i);
    const elapsedMs = Math.max(...lanes.map((_, i) => jobOf(i, report)?.runtimeMs ?? 0));
    const result: SteadyCase = {
      policy,
      iodepth,
      aio: run.aio,
      aioConfig,
      mix: run.mix,
      flushEvery: run.flushEvery,
      transactions: aioDelta(beforeStats, afterStats, elapsedMs),
      pool: {
        threadsAtStart: before.cur_threads,
        threadsAtEnd: after.cur_threads,
        spawnedDuringRun: after.spawned - before.spawned,
        curHighWater: after.cur_high_water,
      },
      lanes: lanes.map((lane, i) => {
        const job = jobOf(i, report);
        if (!job) throw new Error(`${label}: no report from vCPU ${i}`);
        return { ...lane, result: sideOf(job, jobOf(i, warm), warmupMs) };
      }),
    };
    progress(
      `${label}: ` +
        result.lanes.map((l) => `${l.name} ${l.result.iops.toFixed(0)} IOPS`).join(', '),
    );
    return result;
  } finally {
    await whileMoving(m, m.destroy(), p.timeoutMs, `${label}: destroy()`);
  }
}
