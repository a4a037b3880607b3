// The `cold-burst` scenario's parameters, their checks, and the shape of its result: the seed's
// situation, an empty pool and a vCPU that submits a burst at once, measured per pool policy and
// kick mode, `trials` times each. No DOM here: `npm run bench` and the page's comparison view use
// these same definitions (the summaries across trials are in cold-burst-summary.ts).

import { KICK_MODES, type KickMode } from '../../app/shared/guest/guest-job.ts';
import type { LatencySummary } from '../../app/shared/stats/histogram.ts';
import type { MachineTrace } from '../../app/shared/trace/trace.ts';
import { checkVirtualSize } from '../../app/shared/block/image-format.ts';
import type { PoolConfig, PoolPolicyName } from '../../app/shared/pool/pool-config.ts';
import { ParamChecker } from './check.ts';
import type { ColdBurstRatios, ColdBurstSummary } from './cold-burst-summary.ts';

export const COLD_BURST_VARIANTS = ['bh', 'prealloc', 'inline', 'inline-stop'] as const;
/** A policy, or `inline-stop`: `inline` with vCPU 0 stopped right after its burst. */
export type ColdBurstVariant = (typeof COLD_BURST_VARIANTS)[number];

export interface ColdBurstParams {
  /** Policies to run, in this order (each on a fresh machine and a fresh image). */
  policies: PoolPolicyName[];
  /** How the bursting guest rings the doorbell: once for the burst, or once per request. */
  kicks: KickMode[];
  /** Each (kick, policy) runs this many times, interleaved: bh, prealloc, inline, bh, … */
  trials: number;
  /** Record each run's trace (MachineTrace) into its result. */
  trace: boolean;
  /** Also run `inline-stop` (when `inline` is among the policies): once, in the first round,
   *  with the first kick mode — a demonstration, not a comparison. */
  stopVariant: boolean;
  /** vCPU 0 submits the burst; vCPUs 1..vcpus-1 compute with light I/O. */
  vcpus: number;
  /** Requests vCPU 0 submits at once: random reads of `bs` bytes, all in flight together. */
  burst: number;
  bs: number;
  /** The burst reads [0, burstRegionBytes), filled with random bytes first (untimed). */
  burstRegionBytes: number;
  /** The light vCPUs' runtime; the burst itself is not time-based. */
  runtimeMs: number;
  /** The light vCPUs' guest computation before each of their requests (iodepth 1). */
  thinkUs: number;
  /** `prealloc`'s minThreads, ready before the burst starts. */
  minThreads: number;
  maxThreads: number;
  imageBytes: number;
  /** Images are named prefix + variant + a run id; leftovers under the prefix are deleted. */
  imagePrefix: string;
  /** How long a step (workers ready, the jobs, the pool settling, destroy) may go without the
   *  machine moving before it is called a hang; a slow machine that moves never fails. */
  timeoutMs: number;
  seed: number;
}

export const COLD_BURST_DEFAULTS: Readonly<ColdBurstParams> = {
  policies: ['bh', 'prealloc', 'inline'],
  kicks: ['batch', 'each'],
  trials: 5,
  trace: false,
  stopVariant: true,
  vcpus: 4,
  burst: 64,
  bs: 4096,
  burstRegionBytes: 4 << 20,
  runtimeMs: 1000,
  thinkUs: 2000,
  minThreads: 8,
  maxThreads: 64,
  imageBytes: 64 << 20,
  imagePrefix: 'bench-cold-',
  timeoutMs: 30_000,
  seed: 1,
};

/** Chunk size of the images (the default, as the demo's). */
export const COLD_BURST_CHUNK_SIZE = 32768;
const QUEUE_SIZE = 128;

export function checkColdBurstParams(input: unknown = {}): ColdBurstParams {
  const c = new ParamChecker('cold-burst');
  const p = c.merge(COLD_BURST_DEFAULTS, input);
  const vcpus = c.vcpus('vcpus', p.vcpus);
  const bs = c.bs('bs', p.bs);
  const imageBytes = checkVirtualSize(p.imageBytes);
  const share = Math.floor(imageBytes / vcpus / 512) * 512;
  const burst = c.int('burst', p.burst, 1, QUEUE_SIZE);
  const burstRegionBytes = c.int('burstRegionBytes', p.burstRegionBytes, burst * bs, share);
  if (burstRegionBytes % COLD_BURST_CHUNK_SIZE !== 0 || burstRegionBytes % bs !== 0) {
    c.fail(`burstRegionBytes ${burstRegionBytes} is not a multiple of the chunk size and of bs`);
  }
  const maxThreads = c.int('maxThreads', p.maxThreads, 1, 128);
  return {
    policies: c.list('policies', p.policies, (v) => c.policy(v)),
    kicks: c.list('kicks', p.kicks, (v) => c.oneOf('kick', v, KICK_MODES)),
    trials: c.int('trials', p.trials, 1, 50),
    trace: c.bool('trace', p.trace),
    stopVariant: c.bool('stopVariant', p.stopVariant),
    vcpus,
    burst,
    bs,
    burstRegionBytes,
    runtimeMs: c.runtimeMs(p.runtimeMs),
    thinkUs: c.int('thinkUs', p.thinkUs, 0, 100_000),
    minThreads: c.int('minThreads', p.minThreads, 1, maxThreads),
    maxThreads,
    imageBytes,
    imagePrefix: c.imagePrefix(p.imagePrefix),
    timeoutMs: c.timeoutMs(p.timeoutMs),
    seed: c.seed(p.seed),
  };
}

