// The step-through replay's script: one recorded trial as a list of measured events, in time
// order, each with one plain sentence — the doorbell, the big lock taken and dropped, every
// worker asked for, created (by whom) and started, requests served and completed. A run of
// the same kind of event is told three times, then summed up, so that a burst of 64 reads the
// eye can follow. No DOM: the replay view and its tests share it.

import type { MachineTrace } from '../shared/trace/trace.ts';
import { PoolTraceKind, VcpuTraceKind } from '../shared/trace/trace-ring.ts';
import { Mmio } from '../shared/virtio/virtio.ts';
import { MAIN_LANE, vcpuLane, workerLane } from '../ui/timeline-data.ts';
import { fmtMs } from './headline.ts';

export interface ReplayEvent {
  /** ms from the trace's origin (the burst's first submission). */
  t: number;
  /** The timeline lane it happens on. */
  lane: string;
  caption: string;
}

/** Kinds that repeat once per worker or request: told `TOLD` times, then summed up. */
type Repeating = 'created-by-vcpu' | 'created-by-bh' | 'started' | 'served' | 'completed';
type Kind = Repeating | 'once';

interface Raw extends ReplayEvent {
  kind: Kind;
}

/** How many of a repeating kind are told one by one. */
const TOLD = 3;
/** A wait for the BQL shorter than this is not worth a sentence (ms). */
const NOTABLE_WAIT_MS = 0.1;

const SUMMARY: Record<Repeating, (n: number, v: number) => string> = {
  'created-by-vcpu': (n, v) =>
    `vCPU ${v} went on creating workers the same way, still holding the lock: ${n} more.`,
  'created-by-bh': (n) =>
    `The main thread went on the same way, one worker per run of new_thread_bh: ${n} more.`,
  started: (n) => `${n} more workers started.`,
  served: (n, v) => `Workers took ${n} more of vCPU ${v}'s requests.`,
  completed: (n, v) =>
    `The main thread completed the rest of vCPU ${v}'s requests in ${n} more passes.`,
};

