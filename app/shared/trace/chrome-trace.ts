// A machine trace as Chrome trace-event JSON (the "JSON Object Format" that Perfetto UI and
// chrome://tracing open): a process per trace; a thread track per vCPU, the main thread and each
// pool worker, whose complete ("X") slices nest; every request as an async ("b"/"e") slice tree
// on a track of its process; a counter ("C") track for the pool's counters. Times: whole µs
// since the epoch. app/shared/trace/trace-nesting.ts checks that it draws as recorded.

import { IDE_SUBMIT } from '../virtio/ide-ring.ts';
import { Mmio } from '../virtio/virtio.ts';
import type { MachineTrace, RequestTrace } from './trace.ts';
import { PoolTraceKind, VcpuTraceKind } from './trace-ring.ts';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M' | 'i' | 'b' | 'e';
  /** Whole µs */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  /** The async slice tree of a b/e: process-local, so Perfetto files its track under the
   *  process (a plain `id` is global: its slices would go to "Global Legacy Events"). */
  id2?: { local: string };
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

/**
 * A stamp (ms since the epoch) in whole µs. With a fraction, Perfetto's ns (µs × 1000, a double
 * near 1.8e18 whose step is 256 ns) could round a child's end past the end it shares with its
 * parent; whole µs convert exactly. The browser's clock steps by 5 µs or more anyway.
 */
const us = (ms: number) => Math.round(ms * 1000);
/** A length for args, to the ns. */
const lengthUs = (ms: number) => Math.round(ms * 1e6) / 1000;

/** A stretch of one thread's time, whole µs. */
interface Stretch {
  name: string;
  ts: number;
  end: number;
  args?: TraceEvent['args'];
}

/** The trace's events; `pid` tells traces in one file apart. */
export function traceEvents(t: MachineTrace, pid: number): TraceEvent[] {
  const ev: TraceEvent[] = [];
  const meta = (tid: number, name: string, sort: number) => {
    ev.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } });
    ev.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid, args: { sort_index: sort } });
  };
  // A stretch is drawn even at 0 µs (Perfetto shows a tick): it happened. Not one without a
  // start stamp, nor one that ends before it starts.
  const slice = (tid: number, cat: string, s: Stretch) => {
    if (!(s.ts > 0) || !(s.end >= s.ts)) return;
    ev.push({ name: s.name, cat, ph: 'X', ts: s.ts, dur: s.end - s.ts, pid, tid, args: s.args });
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
      slice(tid, 'vcpu', { name: 'halted', ts: us(s.t0), end: us(s.t1) });
      continue;
    }
    const reg = REG_NAMES.get(s.reg) ?? `0x${s.reg.toString(16)}`;
    const doorbell = s.reg === Mmio.QUEUE_NOTIFY || s.reg === IDE_SUBMIT;
    const name = doorbell ? `exit ${reg} (${s.requests} requests)` : `exit ${reg}`;
    const args = {
      bqlWaitUs: lengthUs(s.t1 - s.t0),
      bqlHoldUs: lengthUs(s.t2 - s.t1),
      requests: s.requests,
    };
    // One thread's stamps, in order; clamped all the same, so that no part pokes out of its exit.
    const t0 = us(s.t0);
    const t2 = Math.max(t0, us(s.t2));
    const t1 = Math.min(Math.max(t0, us(s.t1)), t2);
    slice(tid, 'exit', { name, ts: t0, end: t2, args });
    // Save a tick on every uncontended exit: a part of 0 µs is left out (the args have both).
    if (t1 > t0) slice(tid, 'bql', { name: 'BQL wait', ts: t0, end: t1 });
    if (t2 > t1) slice(tid, 'bql', { name: 'BQL held', ts: t1, end: t2 });
  }
  for (const r of t.bhRuns) slice(TID_MAIN, 'bh', { name: r.name, ts: us(r.t0), end: us(r.t1) });

  t.requests.forEach((r, i) => ev.push(...requestEvents(r, pid, `${pid}.${i}`)));

  for (const [worker, stretches] of workerStretches(t)) {
    for (const s of chain(stretches)) slice(tidOfWorker(worker), 'worker', s);
  }
  for (const w of t.spawns) {
    if (w.tExited) {
      const name = `exited (${w.state})`;
      ev.push({ name, ph: 'i', s: 't', ts: us(w.tExited), pid, tid: tidOfWorker(w.seq) });
    }
  }
  for (const e of t.pool) {
    const args = { cur: e.cur, idle: e.idle, new: e.backlog, pending: e.pending };
    ev.push({ name: 'pool threads', ph: 'C', ts: us(e.t), pid, tid: 0, args });
  }
  return ev;
}

/**
 * A request as an async slice tree (Trace Event Format, "Async Events": one category and id per
 * tree, children inside their parent): a root from submission to completion, named by op and
 * submitter — Perfetto draws all of one submitter's requests of one op on a track of that name
 * — holding its phases: queued, served by a worker, completed by the main loop. The phases run
 * on three threads; as X slices on those threads' tracks they overlapped what the threads did.
 */
