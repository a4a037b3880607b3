// How a pool worker picks its next request(s) from the request list. QEMU's worker_thread()
// takes QTAILQ_FIRST, one at a time; with aio.batch > 1 a worker takes a batch that shares one
// IndexedDB transaction, and queued writes wait while a write batch runs. With aio.batch 1
// every choice below is QEMU's. Every call runs under the pool lock.

import { batchClassOf } from '../block/block.ts';
import type { Control } from '../layout/layout.ts';
import type { RequestList } from './request-list.ts';

export class RequestPicker {
  private readonly i32: Int32Array;
  private readonly L: Control['L'];
  private readonly requests: RequestList;

  constructor(ctl: Control, requests: RequestList) {
    this.i32 = ctl.i32;
    this.L = ctl.L;
    this.requests = requests;
  }

  private get(index: number): number {
    return Atomics.load(this.i32, index);
  }

  /** Requests a worker takes at most (aio.batch). */
  batchLimit(): number {
    return Math.max(1, this.get(this.L.aio.batch));
  }

  /** Idle workers to wake, or workers to owe, for `count` queued requests: one per batch. */
  workersFor(count: number): number {
    return Math.ceil(count / this.batchLimit());
  }

  /**
   * Whether a request queued now starts a batch of its own, and so owes a worker if nobody is
   * idle: one queued behind others that already owe one joins that worker's batch (with batch
   * 1, every request starts one, as in QEMU).
   */
  startsBatchLocked(): boolean {
    return this.get(this.L.pool.queueLength) % this.batchLimit() === 0;
  }

  /**
   * The queued request a worker may take now, or -1: the oldest, except that with batching
   * queued writes wait while a write batch runs — IndexedDB would run their transaction after
   * that one's anyway; waiting here, they join one batch instead of queueing in IndexedDB one
   * small transaction each. A read may then go first, never past a barrier.
   */
  nextLocked(): number {
    const S = this.L.slot;
    const head = this.requests.head();
    if (head === -1 || this.batchLimit() === 1 || this.get(this.L.pool.writeBatches) === 0) {
      return head;
    }
    for (let s = head; s !== -1; s = this.requests.next(s)) {
      const cls = batchClassOf(this.get(S.op.at(s)));
      if (cls === 'read') return s;
      if (cls === 'barrier') return s === head ? s : -1;
    }
    return -1;
  }

  /**
   * Worker `record`'s batch, starting at `first` (nextLocked's): up to aio.batch queued
   * requests of its batch class, found before any barrier (a flush is never overtaken, nor
   * batched). A write batch holds queued writes back until batchFinishedLocked().
   */
  batchLocked(record: number, first: number): number[] {
    const S = this.L.slot;
    const cls = batchClassOf(this.get(S.op.at(first)));
    const limit = cls === 'barrier' ? 1 : this.batchLimit();
    const slots = [first];
    for (
      let s = this.requests.next(first);
      s !== -1 && slots.length < limit;
      s = this.requests.next(s)
    ) {
      const other = batchClassOf(this.get(S.op.at(s)));
      if (other === 'barrier') break;
      if (other === cls) slots.push(s);
    }
    if (cls === 'write') {
      Atomics.store(this.i32, this.L.record.writeBatch.at(record), 1);
      Atomics.add(this.i32, this.L.pool.writeBatches, 1);
    }
    return slots;
  }

  /** Worker `record`'s batch is done, or the worker is gone: writes queued behind it may go. */
  batchFinishedLocked(record: number): void {
    const at = this.L.record.writeBatch.at(record);
    if (this.get(at) === 0) return;
    Atomics.store(this.i32, at, 0);
    Atomics.add(this.i32, this.L.pool.writeBatches, -1);
  }
}
