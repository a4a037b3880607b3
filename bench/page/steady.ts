// The `steady` scenario: a machine whose vCPUs each run one operation (steady-params.ts) with
// `iodepth` requests in flight, measured once the pool has stopped growing. The warm-up is a run
// stopped after warmupMs; the pool then finishes growing; the timed run starts on new vCPU
// threads and keeps the pool (its workers belong to the page under bh and prealloc).

import { Machine } from '../../app/machine.ts';
import type { SideResult } from '../shared/bench-contracts.ts';
import { nowMs } from '../../app/shared/clock.ts';
import type { GuestJob, JobKind, JobReport } from '../../app/shared/guest-job.ts';
import type { PoolPolicyName } from '../../app/shared/thread-pool.ts';
import {
  deleteIfPresent,
  freshImage,
  freshImageName,
  prefillImage,
  sweepImages,
} from './bench-images.ts';
import { deadline, poolDetail, until } from './burst.ts';
import { progress } from '../shared/progress.ts';
import {
  checkSteadyParams,
  steadyLanes,
  type SteadyCase,
  type SteadyLane,
  type SteadyParams,
  type SteadyResult,
} from '../shared/steady-params.ts';

const PREFIX = 'bench-steady-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSteady(input: Partial<SteadyParams> = {}): Promise<SteadyResult> {
  const params = checkSteadyParams(input, 'steady');
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  await sweepImages(PREFIX);
  const image = freshImageName(PREFIX, 'emu');
  await freshImage(image, params.imageBytes, params.chunkSize);
  try {
    progress(`steady: prefilling ${params.imageBytes >> 20} MiB (untimed)`);
    const prefillMs = await prefillImage(image, params.imageBytes, params.chunkSize, params.seed);
    const cases: SteadyCase[] = [];
    for (const policy of params.policies) {
      for (const iodepth of params.iodepth) {
        cases.push(await steadyCase(params, image, policy, iodepth));
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
  } finally {
    await deleteIfPresent(image).catch((e: unknown) => console.warn(`bench: ${String(e)}`));
  }
}

function guestJob(lane: SteadyLane, p: SteadyParams): GuestJob {
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
  };
}

/** Guest RAM for `vcpus` guests of `iodepth` x `bs` buffers, with room for their queues. */
function ramBytesFor(vcpus: number, iodepth: number, bs: number): number {
  const perVcpu = iodepth * bs * 2 + (2 << 20);
  const bytes = Math.ceil((vcpus * perVcpu) / (1 << 20)) << 20;
  return Math.min(1 << 30, Math.max(32 << 20, bytes));
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

async function steadyCase(
  p: SteadyParams,
  image: string,
  policy: PoolPolicyName,
  iodepth: number,
): Promise<SteadyCase> {
  const lanes = steadyLanes(p, iodepth);
  const label = `steady ${policy} iodepth ${iodepth}`;
  const m = await Machine.create({
    image,
    vcpus: p.vcpus,
    ramBytes: ramBytesFor(p.vcpus, iodepth, Math.max(p.randomBs, p.sequentialBs)),
    pool: {
      policy,
      minThreads: policy === 'prealloc' ? p.minThreads : 0,
      maxThreads: p.maxThreads,
    },
    jobs: lanes.map((lane) => guestJob(lane, p)),
  });
  try {
    const { ctl } = m;
    const settled = () =>
      Atomics.load(ctl.i32, ctl.L.pool.newThreads) +
        Atomics.load(ctl.i32, ctl.L.pool.pendingThreads) ===
      0;
    progress(`${label}: ${lanes.map((l) => l.name).join(', ')}; warm-up`);
    const tWarm = nowMs();
    await m.start();
    await sleep(p.warmupMs);
    await deadline(m.stop(), p.timeoutMs, 'stop() after the warm-up', () => poolDetail(m));
    const warm = await m.done();
    await until(settled, p.timeoutMs, 'the pool stops growing after the warm-up', () =>
      poolDetail(m),
    );
    const warmupMs = nowMs() - tWarm;
    const before = m.stats().pool;
    progress(
      `${label}: pool of ${before.cur_threads} after a ${warmupMs.toFixed(0)} ms warm-up; ` +
        `${p.runtimeMs} ms timed`,
    );
    await m.start();
    const report = await deadline(m.done(), p.runtimeMs + p.timeoutMs, 'the timed run', () =>
      poolDetail(m),
    );
    const after = m.stats().pool;
    const result: SteadyCase = {
      policy,
      iodepth,
      pool: {
        threadsAtStart: before.cur_threads,
        threadsAtEnd: after.cur_threads,
        spawnedDuringRun: after.spawned - before.spawned,
        curHighWater: after.cur_high_water,
      },
      lanes: lanes.map((lane) => {
        const job = report.jobs.find((j) => j.vcpu === lane.index);
        if (!job) throw new Error(`${label}: no report from vCPU ${lane.index}`);
        const w = warm.jobs.find((j) => j.vcpu === lane.index);
        return { ...lane, result: sideOf(job, w, warmupMs) };
      }),
    };
    progress(
      `${label}: ` +
        result.lanes.map((l) => `${l.name} ${l.result.iops.toFixed(0)} IOPS`).join(', '),
    );
    return result;
  } finally {
    await deadline(m.destroy(), p.timeoutMs, `${label}: destroy()`, () => poolDetail(m));
  }
}
