// A machine trace as Chrome trace-event JSON (the "JSON Object Format" that Perfetto UI and
// chrome://tracing open): a process per trace, a thread track per vCPU, the main thread and each
// pool worker; complete ("X") slices for exits, halts, bottom-half runs, request phases and
// worker life stages; a counter ("C") track for the pool's counters. Times: µs since the epoch.

import { IDE_SUBMIT } from './ide-ring.ts';
import { Mmio } from './virtio.ts';
import type { MachineTrace } from './trace.ts';
import { PoolTraceKind, VcpuTraceKind } from './trace-ring.ts';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M' | 'i';
  /** µs */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  args?: Record<string, string | number>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

/** Thread ids in each process: the main thread, the vCPUs, then the pool's workers. */
export const TID_MAIN = 1;
export const tidOfVcpu = (v: number) => 100 + v;
export const tidOfWorker = (seq: number) => 1000 + seq;

const REG_NAMES = new Map<number, string>([
  ...Object.entries(Mmio).map(([k, v]) => [v, k] as const),
  [IDE_SUBMIT, 'IDE_SUBMIT'],
]);
const us = (ms: number) => Math.round(ms * 1000 * 1000) / 1000;

/** The trace's events; `pid` tells traces in one file apart. */
export function traceEvents(t: MachineTrace, pid: number): TraceEvent[] {
  const ev: TraceEvent[] = [];
  const meta = (tid: number, name: string, sort: number) => {
    ev.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } });
    ev.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid, args: { sort_index: sort } });
  };
  const slice = (
    tid: number,
    cat: string,
    name: string,
    t0: number,
    t1: number,
    args?: TraceEvent['args'],
  ) => {
    if (!(t0 > 0) || !(t1 >= t0)) return;
    ev.push({ name, cat, ph: 'X', ts: us(t0), dur: us(t1) - us(t0), pid, tid, args });
  };
  ev.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: t.label } });
  meta(TID_MAIN, 'main thread', 0);
  for (let v = 0; v < t.vcpus; v++) meta(tidOfVcpu(v), `vCPU ${v}`, 1 + v);
  for (const w of t.spawns) {
    meta(tidOfWorker(w.seq), `aio-${w.seq} (created by ${w.creator ?? 'nobody yet'})`, 100 + w.seq);
  }

  for (const s of t.slices) {
    const tid = tidOfVcpu(s.vcpu);
    if (s.kind === VcpuTraceKind.HALT) {
      slice(tid, 'vcpu', 'halted', s.t0, s.t1);
      continue;
    }
    const reg = REG_NAMES.get(s.reg) ?? `0x${s.reg.toString(16)}`;
    const doorbell = s.reg === Mmio.QUEUE_NOTIFY || s.reg === IDE_SUBMIT;
    const name = doorbell ? `exit ${reg} (${s.requests} requests)` : `exit ${reg}`;
    const args = { bqlWaitUs: us(s.t1 - s.t0), bqlHoldUs: us(s.t2 - s.t1), requests: s.requests };
    slice(tid, 'exit', name, s.t0, s.t2, args);
    slice(tid, 'bql', 'BQL wait', s.t0, s.t1);
    slice(tid, 'bql', 'BQL held', s.t1, s.t2);
  }
  for (const r of t.bhRuns) slice(TID_MAIN, 'bh', r.name, r.t0, r.t1);

  for (const r of t.requests) {
    const who = r.vcpu >= 0 ? `vcpu${r.vcpu}` : 'direct';
    const args = { vcpu: r.vcpu, head: r.tag, op: r.op, nbytes: r.nbytes, ret: r.ret };
    const name = `${r.op} ${who}#${r.tag}`;
    const tid = r.vcpu >= 0 ? tidOfVcpu(r.vcpu) : TID_MAIN;
    // The request's phases: queued and completed on its submitter's track, served on its worker's.
    slice(tid, 'request.queued', `queued ${name}`, r.tSubmit, r.tStart || r.tDone, args);
    if (r.worker >= 0) {
      slice(tidOfWorker(r.worker), 'request.served', `served ${name}`, r.tStart, r.tDone, args);
    }
    slice(TID_MAIN, 'request.completed', `completed ${name}`, r.tDone, r.tComplete, args);
  }

  for (const w of t.spawns) {
    const tid = tidOfWorker(w.seq);
    const args = { creator: w.creator ?? 'none', served: w.served, state: w.state };
    slice(tid, 'worker', 'requested (backlog)', w.tRequested, w.tCreated || t.tEnd, args);
    if (w.tCreated)
      slice(tid, 'worker', 'created, not running yet', w.tCreated, w.tReady || t.tEnd);
    if (w.tExited) {
      ev.push({ name: `exited (${w.state})`, ph: 'i', s: 't', ts: us(w.tExited), pid, tid });
    }
  }
  // Idle stretches: from each IDLE to the WAKE (or exit) that ends it.
  const idleSince = new Map<number, number>();
  for (const e of t.pool) {
    if (e.kind === PoolTraceKind.IDLE) idleSince.set(e.worker, e.t);
    else if (e.kind === PoolTraceKind.WAKE || e.kind === PoolTraceKind.EXIT) {
      const since = idleSince.get(e.worker);
      if (since !== undefined) slice(tidOfWorker(e.worker), 'worker', 'idle', since, e.t);
      idleSince.delete(e.worker);
    }
    const args = { cur: e.cur, idle: e.idle, new: e.backlog, pending: e.pending };
    ev.push({ name: 'pool threads', ph: 'C', ts: us(e.t), pid, tid: 0, args });
  }
  for (const [worker, since] of idleSince) {
    slice(tidOfWorker(worker), 'worker', 'idle', since, t.tEnd);
  }
  return ev;
}

/** One file for several traces (e.g. two policies side by side): one process each. */
export function chromeTrace(traces: readonly MachineTrace[]): ChromeTrace {
  return {
    traceEvents: traces.flatMap((t, i) => traceEvents(t, i + 1)),
    displayTimeUnit: 'ms',
    otherData: {
      producer: 'WebAIO',
      clock: 'performance.timeOrigin + performance.now(), µs since the epoch',
      traces: traces.map((t) => t.label).join('; '),
    },
  };
}