/** The replay of `trace`, the burst being vCPU `v`'s. */
export function replayEvents(trace: MachineTrace, v = 0): ReplayEvent[] {
  const at = (stamp: number) => stamp - trace.tOrigin;
  const raw: Raw[] = [];
  const add = (kind: Kind, stamp: number, lane: string, caption: string) => {
    if (stamp > 0) raw.push({ kind, t: at(stamp), lane, caption });
  };
  const me = vcpuLane(v);
  const creator = `vcpu${v}`;
  const laneOf = new Map(trace.spawns.map((w) => [w.seq, workerLane(w.seq, w.creator)]));
  const doorbells = trace.slices.filter(
    (s) =>
      s.vcpu === v && s.kind === VcpuTraceKind.EXIT && s.reg === Mmio.QUEUE_NOTIFY && s.requests,
  );

  for (const exit of doorbells) {
    const waitMs = exit.t1 - exit.t0;
    if (waitMs >= NOTABLE_WAIT_MS) {
      add(
        'once',
        exit.t0,
        me,
        `vCPU ${v} rings the disk's doorbell: ${exit.requests} requests are ready. It needs ` +
          `the big lock (BQL) first, and waits ${fmtMs(waitMs)} for it.`,
      );
      add('once', exit.t1, me, `vCPU ${v} has the big lock and runs the disk's emulation.`);
    } else {
      add(
        'once',
        exit.t0,
        me,
        `vCPU ${v} rings the disk's doorbell (${exit.requests} requests ready) and takes the ` +
          `big lock (BQL) to run the disk's emulation.`,
      );
    }
    const inside = (stamp: number) => stamp >= exit.t1 && stamp <= exit.t2;
    const mine = trace.spawns.filter((w) => w.creator === creator && inside(w.tCreated));
    mine.forEach((w, k) =>
      add(
        'created-by-vcpu',
        w.tCreated,
        me,
        `No idle worker: vCPU ${v} creates aio-${w.seq} itself, still holding the lock ` +
          `(${k + 1} of ${mine.length}).`,
      ),
    );
    const asked = trace.pool.filter((e) => e.kind === PoolTraceKind.SPAWN && inside(e.t));
    const last = asked.at(-1);
    if (asked.length > 0 && last && mine.length === 0) {
      add(
        'once',
        asked[0].t,
        me,
        `No idle worker: spawn_thread() counts ${last.backlog} workers owed and asks the main ` +
          `thread to create them (it schedules new_thread_bh). vCPU ${v} does not wait for them.`,
      );
    }
    add(
      'once',
      exit.t2,
      me,
      `vCPU ${v} drops the big lock after holding it ${fmtMs(exit.t2 - exit.t1)}, and goes ` +
        `back to its guest.`,
    );
    // The other vCPUs that needed the lock while this exit held it.
    for (const s of trace.slices) {
      const wait = s.t1 - s.t0;
      if (s.vcpu === v || s.kind !== VcpuTraceKind.EXIT || wait < NOTABLE_WAIT_MS) continue;
      if (s.t0 > exit.t2 || s.t1 < exit.t1) continue;
      add(
        'once',
        s.t0,
        vcpuLane(s.vcpu),
        `vCPU ${s.vcpu} needs the big lock too, and waits ${fmtMs(wait)} for it.`,
      );
    }
  }

  for (const r of trace.bhRuns) {
    if (r.name !== 'new_thread_bh') continue;
    const made = trace.spawns.find(
      (w) => w.creator === 'main' && w.tCreated >= r.t0 && w.tCreated <= r.t1,
    );
    add(
      'created-by-bh',
      r.t0,
      MAIN_LANE,
      made
        ? `The main thread runs new_thread_bh and creates one worker, aio-${made.seq}.`
        : 'The main thread runs new_thread_bh: no worker is owed any more.',
    );
  }

  const readyAt = new Map<number, number>();
  for (const e of trace.pool) {
    if (e.kind === PoolTraceKind.READY && !readyAt.has(e.worker)) readyAt.set(e.worker, e.backlog);
  }
  for (const w of trace.spawns) {
    const lane = laneOf.get(w.seq) ?? MAIN_LANE;
    const owed = readyAt.get(w.seq) ?? 0;
    let caption: string;
    if (w.creator === 'main') {
      caption =
        owed > 0
          ? `aio-${w.seq} starts. Its first act: ${owed} more are owed, so it asks the main ` +
            `thread for the next one.`
          : `aio-${w.seq} starts; no more workers are owed.`;
    } else {
      caption =
        `aio-${w.seq}, created by ${w.creator === creator ? `vCPU ${v}` : (w.creator ?? '?')}, ` +
        `starts: a worker a vCPU created can start only once that vCPU's thread is free.`;
    }
    add('started', w.tReady, lane, caption);
  }

  const requests = trace.requests.filter((r) => r.vcpu === v);
  for (const r of requests) {
    const lane = laneOf.get(r.worker);
    if (lane) add('served', r.tStart, lane, `aio-${r.worker} takes vCPU ${v}'s ${r.op} #${r.tag}.`);
  }
  let answered = 0;
  for (const run of trace.bhRuns) {
    if (run.name === 'new_thread_bh') continue;
    const n = requests.filter((r) => r.tComplete >= run.t0 && r.tComplete <= run.t1).length;
    if (n === 0) continue;
    answered += n;
    add(
      'completed',
      run.t0,
      MAIN_LANE,
      `The main thread completes ${n} of vCPU ${v}'s requests and raises its interrupt ` +
        `(${answered} of ${requests.length} answered).`,
    );
  }
  const firstHalt = trace.slices.find(
    (s) => s.vcpu === v && s.kind === VcpuTraceKind.HALT && s.t0 >= (doorbells[0]?.t2 ?? 0),
  );
  if (firstHalt) {
    add(
      'once',
      firstHalt.t0,
      me,
      `vCPU ${v} has nothing to do until an answer comes, so it halts (HLT) and waits for its interrupt.`,
    );
  }
  const lastDone = Math.max(0, ...requests.map((r) => r.tComplete));
  if (requests.length > 0 && lastDone > 0) {
    add(
      'once',
      lastDone,
      me,
      `The last of vCPU ${v}'s ${requests.length} requests is answered: the burst took ` +
        `${fmtMs(at(lastDone))}.`,
    );
  }
  return summarized(raw, v);
}

/** Time order; of each repeating kind, the first TOLD events, then one that sums up the rest
 *  at the time of the last of them. */
function summarized(raw: Raw[], v: number): ReplayEvent[] {
  const sorted = raw.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i);
  const byKind = new Map<Kind, Raw[]>();
  for (const { e } of sorted) byKind.set(e.kind, [...(byKind.get(e.kind) ?? []), e]);
  const out: ReplayEvent[] = [];
  for (const [kind, events] of byKind) {
    if (kind === 'once' || events.length <= TOLD + 1) {
      out.push(...events);
      continue;
    }
    out.push(...events.slice(0, TOLD));
    const rest = events.slice(TOLD);
    const last = rest[rest.length - 1];
    out.push({
      t: last.t,
      lane: last.lane,
      caption: `By ${fmtMs(last.t)}: ${SUMMARY[kind](rest.length, v)}`,
    });
  }
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
    .map(({ e }) => ({ t: e.t, lane: e.lane, caption: e.caption }));
}
