// The shape scenario's worker (bench/worker/shape-worker.ts) and its comlink contract: a plain
// worker that opens a database setup (one store, K stores, K databases or K storage buckets) and
// runs closed loops of transactions on it, with nothing of the emulator between.

import type { ShapeDurability, ShapeSetup } from './shape-params.ts';

/** A setup as a worker opens it: its layout, and the names of its databases and buckets. */
export interface ShapeDbSpec extends ShapeSetup {
  /** Databases are `${name}` (stores-K) or `${name}-${i}`; buckets `${name}-${i}`. Lowercase. */
  name: string;
  /** Values stored: keys 0 .. chunks - 1, chunk c in shard c % k. */
  chunks: number;
}

/** What a transaction does with each of its `batch` chunks. */
export type ShapeOp = 'get' | 'put' | 'rmw';

export interface ShapeJob {
  /** The setup, opened first if this worker has not opened it yet. */
  spec: ShapeDbSpec;
  op: ShapeOp;
  /** Chunks per transaction, all in one shard (random chunks c ≡ shard mod k). */
  batch: number;
  /** Transactions in flight. */
  inflight: number;
  /** Of readwrite transactions. */
  durability: ShapeDurability;
  warmupMs: number;
  runtimeMs: number;
  seed: number;
}

/** A worker's timed run; the histogram of its transactions' latency (µs) as raw arrays. */
export interface ShapeWorkerRun {
  txs: number;
  ops: number;
  bytes: number;
  /** From its first transaction issued to its last one finished. */
  elapsedMs: number;
  latencyCounts: Int32Array;
  latencyStats: Float64Array;
  warmupTxs: number;
}

export interface ShapeProbe {
  /** `navigator.storageBuckets` in this worker. */
  storageBuckets: boolean;
  /** Why a test bucket could not be opened and used, or null if it could. */
  bucketError: string | null;
}

export interface ShapeWorkerApi {
  /** Whether storage buckets work here: open a bucket, a database in it, and delete it. */
  probe(name: string): Promise<ShapeProbe>;
  /** Delete every database and bucket whose name starts with `prefix` (an earlier run's). */
  sweep(prefix: string): Promise<void>;
  /** Create the setup's databases and stores, and fill every chunk (untimed); returns ms. */
  create(spec: ShapeDbSpec, seed: number): Promise<number>;
  run(job: ShapeJob): Promise<ShapeWorkerRun>;
  /** Close every connection this worker holds. */
  close(): void;
  /** Delete the setup's databases and buckets (once every worker has closed). */
  destroy(spec: ShapeDbSpec): Promise<void>;
}
