// A machine's configuration, checked before anything is allocated: every refusal names the
// value and the limit it broke.

import { DEFAULT_AIO_CONFIG, mergeAioConfig, type AioConfig } from './shared/aio-config.ts';
import { checkCacheMode, type CacheMode } from './shared/block.ts';
import { Errno, ErrnoError } from './shared/errno.ts';
import { guestRamNeeded, resolveJob, type GuestJob, type ResolvedJob } from './shared/guest-job.ts';
import { checkImageName } from './shared/image-format.ts';
import { MAX_VCPUS } from './shared/vcpu-layout.ts';
import { segMaxFor } from './shared/virtio.ts';
import { DEFAULT_POOL_CONFIG, mergePoolConfig, type PoolConfig } from './shared/pool-config.ts';

export interface MachineConfig {
  image: string;
  vcpus: number;
  ramBytes?: number;
  queueSize?: number;
  cache?: CacheMode;
  pool?: Partial<PoolConfig>;
  /** Batching, merging, the page cache (see BlockBackendOptions); default all on. */
  aio?: Partial<AioConfig>;
  pageCacheBytes?: number;
  /** One job for every vCPU, or one per vCPU. */
  jobs: GuestJob | GuestJob[];
}

export interface ResolvedMachineConfig {
  image: string;
  vcpus: number;
  ramBytes: number;
  queueSize: number;
  segMax: number;
  cache: CacheMode;
  pool: PoolConfig;
  aio: AioConfig;
  pageCacheBytes: number | undefined;
  jobs: GuestJob[];
  /** Each vCPU's part of guest RAM for its guest program: [base, base + size). */
  ramShareBytes: number;
}

export const DEFAULT_RAM_BYTES = 32 << 20;
export const DEFAULT_QUEUE_SIZE = 128;
const RAM_MIN = 1 << 20;
const RAM_MAX = 1 << 30;

function fail(message: string): never {
  throw new ErrnoError(Errno.EINVAL, message);
}

/** Check what can be checked without the disk; `resolveJobs` finishes once its size is known. */
export function checkMachineConfig(cfg: MachineConfig): ResolvedMachineConfig {
  if (typeof cfg !== 'object' || cfg === null)
    fail(`machine configuration ${String(cfg)} is not an object`);
  const known = new Set([
    'image',
    'vcpus',
    'ramBytes',
    'queueSize',
    'cache',
    'pool',
    'aio',
    'pageCacheBytes',
    'jobs',
  ]);
  for (const key of Object.keys(cfg)) if (!known.has(key)) fail(`unknown machine setting "${key}"`);
  checkImageName(cfg.image);
  const { vcpus } = cfg;
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) {
    fail(`vcpus ${String(vcpus)} is not an integer in 1..${MAX_VCPUS}`);
  }
  const ramBytes = cfg.ramBytes ?? DEFAULT_RAM_BYTES;
  if (
    !Number.isInteger(ramBytes) ||
    ramBytes < RAM_MIN ||
    ramBytes > RAM_MAX ||
    ramBytes % 4096 !== 0
  ) {
    fail(`ramBytes ${String(ramBytes)} is not a multiple of 4096 in ${RAM_MIN}..${RAM_MAX}`);
  }
  const queueSize = cfg.queueSize ?? DEFAULT_QUEUE_SIZE;
  if (
    !Number.isInteger(queueSize) ||
    queueSize < 2 ||
    queueSize > 1024 ||
    (queueSize & (queueSize - 1)) !== 0
  ) {
    fail(`queueSize ${String(queueSize)} is not a power of two in 2..1024`);
  }
  const jobs = Array.isArray(cfg.jobs)
    ? cfg.jobs
    : Array.from({ length: vcpus }, () => cfg.jobs as GuestJob);
  if (jobs.length !== vcpus)
    fail(`jobs has ${jobs.length} entries for ${vcpus} vCPUs (give one, or one per vCPU)`);
  return {
    image: cfg.image,
    vcpus,
    ramBytes,
    queueSize,
    segMax: segMaxFor(queueSize),
    cache: checkCacheMode(cfg.cache ?? 'writeback'),
    pool: mergePoolConfig(DEFAULT_POOL_CONFIG, cfg.pool ?? {}),
    aio: mergeAioConfig(DEFAULT_AIO_CONFIG, cfg.aio ?? {}),
    pageCacheBytes: cfg.pageCacheBytes,
    jobs,
    ramShareBytes: Math.floor(ramBytes / vcpus / 4096) * 4096,
  };
}

/** Resolve vCPU `v`'s job for a disk of `diskBytes`, and check it fits in its RAM share. */
export function resolveVcpuJob(
  cfg: ResolvedMachineConfig,
  v: number,
  job: GuestJob,
  diskBytes: number,
): ResolvedJob {
  const resolved = resolveJob(job, v, cfg.vcpus, diskBytes, cfg.queueSize);
  const need = guestRamNeeded(cfg.queueSize, cfg.segMax, resolved.iodepth, resolved.bs);
  if (need > cfg.ramShareBytes) {
    fail(
      `job of vCPU ${v} needs ${need} bytes of guest RAM (queue of ${cfg.queueSize}, iodepth ` +
        `${resolved.iodepth} x bs ${resolved.bs}), but its share of ramBytes ${cfg.ramBytes} is ${cfg.ramShareBytes}`,
    );
  }
  return resolved;
}
