// The pool's trace ring: every change of its counters, with the counters just after it, for the
// page to drain while it records a trace (trace-ring.ts writes and reads it).

import { field, type Cursor } from '../layout/layout-region.ts';

/** Events the pool's trace ring holds; the oldest are overwritten. */
export const POOL_TRACE_EVENTS = 8192;

export function poolTraceRegion(c: Cursor) {
  return {
    /** Events written so far, under `pool.lock` (whoever changes a counter); entry n is at
     *  n % POOL_TRACE_EVENTS, its fields written before the head moves past it. */
    head: c.i32(1),
    /** PoolTraceKind, and the spawn record it is about. */
    kind: field(c.i32(POOL_TRACE_EVENTS)),
    record: field(c.i32(POOL_TRACE_EVENTS)),
    /** The counters just after the event: cur, idle, new, pending threads. */
    cur: field(c.i32(POOL_TRACE_EVENTS)),
    idle: field(c.i32(POOL_TRACE_EVENTS)),
    backlog: field(c.i32(POOL_TRACE_EVENTS)),
    pending: field(c.i32(POOL_TRACE_EVENTS)),
    /** When (stamp). */
    t: field(c.f64(POOL_TRACE_EVENTS)),
  };
}
