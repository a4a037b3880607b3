// Trace rings in the control buffer (cf. QEMU's trace events, but without a message per event):
// each vCPU logs its exits and halts to a ring of its own, the pool logs every change of its
// counters under its lock. The page drains them while it records a trace; nobody waits on them.

import type { Control } from '../layout/layout.ts';
import type { Field, SegmentField } from '../layout/layout-region.ts';
import { POOL_TRACE_EVENTS } from '../pool/pool-trace-layout.ts';
import { VCPU_TRACE_EVENTS } from '../machine/vcpu-layout.ts';

/** What a vCPU logs: an MMIO exit (t0 start, t1 BQL taken, t2 BQL dropped) or a halt (t0–t1). */
export const VcpuTraceKind = { EXIT: 1, HALT: 2 } as const;
export type VcpuTraceKind = (typeof VcpuTraceKind)[keyof typeof VcpuTraceKind];

/** What the pool logs, each with the counters just after it (cf. trace-events of thread-pool.c). */
export const PoolTraceKind = {
  /** spawn_thread(): one more worker owed (cur_threads++, new_threads++). */
  SPAWN: 1,
  /** do_spawn_thread(): a creator took it from the backlog (new_threads--, pending_threads++). */
  CREATE: 2,
  /** The newborn's first act (pending_threads--). */
  READY: 3,
  /** Waiting on the request condition variable (idle_threads++), and woken (idle_threads--). */
  IDLE: 4,
  WAKE: 5,
  /** Left its loop, or will never run (cur_threads--). */
  EXIT: 6,
  LOST: 7,
} as const;
export type PoolTraceKind = (typeof PoolTraceKind)[keyof typeof PoolTraceKind];

/** Log one event of vCPU `v` (the vCPU itself, the ring's only writer). */
export function vcpuTrace(
  ctl: Control,
  v: number,
  kind: VcpuTraceKind,
  arg: number,
  count: number,
  t0: number,
  t1: number,
  t2: number,
): void {
  const { i32, f64, L } = ctl;
  const V = L.vcpu;
  const head = V.traceHead.at(v);
  const n = i32[head];
  const k = n % VCPU_TRACE_EVENTS;
  i32[V.traceKind.at(v, k)] = kind;
  i32[V.traceArg.at(v, k)] = arg;
  i32[V.traceCount.at(v, k)] = count;
  f64[V.traceT0.at(v, k)] = t0;
  f64[V.traceT1.at(v, k)] = t1;
  f64[V.traceT2.at(v, k)] = t2;
  // Fields before the head: a reader that sees the head past an entry sees the entry whole.
  Atomics.store(i32, head, (n + 1) | 0);
}

/** Log a pool event with the counters as they are now. Under the pool lock (one writer). */
export function poolTraceLocked(
  ctl: Control,
  kind: PoolTraceKind,
  record: number,
  t: number,
): void {
  const { i32, f64, L } = ctl;
  const T = L.poolTrace;
  const p = L.pool;
  const n = i32[T.head];
  const k = n % POOL_TRACE_EVENTS;
  i32[T.kind.at(k)] = kind;
  i32[T.record.at(k)] = record;
  i32[T.cur.at(k)] = Atomics.load(i32, p.curThreads);
  i32[T.idle.at(k)] = Atomics.load(i32, p.idleThreads);
  i32[T.backlog.at(k)] = Atomics.load(i32, p.newThreads);
  i32[T.pending.at(k)] = Atomics.load(i32, p.pendingThreads);
  f64[T.t.at(k)] = t;
  Atomics.store(i32, T.head, (n + 1) | 0);
}

export interface VcpuTraceEvent {
  vcpu: number;
  kind: VcpuTraceKind;
  arg: number;
  count: number;
  t0: number;
  t1: number;
  t2: number;
}

export interface PoolTraceEvent {
  kind: PoolTraceKind;
  record: number;
  cur: number;
  idle: number;
  backlog: number;
  pending: number;
  t: number;
}

/**
 * A reader of one ring from where its head was when the reader was made: drain() returns the
 * entries written since the last call, and counts those the writer overwrote before they were
 * read (a writer never waits for a reader).
 */
export class RingReader<E> {
  private readonly i32: Int32Array;
  private readonly headIndex: number;
  private readonly capacity: number;
  private readonly read: (k: number) => E;
  private next: number;
  /** Entries overwritten before they were read. */
  dropped = 0;

  constructor(i32: Int32Array, headIndex: number, capacity: number, read: (k: number) => E) {
    this.i32 = i32;
    this.headIndex = headIndex;
    this.capacity = capacity;
    this.read = read;
    this.next = Atomics.load(i32, headIndex);
  }

  drain(): E[] {
    const head = Atomics.load(this.i32, this.headIndex);
    let from = this.next;
    if (head - from > this.capacity) {
      this.dropped += head - from - this.capacity;
      from = head - this.capacity;
    }
    const out: E[] = [];
    for (let n = from; n !== head; n = (n + 1) | 0) out.push(this.read(n % this.capacity));
    // Entries the writer may have lapped while we copied them are not trusted.
    const after = Atomics.load(this.i32, this.headIndex);
    const unsafe = Math.max(0, after - this.capacity - from);
    if (unsafe > 0) {
      out.splice(0, unsafe);
      this.dropped += unsafe;
    }
    this.next = head;
    return out;
  }
}

export function vcpuTraceReader(ctl: Control, v: number): RingReader<VcpuTraceEvent> {
  const { i32, f64, L } = ctl;
  const V = L.vcpu;
  const at = (f: SegmentField, k: number) => f.at(v, k);
  return new RingReader(i32, V.traceHead.at(v), VCPU_TRACE_EVENTS, (k) => ({
    vcpu: v,
    kind: i32[at(V.traceKind, k)] as VcpuTraceKind,
    arg: i32[at(V.traceArg, k)],
    count: i32[at(V.traceCount, k)],
    t0: f64[at(V.traceT0, k)],
    t1: f64[at(V.traceT1, k)],
    t2: f64[at(V.traceT2, k)],
  }));
}

export function poolTraceReader(ctl: Control): RingReader<PoolTraceEvent> {
  const { i32, f64, L } = ctl;
  const T = L.poolTrace;
  const get = (f: Field, k: number) => i32[f.at(k)];
  return new RingReader(i32, T.head, POOL_TRACE_EVENTS, (k) => ({
    kind: get(T.kind, k) as PoolTraceKind,
    record: get(T.record, k),
    cur: get(T.cur, k),
    idle: get(T.idle, k),
    backlog: get(T.backlog, k),
    pending: get(T.pending, k),
    t: f64[T.t.at(k)],
  }));
}
