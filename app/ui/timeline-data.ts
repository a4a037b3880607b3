// A machine trace as the timeline draws it: a lane per vCPU, one for the main thread and one per
// pool worker (named with its creator), each a list of stretches in a state, and the pool's
// counters as steps; times in ms from the trace's origin (the burst's first submission).

import { IDE_SUBMIT } from '../shared/virtio/ide-ring.ts';
import type { MachineTrace } from '../shared/trace/trace.ts';
import { PoolTraceKind, VcpuTraceKind } from '../shared/trace/trace-ring.ts';
import { Mmio } from '../shared/virtio/virtio.ts';

/** What a stretch of a lane shows; the legend's order. */
export const LANE_STATES = [
  'running',
  'BQL wait',
  'in exit, BQL held',
  'halted',
  'new_thread_bh',
  'completion_bh',
  'requested',
  'being created',
  'starting',
  'idle',
  'serving',
] as const;
export type LaneState = (typeof LANE_STATES)[number];

export interface Stretch {
  lane: string;
  state: LaneState;
  x1: number;
  x2: number;
  /** For the tooltip: what it was, and its true length. */
  title: string;
}

export interface CounterPoint {
  counter: 'cur' | 'idle' | 'new' | 'pending';
  x: number;
  value: number;
}

/** The pool at one moment: workers that have started, and workers owed or still starting. */
export interface WorkerCount {
  x: number;
  started: number;
  owed: number;
}

export interface TimelineData {
  label: string;
  /** Lanes top to bottom: vCPUs, the main thread, then workers in spawn order. */
  lanes: string[];
  stretches: Stretch[];
  counters: CounterPoint[];
  /** The same counters as workers started (cur − new − pending) and owed (new + pending). */
  workers: WorkerCount[];
  /** The window, in ms from the origin. */
  x1: number;
  x2: number;
}

const fmtMs = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

export const vcpuLane = (v: number) => `vCPU ${v}`;
export const MAIN_LANE = 'main thread';
export const workerLane = (seq: number, creator: string | null) =>
  `aio-${seq} (by ${creator ?? 'nobody yet'})`;

export function timelineData(t: MachineTrace): TimelineData {
  const at = (stamp: number) => stamp - t.tOrigin;
  const x1 = at(t.tStart);
  const x2 = at(t.tEnd);
  const stretches: Stretch[] = [];
  const add = (lane: string, state: LaneState, t0: number, t1: number, what: string) => {
    if (!(t0 > 0) || !(t1 >= t0)) return;
    stretches.push({ lane, state, x1: at(t0), x2: at(t1), title: `${what}: ${fmtMs(t1 - t0)}` });
  };
  const lanes: string[] = [];
  for (let v = 0; v < t.vcpus; v++) {
    const lane = vcpuLane(v);
    lanes.push(lane);
    stretches.push({ lane, state: 'running', x1, x2, title: `${lane}: running guest code` });
  }
  for (const s of t.slices) {
    const lane = vcpuLane(s.vcpu);
    if (s.kind === VcpuTraceKind.HALT) {
      add(lane, 'halted', s.t0, s.t1, 'halted');
      continue;
    }
    const what =
      s.reg === Mmio.QUEUE_NOTIFY
        ? `doorbell exit, ${s.requests} requests`
        : s.reg === IDE_SUBMIT
          ? `IDE submission, ${s.requests} requests`
          : 'MMIO exit';
    add(lane, 'BQL wait', s.t0, s.t1, `${what}: waiting for the BQL`);
    add(lane, 'in exit, BQL held', s.t1, s.t2, `${what}: holding the BQL`);
  }
  lanes.push(MAIN_LANE);
  for (const r of t.bhRuns) {
    const state: LaneState = r.name === 'new_thread_bh' ? 'new_thread_bh' : 'completion_bh';
    add(MAIN_LANE, state, r.t0, r.t1, r.name);
  }
  const laneOf = new Map<number, string>();
  for (const w of t.spawns) {
    const lane = workerLane(w.seq, w.creator);
    laneOf.set(w.seq, lane);
    lanes.push(lane);
    const end = (stamp: number) => stamp || w.tExited || t.tEnd;
    add(lane, 'requested', w.tRequested, end(w.tCreated), 'requested (in the backlog)');
    add(lane, 'being created', w.tCreated, end(w.tReady), `created by ${w.creator ?? '?'}`);
  }
  const firstStart = new Map<number, number>();
  for (const r of t.requests) {
    const lane = laneOf.get(r.worker);
    if (lane) add(lane, 'serving', r.tStart, r.tDone, `serving vCPU ${r.vcpu}'s ${r.op}`);
    const first = firstStart.get(r.worker);
    if (r.tStart > 0 && (first === undefined || r.tStart < first))
      firstStart.set(r.worker, r.tStart);
  }
  // From the first line run (READY) to the first idle wait: opening the image; idle stretches
  // from each IDLE to the WAKE or EXIT that ends it.
  const idleSince = new Map<number, number>();
  const readyAt = new Map<number, number>();
  const counters: CounterPoint[] = [];
  const workers: WorkerCount[] = [];
  for (const e of t.pool) {
    const lane = laneOf.get(e.worker);
    if (e.kind === PoolTraceKind.READY) readyAt.set(e.worker, e.t);
    if (e.kind === PoolTraceKind.IDLE) {
      const ready = readyAt.get(e.worker);
      const until = Math.min(e.t, firstStart.get(e.worker) ?? e.t);
      if (lane && ready !== undefined)
        add(lane, 'starting', ready, until, 'first line run, opening');
      readyAt.delete(e.worker);
      idleSince.set(e.worker, e.t);
    } else if (e.kind === PoolTraceKind.WAKE || e.kind === PoolTraceKind.EXIT) {
      const since = idleSince.get(e.worker);
      if (lane && since !== undefined) add(lane, 'idle', since, e.t, 'idle');
      idleSince.delete(e.worker);
    }
    const x = at(e.t);
    const owed = e.backlog + e.pending;
    // Events one clock step apart share a stamp: the pool is what the last of them left.
    if (workers.at(-1)?.x === x) workers.pop();
    workers.push({ x, started: e.cur - owed, owed });
    counters.push(
      { counter: 'cur', x, value: e.cur },
      { counter: 'idle', x, value: e.idle },
      { counter: 'new', x, value: e.backlog },
      { counter: 'pending', x, value: e.pending },
    );
  }
  for (const [worker, since] of idleSince) {
    const lane = laneOf.get(worker);
    if (lane) add(lane, 'idle', since, t.tEnd, 'idle');
  }
  return { label: t.label, lanes, stretches, counters, workers, x1, x2 };
}
