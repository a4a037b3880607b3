// The `machine` scenario's parameters and result: (a) a many-vCPU verify run of mixed block
// sizes, reported as the machine's RunReport; (b) one vCPU's burst on a cold pool, then the same
// burst on the same machine once its pool has grown. No DOM here.

import type { RunReport } from '../../app/shared/stats/run-report.ts';
import { checkVirtualSize } from '../../app/shared/block/image-format.ts';
import type { PoolPolicyName } from '../../app/shared/pool/pool-config.ts';
import { ParamChecker } from './check.ts';
import { ratioOf, type BurstMeasure } from './cold-burst-params.ts';

export interface MachineBenchParams {
  /** (a) vCPUs of the verify run; each runs randrw with verify, `verifyIodepth` in flight. */
  vcpus: number;
  /** (a) requests in all, split evenly between the vCPUs. */
  verifyIos: number;
  verifyIodepth: number;
  /** (a) block sizes, given to the vCPUs round-robin (bytes). */
  verifyBs: number[];
  verifyPolicy: PoolPolicyName;
  /** (b) policies to measure cold and warm (not inline: a vCPU restart ends its workers). */
  policies: PoolPolicyName[];
  /** (b) the machine: vCPU 0 bursts, the others compute with light I/O for runtimeMs. */
  burstVcpus: number;
  burst: number;
  bs: number;
  runtimeMs: number;
  thinkUs: number;
  /** (b) idle workers wait this long before they exit: long enough for the warm run. */
  idleTimeoutMs: number;
  minThreads: number;
  imageBytes: number;
  timeoutMs: number;
  seed: number;
}

export const MACHINE_BENCH_DEFAULTS: Readonly<MachineBenchParams> = {
  vcpus: 8,
  verifyIos: 20_000,
  verifyIodepth: 32,
  verifyBs: [4096, 8192, 16384, 32768, 65536],
  verifyPolicy: 'bh',
  policies: ['bh'],
  burstVcpus: 4,
  burst: 64,
  bs: 4096,
  runtimeMs: 3000,
  thinkUs: 2000,
  idleTimeoutMs: 30_000,
  minThreads: 8,
  imageBytes: 64 << 20,
  timeoutMs: 30_000,
  seed: 1,
};

export function checkMachineBenchParams(input: unknown = {}): MachineBenchParams {
  const c = new ParamChecker('machine');
  const p = c.merge(MACHINE_BENCH_DEFAULTS, input);
  const policies = c.list('policies', p.policies, (v) => c.policy(v));
  if (policies.includes('inline')) {
    c.fail(
      'policy inline has no warm pool to measure: the warm run starts on new vCPU threads, ' +
        'and under inline the workers a vCPU created die with its old thread',
    );
  }
  const imageBytes = checkVirtualSize(p.imageBytes);
  const vcpus = c.vcpus('vcpus', p.vcpus);
  const verifyIodepth = c.int('verifyIodepth', p.verifyIodepth, 1, 128);
  const verifyBs = c.list('verifyBs', p.verifyBs, (v) => c.bs('verifyBs', v));
  const share = imageBytes / vcpus;
  if (share < Math.max(...verifyBs) * verifyIodepth) {
    c.fail(`each vCPU's share of the image (${share} bytes) is too small for the verify jobs`);
  }
  const burstVcpus = c.vcpus('burstVcpus', p.burstVcpus);
  const bs = c.bs('bs', p.bs);
  const burst = c.int('burst', p.burst, 1, 128);
  if (imageBytes / burstVcpus < burst * bs * 2) {
    c.fail(`vCPU 0's share of the image is too small for a burst of ${burst} x ${bs} bytes`);
  }
  return {
    vcpus,
    verifyIos: c.int('verifyIos', p.verifyIos, vcpus, 10_000_000),
    verifyIodepth,
    verifyBs,
    verifyPolicy: c.policy(p.verifyPolicy),
    policies,
    burstVcpus,
    burst,
    bs,
    runtimeMs: c.runtimeMs(p.runtimeMs),
    thinkUs: c.int('thinkUs', p.thinkUs, 0, 100_000),
    idleTimeoutMs: c.int('idleTimeoutMs', p.idleTimeoutMs, 1000, 3_600_000),
    minThreads: c.int('minThreads', p.minThreads, 1, 64),
    imageBytes,
    timeoutMs: c.timeoutMs(p.timeoutMs),
    seed: c.seed(p.seed),
  };
}

export interface VerifyRunResult {
  image: string;
  vcpus: number;
  policy: PoolPolicyName;
  /** createMachine() to the end of done(). */
  elapsedMs: number;
  /** The machine's fio-like report: every job, and their sum. */
  report: RunReport;
  pool: { spawned: number; curHighWater: number };
}

export interface ColdWarmResult {
  policy: PoolPolicyName;
  /** The burst on a fresh machine, then the same burst once the pool has grown. */
  cold: BurstMeasure;
  warm: BurstMeasure;
  /** warm / cold (null where the cold figure is 0). */
  ratio: {
    stallP50: number | null;
    stallP99: number | null;
    firstCompletion: number | null;
    latencyP50: number | null;
    latencyP99: number | null;
  };
}

export interface MachineBenchResult {
  scenario: 'machine';
  params: MachineBenchParams;
  startedAt: string;
  elapsedMs: number;
  verify: VerifyRunResult;
  coldWarm: ColdWarmResult[];
}

export function coldWarmRatio(cold: BurstMeasure, warm: BurstMeasure): ColdWarmResult['ratio'] {
  return {
    stallP50: ratioOf(warm.stallUs.p50, cold.stallUs.p50),
    stallP99: ratioOf(warm.stallUs.p99, cold.stallUs.p99),
    firstCompletion: ratioOf(warm.times.firstCompletionMs, cold.times.firstCompletionMs),
    latencyP50: ratioOf(warm.latencyUs.p50, cold.latencyUs.p50),
    latencyP99: ratioOf(warm.latencyUs.p99, cold.latencyUs.p99),
  };
}
