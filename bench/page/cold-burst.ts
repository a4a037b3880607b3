// The `cold-burst` scenario: for each trial, kick mode and pool policy, a fresh image and a fresh
// machine whose pool is empty (prealloc: minThreads ready), all in this one page; vCPU 0 submits
// a burst of random reads at once while the other vCPUs compute with light I/O. `inline-stop` is
// `inline` with vCPU 0 stopped right after its burst, so the workers it created die with it
// (the browser's difference: a worker belongs to the thread that created it). Figures are summarised across trials (median, min–max).

import { Machine } from '../../app/machine/machine.ts';
import { FAITHFUL_AIO_CONFIG } from '../../app/shared/block/aio-config.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';
import type { GuestJob, KickMode } from '../../app/shared/guest/guest-job.ts';
import type { PoolConfig } from '../../app/shared/pool/pool-config.ts';
import {
  deleteIfPresent,
  deleteLater,
  freshImage,
  freshImageName,
  prefillImage,
  sweepImages,
} from './bench-images.ts';
import { untilPreallocated, whileMoving } from './bench-machine.ts';
import { measureBurst } from './burst.ts';
import {
  checkColdBurstParams,
  COLD_BURST_CHUNK_SIZE,
  coldBurstCases,
  policyOf,
  type ColdBurstCase,
  type ColdBurstParams,
  type ColdBurstResult,
  type ColdBurstRun,
} from '../shared/cold-burst-params.ts';
import { coldBurstRatios, summarize } from '../shared/cold-burst-summary.ts';
import { progress } from '../shared/progress.ts';

const ms = (v: number) => `${v.toFixed(1)} ms`;

export async function runColdBurst(input: Partial<ColdBurstParams> = {}): Promise<ColdBurstResult> {
  const params = checkColdBurstParams(input);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  await sweepImages(params.imagePrefix);
  const cases = coldBurstCases(params);
  const runs: ColdBurstRun[] = [];
  for (const [i, c] of cases.entries()) {
    const label = `cold-burst ${i + 1}/${cases.length}: ${c.variant}, kick ${c.kick}, trial ${c.trial}`;
    progress(`${label}: fresh image and machine, ${params.vcpus} vCPUs`);
    const run = await runVariant(params, c, label);
    runs.push(run);
    const e = run.burstExits;
    progress(
      `${label}: ${e.count} doorbell exit(s), BQL held ${ms(e.bqlHoldUs / 1000)} ` +
        `(total ${ms(e.totalUs / 1000)}), ${e.workersCreated} workers created inside; first ` +
        `completion ${ms(run.times.firstCompletionMs)}, burst done ` +
        `${ms(run.times.burstCompleteMs)}, ${run.workers.created} workers` +
        (run.error ? `; FAILED: ${run.error}` : ''),
    );
  }
  const summaries = summarize(runs);
  return {
    scenario: 'cold-burst',
    params,
    startedAt,
    elapsedMs: nowMs() - t0,
    runs,
    summaries,
    ratios: coldBurstRatios(summaries),
  };
}

/** vCPU 0: the burst, random reads in [0, burstRegionBytes); the others: light I/O. */
export function burstJobs(
  p: Pick<
    ColdBurstParams,
    'vcpus' | 'burst' | 'bs' | 'burstRegionBytes' | 'runtimeMs' | 'thinkUs' | 'seed'
  >,
  kick: KickMode = 'batch',
): GuestJob[] {
  const burst: GuestJob = {
    rw: 'randread',
    bs: p.bs,
    iodepth: p.burst,
    ios: p.burst,
    offset: 0,
    size: p.burstRegionBytes,
    seed: p.seed,
    kick,
  };
  const light = (v: number): GuestJob => ({
    rw: 'randread',
    bs: 4096,
    iodepth: 1,
    thinkUs: p.thinkUs,
    runtimeMs: p.runtimeMs,
    seed: p.seed + v,
  });
  return Array.from({ length: p.vcpus }, (_, v) => (v === 0 ? burst : light(v)));
}

