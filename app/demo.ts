// The demo the page boots: an image "default" (64 MiB, created if absent) and a machine on it
// whose vCPUs run a mix of guests. URL parameters choose the same things the controls do; a
// bad one is refused with a message naming it.

import type { MachineConfig } from './machine-config.ts';
import { Errno, ErrnoError } from './shared/errno.ts';
import type { GuestJob } from './shared/guest-job.ts';
import { MAX_VCPUS, POOL_MAX_THREADS } from './shared/layout.ts';
import { POOL_POLICIES, type PoolPolicyName } from './shared/thread-pool.ts';

export const DEFAULT_IMAGE = 'default';
export const DEFAULT_IMAGE_BYTES = 64 << 20;

/** The mix, by vCPU number (repeating): what each guest does and why it is there. */
export const DEMO_MIX: { label: string; job: GuestJob }[] = [
  { label: 'random 4 KiB reads', job: { rw: 'randread', bs: 4096, iodepth: 8 } },
  {
    label: 'verified random writes (and reads)',
    job: { rw: 'randrw', bs: 4096, iodepth: 8, rwmixread: 30, verify: true, flushEvery: 64 },
  },
  { label: '32 KiB sequential reads', job: { rw: 'read', bs: 32768, iodepth: 4 } },
  { label: 'computing, light I/O', job: { rw: 'randread', bs: 4096, iodepth: 1, thinkUs: 2000 } },
];

export interface DemoSettings {
  boot: boolean;
  autostart: boolean;
  vcpus: number;
  policy: PoolPolicyName;
  maxThreads: number;
}

export const DEFAULT_DEMO: DemoSettings = {
  boot: true,
  autostart: true,
  vcpus: 4,
  policy: 'bh',
  maxThreads: 64,
};

function bad(name: string, value: string, want: string): never {
  throw new ErrnoError(
    Errno.EINVAL,
    `URL parameter ${name}=${JSON.stringify(value)} is not ${want}`,
  );
}

function flag(params: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = params.get(name);
  if (v === null) return dflt;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return bad(name, v, '0 or 1');
}

function int(params: URLSearchParams, name: string, dflt: number, lo: number, hi: number): number {
  const v = params.get(name);
  if (v === null) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) bad(name, v, `an integer in ${lo}..${hi}`);
  return n;
}

/** The demo's settings from the page's URL; throws EINVAL naming the first bad parameter. */
export function demoSettingsFromUrl(search: string): DemoSettings {
  const params = new URLSearchParams(search);
  const known = new Set(['boot', 'autostart', 'vcpus', 'policy', 'maxThreads']);
  for (const key of params.keys()) {
    if (!known.has(key)) bad(key, params.get(key) ?? '', `known (use ${[...known].join(', ')})`);
  }
  const policy = params.get('policy') ?? DEFAULT_DEMO.policy;
  if (!POOL_POLICIES.includes(policy as PoolPolicyName))
    bad('policy', policy, `one of ${POOL_POLICIES.join(', ')}`);
  return {
    boot: flag(params, 'boot', DEFAULT_DEMO.boot),
    autostart: flag(params, 'autostart', DEFAULT_DEMO.autostart),
    vcpus: int(params, 'vcpus', DEFAULT_DEMO.vcpus, 1, MAX_VCPUS),
    policy: policy as PoolPolicyName,
    maxThreads: int(params, 'maxThreads', DEFAULT_DEMO.maxThreads, 1, POOL_MAX_THREADS),
  };
}

/** The machine configuration for these settings: the mix, running until stopped. */
export function demoMachineConfig(s: DemoSettings): MachineConfig {
  return {
    image: DEFAULT_IMAGE,
    vcpus: s.vcpus,
    pool: { policy: s.policy, maxThreads: s.maxThreads },
    jobs: Array.from({ length: s.vcpus }, (_, v) => ({
      ...DEMO_MIX[v % DEMO_MIX.length].job,
      runtimeMs: Infinity,
    })),
  };
}
