// The `machine` scenario (page side): (a) a verify run of many vCPUs with mixed block sizes, as
// the machine reports it; (b) per policy, the same burst on a cold pool and then on the warm
// pool of the same machine (the warm run starts on new vCPU threads; the pool's workers, created
// by the page, stay).

import { Machine } from '../../app/machine/machine.ts';
import { FAITHFUL_AIO_CONFIG } from '../../app/shared/block/aio-config.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';
import type { GuestJob } from '../../app/shared/guest/guest-job.ts';
import type { PoolPolicyName } from '../../app/shared/pool/pool-config.ts';
import { freshImage, freshImageName, prefillImage, sweepImages } from './bench-images.ts';
import { ramBytesFor, untilPreallocated, withMachine } from './bench-machine.ts';
import { measureBurst } from './burst.ts';
import { burstJobs } from './cold-burst.ts';
import {
  checkMachineBenchParams,
  coldWarmRatio,
  type ColdWarmResult,
  type MachineBenchParams,
  type MachineBenchResult,
  type VerifyRunResult,
} from '../shared/machine-bench-params.ts';
import { progress } from '../shared/progress.ts';

const PREFIX = 'bench-machine-';
const CHUNK_SIZE = 32768;

export async function runMachineBench(
  input: Partial<MachineBenchParams> = {},
): Promise<MachineBenchResult> {
  const params = checkMachineBenchParams(input);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  await sweepImages(PREFIX);
  const verify = await verifyRun(params);
  const coldWarm: ColdWarmResult[] = [];
  for (const policy of params.policies) coldWarm.push(await coldWarmRun(params, policy));
  return { scenario: 'machine', params, startedAt, elapsedMs: nowMs() - t0, verify, coldWarm };
}

async function verifyRun(p: MachineBenchParams): Promise<VerifyRunResult> {
  const image = freshImageName(PREFIX, 'verify');
  await freshImage(image, p.imageBytes, CHUNK_SIZE);
  const ios = Math.ceil(p.verifyIos / p.vcpus);
  const jobs: GuestJob[] = Array.from({ length: p.vcpus }, (_, v) => ({
    rw: 'randrw',
    bs: p.verifyBs[v % p.verifyBs.length],
    iodepth: p.verifyIodepth,
    ios,
    verify: true,
    seed: p.seed + v,
  }));
  const sizes = [...new Set(jobs.map((j) => j.bs / 1024))].join('/');
  progress(
    `machine (a): ${p.vcpus} vCPUs, randrw with verify, ${sizes} KiB, iodepth ` +
      `${p.verifyIodepth}, ${ios * p.vcpus} requests`,
  );
  const t0 = nowMs();
  return withMachine(
    image,
    p.timeoutMs,
    () =>
      Machine.create({
        image,
        vcpus: p.vcpus,
        ramBytes: ramBytesFor(p.vcpus, p.verifyIodepth, Math.max(...p.verifyBs)),
        pool: {
          policy: p.verifyPolicy,
          minThreads: p.verifyPolicy === 'prealloc' ? p.minThreads : 0,
        },
        jobs,
      }),
    async (m) => {
      await m.start();
      const report = await m.done();
      const s = m.stats();
      const t = report.total;
      progress(
        `machine (a): ${t.ios} requests in ${(nowMs() - t0).toFixed(0)} ms, verify ` +
          `${t.verify.checked} sectors checked, ${t.verify.errors} errors`,
      );
      return {
        image,
        vcpus: p.vcpus,
        policy: p.verifyPolicy,
        elapsedMs: nowMs() - t0,
        report,
        pool: { spawned: s.pool.spawned, curHighWater: s.pool.cur_high_water },
      };
    },
  );
}

async function coldWarmRun(p: MachineBenchParams, policy: PoolPolicyName): Promise<ColdWarmResult> {
  const image = freshImageName(PREFIX, `burst-${policy}`);
  const burstRegionBytes = Math.max(
    CHUNK_SIZE,
    Math.ceil((p.burst * p.bs * 4) / CHUNK_SIZE) * CHUNK_SIZE,
  );
  await freshImage(image, p.imageBytes, CHUNK_SIZE);
  await prefillImage(image, burstRegionBytes, CHUNK_SIZE, p.seed);
  const label = `machine (b) ${policy}`;
  const minThreads = policy === 'prealloc' ? p.minThreads : 0;
  return withMachine(
    image,
    p.timeoutMs,
    () =>
      Machine.create({
        image,
        vcpus: p.burstVcpus,
        pool: { policy, minThreads, idleTimeoutMs: p.idleTimeoutMs },
        aio: FAITHFUL_AIO_CONFIG,
        jobs: burstJobs({ ...p, vcpus: p.burstVcpus, burstRegionBytes }),
      }),
    async (m) => {
      if (minThreads > 0) await untilPreallocated(m, minThreads, p.timeoutMs);
      const options = {
        vcpu: 0,
        burst: p.burst,
        runtimeMs: p.runtimeMs,
        timeoutMs: p.timeoutMs,
        stopAfterSubmit: false,
      };
      progress(`${label}: burst of ${p.burst} on a cold pool`);
      const cold = await measureBurst(m, options);
      if (cold.error) throw new Error(`${label}, cold: ${cold.error}`);
      progress(
        `${label}: the same burst on the pool it grew (${cold.stats.pool.cur_threads} workers)`,
      );
      const warm = await measureBurst(m, options);
      if (warm.error) throw new Error(`${label}, warm: ${warm.error}`);
      const result = {
        policy,
        cold: cold.measure,
        warm: warm.measure,
        ratio: coldWarmRatio(cold.measure, warm.measure),
      };
      const us = (v: number) => `${v.toFixed(0)} µs`;
      progress(
        `${label}: vCPU 0 stall p50/p99 cold ${us(result.cold.stallUs.p50)}/` +
          `${us(result.cold.stallUs.p99)}, warm ${us(result.warm.stallUs.p50)}/` +
          `${us(result.warm.stallUs.p99)}`,
      );
      return result;
    },
  );
}
