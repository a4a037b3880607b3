// The pool's request list (cf. ThreadPool.request_list, a QTAILQ): queued slots, oldest first,
// doubly linked through words of the slots themselves. Every call runs under the pool lock.

import type { Control } from '../layout/layout.ts';

export class RequestList {
  private readonly i32: Int32Array;
  private readonly L: Control['L'];

  constructor(ctl: Control) {
    this.i32 = ctl.i32;
    this.L = ctl.L;
  }

  private get(index: number): number {
    return Atomics.load(this.i32, index);
  }
  private set(index: number, v: number): void {
    Atomics.store(this.i32, index, v);
  }

  /** The oldest queued slot, or -1. */
  head(): number {
    return this.get(this.L.pool.queueHead);
  }

  /** The slot queued after `slot`, or -1. */
  next(slot: number): number {
    return this.get(this.L.slot.next.at(slot));
  }

  empty(): boolean {
    return this.head() === -1;
  }

  /** QTAILQ_INSERT_TAIL */
  insertTail(slot: number): void {
    const { pool, slot: S } = this.L;
    const tail = this.get(pool.queueTail);
    this.set(S.next.at(slot), -1);
    this.set(S.prev.at(slot), tail);
    if (tail === -1) this.set(pool.queueHead, slot);
    else this.set(S.next.at(tail), slot);
    this.set(pool.queueTail, slot);
    Atomics.add(this.i32, pool.queueLength, 1);
  }

  /** QTAILQ_INSERT_HEAD: a request given back goes first. */
  insertHead(slot: number): void {
    const { pool, slot: S } = this.L;
    const head = this.get(pool.queueHead);
    this.set(S.prev.at(slot), -1);
    this.set(S.next.at(slot), head);
    if (head === -1) this.set(pool.queueTail, slot);
    else this.set(S.prev.at(head), slot);
    this.set(pool.queueHead, slot);
    Atomics.add(this.i32, pool.queueLength, 1);
  }

  /** QTAILQ_REMOVE */
  remove(slot: number): void {
    const { pool, slot: S } = this.L;
    const next = this.get(S.next.at(slot));
    const prev = this.get(S.prev.at(slot));
    if (prev === -1) this.set(pool.queueHead, next);
    else this.set(S.next.at(prev), next);
    if (next === -1) this.set(pool.queueTail, prev);
    else this.set(S.prev.at(next), prev);
    this.set(S.next.at(slot), -1);
    this.set(S.prev.at(slot), -1);
    Atomics.add(this.i32, pool.queueLength, -1);
  }
}