function requestEvents(r: RequestTrace, pid: number, id: string): TraceEvent[] {
  if (!(r.tSubmit > 0)) return [];
  // Stamps of three threads, whose clocks may disagree by a step: clamped into order, each
  // phase starts where the one before ended. A phase of 0 µs stays: its b and e follow each
  // other in the file, and readers sort stably by time.
  const submit = us(r.tSubmit);
  const start = r.tStart > 0 ? Math.max(us(r.tStart), submit) : 0;
  const done = Math.max(us(r.tDone), start || submit);
  const complete = Math.max(us(r.tComplete), done);
  const who = r.vcpu >= 0 ? `vcpu${r.vcpu}` : 'direct';
  const tid = r.vcpu >= 0 ? tidOfVcpu(r.vcpu) : TID_MAIN;
  const args = {
    vcpu: r.vcpu,
    head: r.tag,
    op: r.op,
    nbytes: r.nbytes,
    worker: r.worker,
    ret: r.ret,
  };
  const out: TraceEvent[] = [];
  const at = (ph: 'b' | 'e', name: string, ts: number) => {
    const e: TraceEvent = { name, cat: 'request', ph, ts, pid, tid, id2: { local: id } };
    if (ph === 'b') e.args = args;
    out.push(e);
  };
  const phase = (name: string, t0: number, t1: number) => {
    at('b', name, t0);
    at('e', name, t1);
  };
  const root = `${r.op} ${who}`;
  at('b', root, submit);
  phase(`queued #${r.tag}`, submit, start || done);
  if (start) phase(`served #${r.tag}${r.worker >= 0 ? ` by aio-${r.worker}` : ''}`, start, done);
  phase(`completed #${r.tag}`, done, complete);
  at('e', root, complete);
  return out;
}

/** Each worker's stretches by spawn number: life stages, idle waits and serving, unordered. */
function workerStretches(t: MachineTrace): Map<number, Stretch[]> {
  const by = new Map<number, Stretch[]>();
  const add = (worker: number, s: Stretch) => {
    if (worker < 0) return;
    const list = by.get(worker) ?? [];
    list.push(s);
    by.set(worker, list);
  };
  for (const w of t.spawns) {
    const until = (stamp: number) => us(stamp || w.tExited || t.tEnd);
    const args = { creator: w.creator ?? 'none', served: w.served, state: w.state };
    add(w.seq, { name: 'requested (backlog)', ts: us(w.tRequested), end: until(w.tCreated), args });
    if (w.tCreated) {
      add(w.seq, { name: 'created, not running yet', ts: us(w.tCreated), end: until(w.tReady) });
    }
  }
  // Idle stretches: from each IDLE to the WAKE (or exit) that ends it.
  const idleSince = new Map<number, number>();
  for (const e of t.pool) {
    if (e.kind === PoolTraceKind.IDLE) idleSince.set(e.worker, e.t);
    else if (e.kind === PoolTraceKind.WAKE || e.kind === PoolTraceKind.EXIT) {
      const since = idleSince.get(e.worker);
      if (since !== undefined) add(e.worker, { name: 'idle', ts: us(since), end: us(e.t) });
      idleSince.delete(e.worker);
    }
  }
  for (const [worker, since] of idleSince) {
    add(worker, { name: 'idle', ts: us(since), end: us(t.tEnd) });
  }
  // Serving: the union of the worker's service times. A worker takes a batch of requests at
  // once, and their times need not nest, so one stretch says how many it served.
  const served = new Map<number, Stretch[]>();
  for (const r of t.requests) {
    if (!(r.tStart > 0) || r.worker < 0) continue;
    const list = served.get(r.worker) ?? [];
    list.push({ name: 'serving', ts: us(r.tStart), end: Math.max(us(r.tStart), us(r.tDone)) });
    served.set(r.worker, list);
  }
  for (const [worker, list] of served) {
    let cur: Stretch | undefined;
    let n = 0;
    const flush = () => {
      if (cur) add(worker, { ...cur, args: { requests: n } });
    };
    for (const s of list.sort((a, b) => a.ts - b.ts)) {
      if (cur && s.ts <= cur.end) {
        cur.end = Math.max(cur.end, s.end);
        n++;
      } else {
        flush();
        cur = { ...s };
        n = 1;
      }
    }
    flush();
  }
  return by;
}

/**
 * One thread's stretches as a sequence: by start, each clamped to begin no earlier than the one
 * before ended (a worker's stamps come from several threads, whose clocks may disagree by a
 * step); one that then ends before it starts, all of it in the time of those before, is
 * dropped. Touching, never overlapping; one of 0 µs stays.
 */
function chain(stretches: Stretch[]): Stretch[] {
  const out: Stretch[] = [];
  let until = -Infinity;
  for (const s of [...stretches].sort((a, b) => a.ts - b.ts)) {
    const ts = Math.max(s.ts, until);
    if (s.end < ts) continue;
    out.push({ ...s, ts });
    until = s.end;
  }
  return out;
}

/** One file for several traces (e.g. two policies side by side): one process each. */
export function chromeTrace(traces: readonly MachineTrace[]): ChromeTrace {
  return {
    traceEvents: traces.flatMap((t, i) => traceEvents(t, i + 1)),
    displayTimeUnit: 'ms',
    otherData: {
      producer: 'WebAIO',
      clock: 'performance.timeOrigin + performance.now(), whole µs since the epoch',
      traces: traces.map((t) => t.label).join('; '),
    },
  };
}
