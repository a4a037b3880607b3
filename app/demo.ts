// The demo the page boots: an image "default" (64 MiB, created if absent) and a machine on it
// whose vCPUs run a mix of guests — or, on "base" (an overlay of the default base image over
// HTTP), read-verify guests that check every sector the base holds. URL parameters choose the
// same things the controls do; a bad one is refused with a message naming it.

import {
  DEFAULT_AIO_CONFIG,
  FAITHFUL_AIO_CONFIG,
  type AioConfig,
} from './shared/block/aio-config.ts';
import type { MachineConfig } from './machine/machine-config.ts';
import { DEFAULT_BASE } from './shared/block/default-base.ts';
import { Errno, ErrnoError } from './shared/block/errno.ts';
import type { GuestJob } from './shared/guest/guest-job.ts';
import { checkImageName, type ImageInfo } from './shared/block/image-format.ts';
import { POOL_MAX_THREADS } from './shared/pool/pool-layout.ts';
import { MAX_VCPUS } from './shared/machine/vcpu-layout.ts';
import { POOL_POLICIES, type PoolPolicyName } from './shared/pool/pool-config.ts';

export const DEFAULT_IMAGE = 'default';
export const DEFAULT_IMAGE_BYTES = 64 << 20;
/** The overlay of the default base image (built into images/), made when the demo boots. */
export const BASE_OVERLAY = 'base';
export const BASE_URL = DEFAULT_BASE.path;

/** Whether `info` is an overlay of the default base: its guests then read and verify it. */
export const isDefaultBaseOverlay = (info: ImageInfo | undefined) =>
  info?.backing?.url.endsWith(`/${DEFAULT_BASE.path}`) ?? false;

/** Read-verify guests over the default base: every sector they read must be the base's. */
export const BASE_MIX: { label: string; job: GuestJob }[] = [
  {
    label: 'verified random 4 KiB reads of the base',
    job: { rw: 'randread', bs: 4096, iodepth: 8, verify: true, seed: DEFAULT_BASE.seed },
  },
  {
    label: 'verified 32 KiB sequential reads of the base',
    job: { rw: 'read', bs: 32768, iodepth: 4, verify: true, seed: DEFAULT_BASE.seed },
  },
];

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
  /** The image the machine boots on. */
  image: string;
  autostart: boolean;
  vcpus: number;
  policy: PoolPolicyName;
  maxThreads: number;
  /** The AIO path: batched (DEFAULT_AIO_CONFIG) or faithful (one request per transaction). */
  aio: AioMode;
}

export const AIO_MODES = ['batched', 'faithful'] as const;
export type AioMode = (typeof AIO_MODES)[number];
export const AIO_OF_MODE: Record<AioMode, Readonly<AioConfig>> = {
  batched: DEFAULT_AIO_CONFIG,
  faithful: FAITHFUL_AIO_CONFIG,
};

export const DEFAULT_DEMO: DemoSettings = {
  boot: true,
  image: DEFAULT_IMAGE,
  autostart: true,
  vcpus: 4,
  policy: 'bh',
  maxThreads: 64,
  aio: 'batched',
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
  const known = new Set(['boot', 'image', 'autostart', 'vcpus', 'policy', 'maxThreads', 'aio']);
  for (const key of params.keys()) {
    if (!known.has(key)) bad(key, params.get(key) ?? '', `known (use ${[...known].join(', ')})`);
  }
  const policy = params.get('policy') ?? DEFAULT_DEMO.policy;
  if (!POOL_POLICIES.includes(policy as PoolPolicyName))
    bad('policy', policy, `one of ${POOL_POLICIES.join(', ')}`);
  const aio = params.get('aio') ?? DEFAULT_DEMO.aio;
  if (!AIO_MODES.includes(aio as AioMode)) bad('aio', aio, `one of ${AIO_MODES.join(', ')}`);
  const image = params.get('image') ?? DEFAULT_DEMO.image;
  try {
    checkImageName(image);
  } catch {
    bad('image', image, 'an image name (letters, digits, ".", "_", "-")');
  }
  return {
    boot: flag(params, 'boot', DEFAULT_DEMO.boot),
    image,
    autostart: flag(params, 'autostart', DEFAULT_DEMO.autostart),
    vcpus: int(params, 'vcpus', DEFAULT_DEMO.vcpus, 1, MAX_VCPUS),
    policy: policy as PoolPolicyName,
    maxThreads: int(params, 'maxThreads', DEFAULT_DEMO.maxThreads, 1, POOL_MAX_THREADS),
    aio: aio as AioMode,
  };
}

/** The machine configuration for these settings on this image: the mix (or, over the default
 *  base, read-verify guests), running until stopped. */
export function demoMachineConfig(s: DemoSettings, info?: ImageInfo): MachineConfig {
  const mix = isDefaultBaseOverlay(info) ? BASE_MIX : DEMO_MIX;
  return {
    image: s.image,
    vcpus: s.vcpus,
    pool: { policy: s.policy, maxThreads: s.maxThreads },
    aio: AIO_OF_MODE[s.aio],
    jobs: Array.from({ length: s.vcpus }, (_, v) => ({
      ...mix[v % mix.length].job,
      runtimeMs: Infinity,
    })),
  };
}