async function runVariant(
  p: ColdBurstParams,
  { trial, kick, variant }: ColdBurstCase,
  label: string,
): Promise<ColdBurstRun> {
  const image = freshImageName(p.imagePrefix, variant);
  await freshImage(image, p.imageBytes, COLD_BURST_CHUNK_SIZE);
  await prefillImage(image, p.burstRegionBytes, COLD_BURST_CHUNK_SIZE, p.seed);
  const policy = policyOf(variant);
  const pool: PoolConfig = {
    policy,
    minThreads: policy === 'prealloc' ? p.minThreads : 0,
    maxThreads: p.maxThreads,
    idleTimeoutMs: 10_000,
  };
  const tCreate = nowMs();
  const jobs = burstJobs(p, kick);
  // The seed's situation: one request, one thread (no merging, batching or page cache).
  const aio = FAITHFUL_AIO_CONFIG;
  const m = await Machine.create({ image, vcpus: p.vcpus, pool, aio, jobs }).catch(
    async (e: unknown) => {
      await deleteIfPresent(image);
      throw e;
    },
  );
  let destroyed: Promise<void> | undefined;
  let released = false;
  let error: string | null = null;
  try {
    let preallocReadyMs = 0;
    if (policy === 'prealloc') {
      progress(`${label}: waiting for the ${p.minThreads} preallocated workers`);
      await untilPreallocated(m, p.minThreads, p.timeoutMs);
      preallocReadyMs = nowMs() - tCreate;
    }
    progress(`${label}: burst of ${p.burst} x ${p.bs} bytes from vCPU 0`);
    const b = await measureBurst(m, {
      vcpu: 0,
      burst: p.burst,
      runtimeMs: p.runtimeMs,
      timeoutMs: p.timeoutMs,
      stopAfterSubmit: variant === 'inline-stop',
      traceLabel: p.trace ? `${variant}, kick ${kick}, trial ${trial}` : undefined,
    });
    error = b.error;
    if (error && variant !== 'inline-stop') throw new Error(`cold-burst ${variant}: ${error}`);
    const s = b.stats;
    const byCreator: Record<string, number> = {};
    for (const w of b.spawns) {
      const who = w.creator ?? 'backlog';
      byCreator[who] = (byCreator[who] ?? 0) + 1;
    }
    const rel = (t: number) => (t > 0 ? t - b.tFirstSubmit : 0);
    const run: ColdBurstRun = {
      ...b.measure,
      trial,
      kick,
      variant,
      pool,
      image,
      preallocReadyMs,
      workers: {
        created: b.spawns.length,
        byCreator,
        curHighWater: s.pool.cur_high_water,
        pendingHighWater: s.pool.pending_high_water,
      },
      lost: {
        lostWithCreator: s.pool.lost_with_creator,
        requeued: s.pool.requeued,
        lostRecords: s.spawns.filter((w) => w.state === 'lost').length,
        neverStarted: s.spawns.filter((w) => w.state === 'created').length,
      },
      stop: b.stop && {
        requestedMs: rel(b.stop.tRequested),
        vcpuStoppedMs: rel(b.stop.tStopped),
        queueDrainedMs: rel(b.stop.tDrained),
      },
      error,
      trace: b.trace,
    };
    destroyed = m.destroy();
    try {
      await whileMoving(m, destroyed, p.timeoutMs, 'destroy()');
      released = true;
    } catch (e) {
      if (variant !== 'inline-stop') throw e;
      run.error = [error, (e as Error).message].filter(Boolean).join('; ');
    }
    return run;
  } finally {
    destroyed ??= m.destroy();
    // A machine that timed out may still hold the image: delete it once it lets go.
    if (released) await deleteIfPresent(image);
    else deleteLater(image, destroyed);
  }
}
