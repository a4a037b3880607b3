// The toy guest's jobs (fio-like) and what a job reports. A job is checked on the page before any
// vCPU sees it, with messages that name the value; the guest then trusts it.

import { SECTOR_SIZE } from '../block/block.ts';
import { Errno, ErrnoError } from '../block/errno.ts';
import type { LatencySummary } from '../stats/histogram.ts';
import { BLK_HEADER_SIZE, DESC_SIZE, ringSizes } from '../virtio/virtio.ts';

/** The guest driver's data pages. */
export const GUEST_PAGE_SIZE = 4096;

/** Guest RAM the driver keeps per request id: an indirect table of seg_max + 3 descriptors (one
 *  spare, for guests that send too many), the header, the status byte and a 16-byte range. */
export const perRequestBytes = (segMax: number) =>
  (segMax + 3) * DESC_SIZE + BLK_HEADER_SIZE + 16 + 16;

/** Guest RAM a job needs on a queue of `num`: the rings, per-request areas, and its buffers. */
export function guestRamNeeded(num: number, segMax: number, iodepth: number, bs: number): number {
  const r = ringSizes(num);
  const align = 16 + 4 + 4 + 16 + GUEST_PAGE_SIZE;
  const pages = iodepth * Math.ceil(bs / GUEST_PAGE_SIZE);
  return (
    r.desc + r.avail + r.used + perRequestBytes(segMax) * num + pages * GUEST_PAGE_SIZE + align
  );
}

