// The benchmark's shapes and its comlink contract: one timed case, what a side of a comparison
// measured, and the baseline ("ceiling") worker that does the emulator's I/O with plain idb-keyval.

import type { LatencySummary } from '../../app/shared/stats/histogram.ts';

export type BenchOp = 'read' | 'write';

/** Random offsets, or one after the other (wrapping at the end of the region). */
export type IoPattern = 'random' | 'sequential';

/** One case of a ceiling worker: closed-loop requests, each aligned to its size, in a region. */
export interface IoJob {
  op: BenchOp;
  pattern: IoPattern;
  /** Bytes per request; every request starts at a multiple of it. */
  bs: number;
  /** Requests in flight at once. */
  iodepth: number;
  /** Requests the worker may group into one IndexedDB transaction (1: one each, the `ceiling`;
   *  more: `ceiling-batched`). */
  batch: number;
  /** Requests fall in bytes [regionOffset, regionOffset + regionBytes) of the image. */
  regionOffset: number;
  regionBytes: number;
  /** Timed part: no request is issued after this, the ones in flight finish. */
  runtimeMs: number;
  /** Untimed part before it, same workload. */
  warmupMs: number;
  /** Seeds the offsets and the written bytes. */
  seed: number;
}

/** What one side of a case measured. */
export interface SideResult {
  /** Requests completed in the timed part. */
  ops: number;
  bytes: number;
  /** From the first request issued to the last one completed. */
  elapsedMs: number;
  iops: number;
  /** 10^6 bytes per second. */
  mbPerS: number;
  /** Each request, from the call to its promise settling, on the thread that issued it. */
  latencyUs: LatencySummary;
  /** The untimed warm-up: how long it ran and how many requests it completed. */
  warmupMs: number;
  warmupOps: number;
}

/** The baseline worker's side: also the IndexedDB transactions its timed part committed. */
export interface CeilingSideResult extends SideResult {
  transactions: number;
}

/** The baseline: a plain dedicated worker, idb-keyval calls straight on the image's chunks. */
export interface CeilingWorkerApi {
  /** Open an existing image's database; its chunks are `chunkSize` bytes. */
  open(image: string, chunkSize: number): Promise<void>;
  /** Write random bytes to every chunk of [0, regionBytes), untimed; returns the time it took. */
  prefill(regionBytes: number, seed: number): Promise<number>;
  /** Warm up, then run the timed case. */
  run(job: IoJob): Promise<CeilingSideResult>;
  /** Close the database; the worker is idle in its event loop afterwards. */
  close(): void;
}