/** One run of the scenario: a fresh image and machine. */
export interface ColdBurstCase {
  trial: number;
  kick: KickMode;
  variant: ColdBurstVariant;
}

/** The runs, in order: per trial, per kick mode, the policies; `inline-stop` once, first round. */
export function coldBurstCases(p: ColdBurstParams): ColdBurstCase[] {
  const out: ColdBurstCase[] = [];
  for (let trial = 1; trial <= p.trials; trial++) {
    for (const kick of p.kicks) {
      for (const variant of p.policies) out.push({ trial, kick, variant });
      if (trial === 1 && kick === p.kicks[0] && p.stopVariant && p.policies.includes('inline')) {
        out.push({ trial, kick, variant: 'inline-stop' });
      }
    }
  }
  return out;
}

export const policyOf = (v: ColdBurstVariant): PoolPolicyName =>
  v === 'inline-stop' ? 'inline' : v;

/** How busy the page's main thread was during a window (bench/page/main-thread-watch.ts). */
export interface MainThreadReport {
  /** Chromium reports long tasks (false: the two long-task fields are 0, not measured). */
  longTaskSupported: boolean;
  /** Long-task entries (tasks over 50 ms) that started in the window, and the longest (0: none). */
  longTasks: number;
  longestTaskMs: number;
  /** The longest interval between two heartbeats, each ~1 ms after the previous one ran. */
  heartbeatMaxGapMs: number;
  heartbeats: number;
  windowMs: number;
}

/** A bottom half over the window: runs and time exactly; the longest run and p99 since the
 *  machine was created (for `prealloc`, that includes creating minThreads workers before). */
export interface BottomHalfWindow {
  name: string;
  runs: number;
  totalMs: number;
  maxMs: number;
  p99Us: number;
}

/** What one burst on one machine measured (cold-burst runs, and the machine scenario's). */
export interface BurstMeasure {
  /** The bursting vCPU's doorbell exits in the window (µs): its stall. */
  stallUs: LatencySummary;
  /** The bursting vCPU's own waits for the BQL in the window (µs): the long stalls are these. */
  bqlWaitUs: LatencySummary;
  /** The bursting vCPU's doorbell exits in the window (one with `kick: 'batch'`): how many, the
   *  requests they took, their BQL wait and hold and total (µs, summed), the longest hold, and
   *  the workers created inside them (by the vCPU, between BQL taken and dropped). */
  burstExits: {
    count: number;
    requests: number;
    bqlWaitUs: number;
    bqlHoldUs: number;
    totalUs: number;
    maxHoldUs: number;
    workersCreated: number;
  };
  /** Submission latency as its guest saw it (JobReport.slat, µs). */
  slatUs: LatencySummary;
  /** Its requests, submitted → seen by the guest (JobReport.lat, µs). */
  latencyUs: LatencySummary;
  /** The other vCPUs' BQL wait in the window (µs): the worst p99 and max, and each. */
  others: {
    bqlWaitP99Us: number;
    bqlWaitMaxUs: number;
    perVcpu: { vcpu: number; ios: number; bqlWaitUs: LatencySummary }[];
  };
  mainThread: MainThreadReport & {
    bottomHalves: BottomHalfWindow[];
    /** The main loop's waits for the BQL (µs) since the machine was created. */
    bqlWaitUs: LatencySummary;
  };
  /** ms from the burst's first submission (JobReport.tFirstSubmit). */
  times: {
    /** The device answered the first / the last request of the burst (its interrupt). */
    firstCompletionMs: number;
    burstCompleteMs: number;
    /** The guest saw the first / the last completion (JobReport stamps). */
    guestFirstSeenMs: number;
    guestLastSeenMs: number;
    /** The last worker asked for during the window became ready (0: none was asked for). */
    poolGrowthMs: number;
  };
  /** Workers alive when the burst started. */
  threadsAtStart: number;
}

export interface ColdBurstRun extends BurstMeasure {
  trial: number;
  kick: KickMode;
  variant: ColdBurstVariant;
  pool: PoolConfig;
  image: string;
  /** `prealloc`: from createMachine() to minThreads workers ready; else 0. */
  preallocReadyMs: number;
  workers: {
    /** Workers asked for during the window, and who created each (main, vcpuN; backlog). */
    created: number;
    byCreator: Record<string, number>;
    curHighWater: number;
    pendingHighWater: number;
  };
  /** Workers that died with their creator (`inline-stop`'s lesson). */
  lost: {
    /** The pool's counters: workers it learned died with their vCPU, requests it requeued. */
    lostWithCreator: number;
    requeued: number;
    /** Spawn records in state `lost`, and still `created` at the end (never started). */
    lostRecords: number;
    neverStarted: number;
  };
  /** `inline-stop` only (else null), ms from the first submission. */
  stop: { requestedMs: number; vcpuStoppedMs: number; queueDrainedMs: number } | null;
  /** A step that hung (only `inline-stop` reports one; others throw). */
  error: string | null;
  /** The run's trace (params.trace), else null. */
  trace: MachineTrace | null;
}

export interface ColdBurstResult {
  scenario: 'cold-burst';
  params: ColdBurstParams;
  startedAt: string;
  elapsedMs: number;
  /** Every run, in the order they ran. */
  runs: ColdBurstRun[];
  /** Per kick mode and variant: each figure's median, min and max across its trials. */
  summaries: ColdBurstSummary[];
  /** Per kick mode: prealloc / bh and inline / bh, ratios of medians. */
  ratios: ColdBurstRatios[];
}

export function ratioOf(value: number, base: number): number | null {
  return base > 0 && Number.isFinite(value) ? value / base : null;
}