export const JOB_KINDS = [
  'read',
  'write',
  'randread',
  'randwrite',
  'randrw',
  'idle',
  'fuzz',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** How the guest's driver rings the doorbell: once for every request it can make available at
 *  once (Linux virtio_blk with blk-mq's bd->last), or once per request. */
export const KICK_MODES = ['batch', 'each'] as const;
export type KickMode = (typeof KICK_MODES)[number];

export interface GuestJob {
  rw: JobKind;
  /** Block size in bytes, a multiple of 512. */
  bs: number;
  /** Requests in flight at most. */
  iodepth: number;
  /** Region of the disk, in bytes; default: this vCPU's share of the disk. */
  offset?: number;
  size?: number;
  /** Stop after this many requests complete… */
  ios?: number;
  /** …or after this long (ms); with neither, one pass over the region. */
  runtimeMs?: number;
  /** Percentage of reads in `randrw` (default 50). */
  rwmixread?: number;
  /** Guest computation between submissions (µs); the vCPU is busy and does not yield. */
  thinkUs?: number;
  /** Flush after every N writes (and at the end of a writing job). */
  flushEvery?: number;
  /** Write self-describing sectors and check every sector read. */
  verify?: boolean;
  /** Seeds offsets, payloads, and the verify run id. */
  seed?: number;
  /** One doorbell write per batch of requests (default), or one per request. */
  kick?: KickMode;
}

/** A job with every default filled in, as a vCPU runs it. */
export interface ResolvedJob extends Required<Omit<GuestJob, 'ios' | 'runtimeMs'>> {
  ios: number;
  runtimeMs: number;
}

/** What one vCPU's job did, as the guest saw it. Latencies in µs. */
export interface JobReport {
  vcpu: number;
  rw: JobKind;
  bs: number;
  iodepth: number;
  ios: number;
  bytes: number;
  reads: number;
  writes: number;
  flushes: number;
  readBytes: number;
  writeBytes: number;
  runtimeMs: number;
  iops: number;
  /** Bytes per second. */
  bw: number;
  /** Submission latency: the vCPU's time in the exit path (fio's slat). */
  slat: LatencySummary;
  /** Exit returned -> the guest saw the completion (fio's clat). */
  clat: LatencySummary;
  /** Submitted -> seen (slat + clat). */
  lat: LatencySummary;
  verify: { checked: number; errors: number; firstError: string | null };
  /** Completions by status. */
  status: { ok: number; ioerr: number; unsupp: number; none: number };
  /** The fuzz job's ledger: malformed requests and how the device answered them. */
  fuzz: { malformed: number; rejected: number; valid: number; validOk: number } | null;
  /** The job ended because its vCPU was stopped. */
  stopped: boolean;
  /** Stamps (ms since the epoch, 0 if it did not happen): the first submission, the first and
   *  the last completion the guest saw. */
  tFirstSubmit: number;
  tFirstComplete: number;
  tLastComplete: number;
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new ErrnoError(Errno.EINVAL, message);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Check a job for vCPU `vcpu` of `vcpus` on a disk of `diskBytes` with queues of `queueSize`,
 * and fill in its defaults (region: the vCPU's share of the disk; seed: 1 + vcpu).
 */
export function resolveJob(
  job: GuestJob,
  vcpu: number,
  vcpus: number,
  diskBytes: number,
  queueSize: number,
): ResolvedJob {
  const at = `job of vCPU ${vcpu}`;
  check(typeof job === 'object' && job !== null, `${at}: ${String(job)} is not a job object`);
  const known = new Set([
    'rw',
    'bs',
    'iodepth',
    'offset',
    'size',
    'ios',
    'runtimeMs',
    'rwmixread',
    'thinkUs',
    'flushEvery',
    'verify',
    'seed',
    'kick',
  ]);
  for (const key of Object.keys(job)) check(known.has(key), `${at}: unknown setting "${key}"`);
  check(
    JOB_KINDS.includes(job.rw),
    `${at}: rw "${String(job.rw)}" is not one of ${JOB_KINDS.join(', ')}`,
  );
  check(
    isInt(job.bs) && job.bs > 0 && job.bs % SECTOR_SIZE === 0 && job.bs <= 1 << 20,
    `${at}: bs ${String(job.bs)} is not a positive multiple of ${SECTOR_SIZE} up to 1048576`,
  );
  check(
    isInt(job.iodepth) && job.iodepth >= 1 && job.iodepth <= queueSize,
    `${at}: iodepth ${String(job.iodepth)} is not an integer in 1..${queueSize} (the queue size)`,
  );
  // Shares are cut the same way whatever each job's bs, so vCPUs' default regions never overlap.
  const share = Math.floor(diskBytes / vcpus / SECTOR_SIZE) * SECTOR_SIZE;
  const offset = job.offset ?? vcpu * share;
  const size = job.size ?? Math.floor(share / job.bs) * job.bs;
  check(
    isInt(offset) && offset >= 0 && offset % SECTOR_SIZE === 0,
    `${at}: offset ${String(offset)} is not a non-negative multiple of ${SECTOR_SIZE}`,
  );
  check(
    isInt(size) && size >= job.bs && size % job.bs === 0,
    `${at}: size ${String(size)} is not a positive multiple of bs ${job.bs}`,
  );
  check(
    offset + size <= diskBytes,
    `${at}: region [${offset}, ${offset + size}) is beyond the end of the disk (${diskBytes} bytes)`,
  );
  check(
    job.ios === undefined || (isInt(job.ios) && job.ios > 0),
    `${at}: ios ${String(job.ios)} is not a positive integer`,
  );
  check(
    job.runtimeMs === undefined ||
      (typeof job.runtimeMs === 'number' && job.runtimeMs > 0 && !Number.isNaN(job.runtimeMs)),
    `${at}: runtimeMs ${String(job.runtimeMs)} is not a positive number of milliseconds`,
  );
  const rwmixread = job.rwmixread ?? 50;
  check(
    isInt(rwmixread) && rwmixread >= 0 && rwmixread <= 100,
    `${at}: rwmixread ${String(rwmixread)} is not in 0..100`,
  );
  const thinkUs = job.thinkUs ?? 0;
  check(
    typeof thinkUs === 'number' && thinkUs >= 0 && thinkUs <= 10_000_000,
    `${at}: thinkUs ${String(thinkUs)} is not in 0..10000000`,
  );
  const flushEvery = job.flushEvery ?? 0;
  check(
    isInt(flushEvery) && flushEvery >= 0,
    `${at}: flushEvery ${String(flushEvery)} is not a non-negative integer`,
  );
  check(
    job.verify === undefined || typeof job.verify === 'boolean',
    `${at}: verify ${String(job.verify)} is not a boolean`,
  );
  const seed = job.seed ?? 1 + vcpu;
  check(isInt(seed), `${at}: seed ${String(seed)} is not an integer`);
  const kick = job.kick ?? 'batch';
  check(
    KICK_MODES.includes(kick),
    `${at}: kick "${String(kick)}" is not one of ${KICK_MODES.join(', ')}`,
  );
  const timed = job.runtimeMs !== undefined;
  return {
    rw: job.rw,
    bs: job.bs,
    iodepth: job.iodepth,
    offset,
    size,
    ios: job.ios ?? (timed ? Infinity : size / job.bs),
    runtimeMs: job.runtimeMs ?? Infinity,
    rwmixread,
    thinkUs,
    flushEvery,
    verify: job.verify ?? false,
    seed,
    kick,
  };
}
