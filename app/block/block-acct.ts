// Block accounting (cf. block/accounting.c): ops, bytes, time, failed and invalid requests per
// type, with QEMU's query-blockstats names, plus latency histograms and the split of each
// request's latency. Owned by the main thread: requests are accounted when they complete.

import { BlockOp } from '../shared/block/block.ts';
import { stampMs } from '../shared/sync/clock.ts';
import { Histogram, type LatencySummary } from '../shared/stats/histogram.ts';
import type { LatencySplit } from '../shared/stats/latency-split.ts';

/** BlockAcctType */
export const AcctType = { READ: 0, WRITE: 1, FLUSH: 2, UNMAP: 3 } as const;
export type AcctType = (typeof AcctType)[keyof typeof AcctType];

/** Write-zeroes is accounted as a write and discard as unmap, as virtio-blk does. */
export function acctTypeOf(op: BlockOp): AcctType {
  switch (op) {
    case BlockOp.READ:
      return AcctType.READ;
    case BlockOp.WRITE:
    case BlockOp.WRITE_ZEROES:
      return AcctType.WRITE;
    case BlockOp.FLUSH:
      return AcctType.FLUSH;
    case BlockOp.DISCARD:
      return AcctType.UNMAP;
    case BlockOp.WRITEBACK:
      // The backend's own request, never accounted: this is only for completeness.
      return AcctType.FLUSH;
  }
}

/** query-blockstats' BlockDeviceStats, and our histograms. */
export interface BlockDeviceStats {
  rd_bytes: number;
  wr_bytes: number;
  unmap_bytes: number;
  rd_operations: number;
  wr_operations: number;
  flush_operations: number;
  unmap_operations: number;
  rd_total_time_ns: number;
  wr_total_time_ns: number;
  flush_total_time_ns: number;
  unmap_total_time_ns: number;
  rd_merged: number;
  wr_merged: number;
  unmap_merged: number;
  wr_highest_offset: number;
  idle_time_ns: number;
  failed_rd_operations: number;
  failed_wr_operations: number;
  failed_flush_operations: number;
  failed_unmap_operations: number;
  invalid_rd_operations: number;
  invalid_wr_operations: number;
  invalid_flush_operations: number;
  invalid_unmap_operations: number;
  account_invalid: boolean;
  account_failed: boolean;
  /** Latency per type, µs (cf. rd_latency_histogram and friends). */
  latency: { rd: LatencySummary; wr: LatencySummary; flush: LatencySummary; unmap: LatencySummary };
  split: LatencySplit;
}

const TYPES = 4;

export class BlockAcct {
  private readonly bytes = new Array<number>(TYPES).fill(0);
  private readonly ops = new Array<number>(TYPES).fill(0);
  private readonly failed = new Array<number>(TYPES).fill(0);
  private readonly invalidOps = new Array<number>(TYPES).fill(0);
  private readonly totalNs = new Array<number>(TYPES).fill(0);
  private readonly mergedOps = new Array<number>(TYPES).fill(0);
  readonly latency = Array.from({ length: TYPES }, () => Histogram.create());
  readonly queueWait = Histogram.create();
  readonly service = Histogram.create();
  readonly completion = Histogram.create();
  private wrHighestOffset = 0;
  private lastAccessMs = stampMs();

  /** block_acct_done() / block_acct_failed(): one finished request. */
  account(type: AcctType, nbytes: number, latencyMs: number, failed: boolean): void {
    if (failed) {
      this.failed[type]++;
    } else {
      this.bytes[type] += nbytes;
      this.ops[type]++;
    }
    this.latency[type].record(latencyMs * 1000);
    this.totalNs[type] += Math.round(latencyMs * 1e6);
    this.lastAccessMs = stampMs();
  }

  /** block_acct_merge_done(): `n` requests were merged into others. */
  merged(type: AcctType, n: number): void {
    this.mergedOps[type] += n;
  }

  /** block_acct_invalid(): a request refused before it was submitted. */
  invalid(type: AcctType): void {
    this.invalidOps[type]++;
    this.lastAccessMs = stampMs();
  }

  /** A successful write ended at `endByte` (cf. wr_highest_offset). */
  wrote(endByte: number): void {
    if (endByte > this.wrHighestOffset) this.wrHighestOffset = endByte;
  }

  /** Where a request's time went, from its slot's stamps (ms since the epoch). */
  split(tSubmit: number, tStart: number, tDone: number, tComplete: number): void {
    if (tStart > 0) {
      this.queueWait.record((tStart - tSubmit) * 1000);
      this.service.record((tDone - tStart) * 1000);
    }
    this.completion.record((tComplete - tDone) * 1000);
  }

  stats(): BlockDeviceStats {
    const { READ, WRITE, FLUSH, UNMAP } = AcctType;
    return {
      rd_bytes: this.bytes[READ],
      wr_bytes: this.bytes[WRITE],
      unmap_bytes: this.bytes[UNMAP],
      rd_operations: this.ops[READ],
      wr_operations: this.ops[WRITE],
      flush_operations: this.ops[FLUSH],
      unmap_operations: this.ops[UNMAP],
      rd_total_time_ns: this.totalNs[READ],
      wr_total_time_ns: this.totalNs[WRITE],
      flush_total_time_ns: this.totalNs[FLUSH],
      unmap_total_time_ns: this.totalNs[UNMAP],
      rd_merged: this.mergedOps[READ],
      wr_merged: this.mergedOps[WRITE],
      unmap_merged: this.mergedOps[UNMAP],
      wr_highest_offset: this.wrHighestOffset,
      idle_time_ns: Math.round((stampMs() - this.lastAccessMs) * 1e6),
      failed_rd_operations: this.failed[READ],
      failed_wr_operations: this.failed[WRITE],
      failed_flush_operations: this.failed[FLUSH],
      failed_unmap_operations: this.failed[UNMAP],
      invalid_rd_operations: this.invalidOps[READ],
      invalid_wr_operations: this.invalidOps[WRITE],
      invalid_flush_operations: this.invalidOps[FLUSH],
      invalid_unmap_operations: this.invalidOps[UNMAP],
      account_invalid: true,
      account_failed: true,
      latency: {
        rd: this.latency[READ].summary(),
        wr: this.latency[WRITE].summary(),
        flush: this.latency[FLUSH].summary(),
        unmap: this.latency[UNMAP].summary(),
      },
      split: {
        queue_wait: this.queueWait.summary(),
        service: this.service.summary(),
        completion: this.completion.summary(),
      },
    };
  }
}
