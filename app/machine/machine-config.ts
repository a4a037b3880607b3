// A machine's configuration, checked before anything is allocated: every refusal names the
// value and the limit it broke.

import {
  resolveBlockConfig,
  type BlockBackendOptions,
  type BlockConfig,
} from '../block/block-config.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import {
  guestRamNeeded,
  resolveJob,
  type GuestJob,
  type ResolvedJob,
} from '../shared/guest/guest-job.ts';
import { MAX_VCPUS } from '../shared/machine/vcpu-layout.ts';
import { segMaxFor } from '../shared/virtio/virtio.ts';

/** The disk's settings (cache, pool, aio, pageCacheBytes) are openBlock()'s. */
export interface MachineConfig extends BlockBackendOptions {
  image: string;
  vcpus: number;
  ramBytes?: number;
  queueSize?: number;
  /** One job for every vCPU, or one per vCPU. */
  jobs: GuestJob | GuestJob[];
}

export interface ResolvedMachineConfig {
  /** The disk's image and settings, resolved. */
  block: BlockConfig;
  vcpus: number;
  ramBytes: number;
  queueSize: number;
  segMax: number;
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

/** Check what can be checked without the disk; resolveVcpuJob() finishes once its size is known. */
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
  const block = resolveBlockConfig(cfg.image, cfg);
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
    block,
    vcpus,
    ramBytes,
    queueSize,
    segMax: segMaxFor(queueSize),
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
