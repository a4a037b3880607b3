// The ceiling worker's measuring loop: seeded offsets, a closed loop of `iodepth` requests in
// flight for a fixed time, requests grouped into transactions, and its result (cf. fio's
// time_based jobs; the emulator's side is the guest job, app/shared/guest/).

import type { IoJob, SideResult } from './bench-contracts.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';
import { Histogram } from '../../app/shared/stats/histogram.ts';
import { Rng } from '../../app/shared/guest/rng.ts';

/** A prefill writes this many chunks per request, this many requests in flight (page and worker). */
export const PREFILL_CHUNKS = 32;
export const PREFILL_INFLIGHT = 4;

/** `nbytes` of seeded random bytes: incompressible, so storage cannot shrink them. */
export function randomBytes(nbytes: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const next = () => rng.u32();
  const bytes = new Uint8Array(nbytes);
  for (let i = 0; i < nbytes; i += 4) {
    const v = next();
    for (let k = 0; k < 4 && i + k < nbytes; k++) bytes[i + k] = (v >>> (8 * k)) & 0xff;
  }
  return bytes;
}

/** Random byte offsets in [0, regionBytes), each a multiple of `bs`. */
export function randomOffsets(seed: number, regionBytes: number, bs: number): () => number {
  const slots = Math.floor(regionBytes / bs);
  if (!Number.isSafeInteger(slots) || slots < 1) {
    throw new RangeError(`a region of ${regionBytes} bytes holds no request of ${bs} bytes`);
  }
  const rng = new Rng(seed);
  const next = () => rng.u32();
  // Two draws make a uniform double in [0, 1) with 53 random bits (exact, unlike 2^64 values).
  return () => Math.floor(((next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53) * slots) * bs;
}

/** Byte offsets one `bs` after the other from 0, wrapping at the end of the region. */
export function sequentialOffsets(regionBytes: number, bs: number): () => number {
  const slots = Math.floor(regionBytes / bs);
  if (!Number.isSafeInteger(slots) || slots < 1) {
    throw new RangeError(`a region of ${regionBytes} bytes holds no request of ${bs} bytes`);
  }
  let next = 0;
  return () => {
    const at = next * bs;
    next = (next + 1) % slots;
    return at;
  };
}

/** A job's offsets for its warm-up and for its timed part. */
export function jobOffsets(job: IoJob): { warmup: () => number; timed: () => number } {
  const inRegion = (offsets: () => number) => () => job.regionOffset + offsets();
  if (job.pattern === 'sequential') {
    return {
      warmup: inRegion(sequentialOffsets(job.regionBytes, job.bs)),
      timed: inRegion(sequentialOffsets(job.regionBytes, job.bs)),
    };
  }
  return {
    warmup: inRegion(randomOffsets(job.seed ^ 0x5a5a5a5a, job.regionBytes, job.bs)),
    timed: inRegion(randomOffsets(job.seed, job.regionBytes, job.bs)),
  };
}

export interface ClosedLoop {
  iodepth: number;
  runtimeMs: number;
  nextOffset(): number;
  /** Issue one request; settles when it completes. */
  io(byteOffset: number): Promise<unknown>;
  /** Where each request's latency goes (µs), if anywhere. */
  latencyUs?: Histogram;
}

export interface ClosedLoopRun {
  ops: number;
  /** From the first request issued to the last one completed. */
  elapsedMs: number;
}

/**
 * Keep `iodepth` requests in flight until `runtimeMs` has passed, then let those in flight
 * finish. The first failure stops every lane and is rethrown.
 */
export async function runClosedLoop(job: ClosedLoop): Promise<ClosedLoopRun> {
  const t0 = nowMs();
  const deadline = t0 + job.runtimeMs;
  let ops = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && nowMs() < deadline) {
      const byteOffset = job.nextOffset();
      const start = nowMs();
      try {
        await job.io(byteOffset);
      } catch (error) {
        failure ??= { error };
        return;
      }
      job.latencyUs?.record((nowMs() - start) * 1000);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: job.iodepth }, lane));
  if (failure) throw failure.error;
  return { ops, elapsedMs: nowMs() - t0 };
}

/** Runs `fn` once the event loop next turns (a macrotask: every pending microtask first). */
export type NextTurn = (fn: () => void) => void;

export interface GroupedRequests {
  /** One request; settles when the transaction that carried it does. */
  io(byteOffset: number): Promise<void>;
  /** Transactions started so far. */
  transactions(): number;
}

/**
 * Requests made one at a time, done in transactions of up to `batch` of them: those queued when
 * the event loop next turns (so every completion's continuations have queued their next
 * request) are taken `batch` at a time, one transaction each — as an AIO worker takes up to
 * `aio.batch` queued requests of one kind. With `batch` 1 each request is its own transaction,
 * started at once. A failed transaction fails each of its requests.
 */
export function groupRequests(
  batch: number,
  transaction: (byteOffsets: readonly number[]) => Promise<void>,
  nextTurn: NextTurn,
): GroupedRequests {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`batch ${batch} is not a positive integer`);
  }
  let transactions = 0;
  const run = (byteOffsets: readonly number[]) => {
    transactions++;
    return transaction(byteOffsets);
  };
  if (batch === 1)
    return { io: (byteOffset) => run([byteOffset]), transactions: () => transactions };
  const queued: { byteOffset: number; resolve(): void; reject(e: unknown): void }[] = [];
  let scheduled = false;
  const takeAll = () => {
    scheduled = false;
    while (queued.length) {
      const group = queued.splice(0, batch);
      run(group.map((q) => q.byteOffset)).then(
        () => group.forEach((q) => q.resolve()),
        (e: unknown) => group.forEach((q) => q.reject(e)),
      );
    }
  };
  return {
    io: (byteOffset) =>
      new Promise<void>((resolve, reject) => {
        queued.push({ byteOffset, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          nextTurn(takeAll);
        }
      }),
    transactions: () => transactions,
  };
}

/** Run `fn` on every item, `concurrency` at a time (prefills). */
export async function runConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** [byteOffset, nbytes] extents covering [0, regionBytes), each at most `extentBytes`. */
export function extentsOf(regionBytes: number, extentBytes: number): [number, number][] {
  const out: [number, number][] = [];
  for (let off = 0; off < regionBytes; off += extentBytes) {
    out.push([off, Math.min(extentBytes, regionBytes - off)]);
  }
  return out;
}

/** A timed run as one side of a case reports it. */
export function sideResult(
  run: ClosedLoopRun,
  bs: number,
  latencyUs: Histogram,
  warmup: ClosedLoopRun,
): SideResult {
  const seconds = run.elapsedMs / 1000;
  const bytes = run.ops * bs;
  return {
    ops: run.ops,
    bytes,
    elapsedMs: run.elapsedMs,
    iops: seconds > 0 ? run.ops / seconds : 0,
    mbPerS: seconds > 0 ? bytes / 1e6 / seconds : 0,
    latencyUs: latencyUs.summary(),
    warmupMs: warmup.elapsedMs,
    warmupOps: warmup.ops,
  };
}
