// One burst on a machine, measured from the page: start the machine's jobs (one vCPU submits a
// burst, the others compute with light I/O), optionally stop the bursting vCPU right after its
// submissions, wait for the jobs and for the pool to stop growing, and say what happened in that
// window — the vCPU's stall, its doorbell exits' BQL wait and hold, the others' BQL wait, the
// main thread, the device's completions — and, if asked, the machine's whole trace.

import { TraceRecorder } from '../../app/machine/trace-recorder.ts';
import type { MachineTrace } from '../../app/shared/trace/trace.ts';
import { vcpuTraceReader, VcpuTraceKind } from '../../app/shared/trace/trace-ring.ts';
import { Mmio } from '../../app/shared/virtio/virtio.ts';

import type { Machine } from '../../app/machine/machine.ts';
import type { MachineStats } from '../../app/machine/machine-stats.ts';
import type { RunReport } from '../../app/shared/stats/run-report.ts';
import type { SpawnRecord } from '../../app/shared/pool/spawn-records.ts';
import { stampMs } from '../../app/shared/sync/clock.ts';
import type { Histogram } from '../../app/shared/stats/histogram.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import { vcpuCounter, vcpuHistogram } from '../../app/shared/machine/vcpu-layout.ts';
import type { BottomHalfWindow, BurstMeasure } from '../shared/cold-burst-params.ts';
import { MainThreadWatch } from './main-thread-watch.ts';
import { until, untilPoolSettled, whileMoving } from './bench-machine.ts';

/** The device's answers to one vCPU's queue, sampled on every heartbeat (cheap: a few words). */
class DeviceProbe {
  private readonly ctl: Control;
  private readonly vcpu: number;
  private readonly burst: number;
  private readonly answeredAtStart: number;
  tFirst = 0;
  tAll = 0;

  constructor(ctl: Control, vcpu: number, burst: number) {
    this.ctl = ctl;
    this.vcpu = vcpu;
    this.burst = burst;
    this.answeredAtStart = this.answered();
  }

  submitted(): number {
    return Atomics.load(this.ctl.i32, vcpuCounter(this.ctl, this.vcpu, 'submitted'));
  }

  inflight(): number {
    return Atomics.load(this.ctl.i32, this.ctl.L.vcpu.qInflight.at(this.vcpu));
  }

  /** Requests handed to the block layer and answered. The device counts a request in flight
   *  before it counts it submitted, so this never runs ahead. */
  private answered(): number {
    return this.submitted() - this.inflight();
  }

  /** The interrupt is raised once per completion pass, after its answers: its stamp, read
   *  right after the count moves, is when the device answered (within one beat). */
  sample(): void {
    const n = this.answered() - this.answeredAtStart;
    if (n <= 0 || this.tAll) return;
    const raised = this.ctl.f64[this.ctl.L.vcpu.tIrqRaised.at(this.vcpu)];
    if (!this.tFirst) this.tFirst = raised;
    if (n >= this.burst) this.tAll = raised;
  }
}

export interface BurstOptions {
  /** The bursting vCPU. */
  vcpu: number;
  /** Requests in its burst. */
  burst: number;
  /** The longest the other vCPUs' jobs run. */
  runtimeMs: number;
  /** How long a step may go without the machine moving before it is called a hang. */
  timeoutMs: number;
  /** Stop the bursting vCPU as soon as its whole burst is submitted (`inline-stop`). */
  stopAfterSubmit: boolean;
  /** Record the machine's trace over the window, labelled so. */
  traceLabel?: string;
}

export interface BurstOutcome {
  measure: BurstMeasure;
  report: RunReport | undefined;
  /** The machine's stats at the end of the window. */
  stats: MachineStats;
  /** Spawn records asked for during the window. */
  spawns: SpawnRecord[];
  /** Stamps (ms since the epoch), 0 if they did not happen. */
  tFirstSubmit: number;
  stop: { tRequested: number; tStopped: number; tDrained: number } | null;
  /** The step that timed out, or failed. */
  error: string | null;
  /** The window's trace, if asked for. */
  trace: MachineTrace | null;
}

const since = (h: Histogram, before: Histogram) => h.since(before).summary();

/** The earlier of a stamp and a bound on it (0: not known). */
const earlier = (stamp: number, bound: number) => (stamp && bound ? Math.min(stamp, bound) : stamp);

/** Run the machine's jobs once and measure the burst of `o.vcpu` (see the file's header). */
export async function measureBurst(m: Machine, o: BurstOptions): Promise<BurstOutcome> {
  const { ctl } = m;
  const v = o.vcpu;
  const others = m.vcpus.map((x) => x.index).filter((i) => i !== v);
  const stall = vcpuHistogram(ctl, v, 'stall');
  const stallBefore = stall.snapshot();
  const ownBqlWait = vcpuHistogram(ctl, v, 'bqlWait');
  const ownBqlBefore = ownBqlWait.snapshot();
  const bqlWait = others.map((i) => vcpuHistogram(ctl, i, 'bqlWait'));
  const bqlBefore = bqlWait.map((h) => h.snapshot());
  const before = m.stats();
  const exitRing = vcpuTraceReader(ctl, v);
  const recorder = o.traceLabel === undefined ? undefined : new TraceRecorder(m);
  const probe = new DeviceProbe(ctl, v, o.burst);
  const watch = new MainThreadWatch(() => probe.sample());
  let report: RunReport | undefined;
  let stop: BurstOutcome['stop'] = null;
  let error: string | null = null;
  const tStart = stampMs();
  watch.start();
  try {
    await m.start();
    if (o.stopAfterSubmit) {
      await until(
        m,
        () => probe.submitted() - before.vcpus[v].counters.submitted >= o.burst,
        o.timeoutMs,
        `vCPU ${v} has submitted its burst of ${o.burst}`,
      );
      const tRequested = stampMs();
      await whileMoving(m, m.stopVcpu(v), o.timeoutMs, `stopVcpu(${v})`);
      stop = { tRequested, tStopped: stampMs(), tDrained: 0 };
      // Its requests still complete (into guest RAM), served by the workers that survive.
      await until(m, () => probe.inflight() === 0, o.timeoutMs, `vCPU ${v}'s queue drains`);
      stop.tDrained = stampMs();
    }
    report = await whileMoving(m, m.done(), o.timeoutMs, "done() (every vCPU's job ends)");
    await untilPoolSettled(m, o.timeoutMs, 'the pool stops growing');
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  probe.sample();
  const main = watch.stop();
  const stats = m.stats();
  const job = report?.jobs.find((j) => j.vcpu === v);
  const tFirstSubmit = job?.tFirstSubmit || tStart;
  const after = (t: number) => (t > 0 ? t - tFirstSubmit : 0);
  const spawns = stats.spawns.filter((w) => w.tRequested >= tStart);
  // The burst's doorbell exits: every one of the bursting vCPU's in the window (its job is the
  // burst). Workers created inside one were created by it, between BQL taken and dropped.
  const doorbells = exitRing
    .drain()
    .filter((e) => e.kind === VcpuTraceKind.EXIT && e.arg === Mmio.QUEUE_NOTIFY);
  const creatorName = `vcpu${v}`;
  const inside = spawns.filter(
    (w) =>
      w.creator === creatorName && doorbells.some((e) => w.tCreated >= e.t1 && w.tCreated <= e.t2),
  );
  const sum = (f: (e: (typeof doorbells)[number]) => number) =>
    doorbells.reduce((n, e) => n + f(e), 0) * 1000;
  const max = (f: (e: (typeof doorbells)[number]) => number) =>
    Math.max(0, ...doorbells.map(f)) * 1000;
  const readyStamps = spawns.map((w) => w.tReady).filter((t) => t > 0);
  const bottomHalves: BottomHalfWindow[] = stats.main_loop.map((bh) => {
    const was = before.main_loop.find((b) => b.name === bh.name);
    return {
      name: bh.name,
      runs: bh.runs - (was?.runs ?? 0),
      totalMs: bh.totalMs - (was?.totalMs ?? 0),
      maxMs: bh.maxMs,
      p99Us: bh.runUs.p99,
    };
  });
  const perVcpu = others.map((i, k) => ({
    vcpu: i,
    ios: report?.jobs.find((j) => j.vcpu === i)?.ios ?? 0,
    bqlWaitUs: since(bqlWait[k], bqlBefore[k]),
  }));
  const empty = since(stall, stall);
  const measure: BurstMeasure = {
    stallUs: since(stall, stallBefore),
    bqlWaitUs: since(ownBqlWait, ownBqlBefore),
    slatUs: job?.slat ?? empty,
    latencyUs: job?.lat ?? empty,
    burstExits: {
      count: doorbells.length,
      requests: doorbells.reduce((n, e) => n + e.count, 0),
      bqlWaitUs: sum((e) => e.t1 - e.t0),
      bqlHoldUs: sum((e) => e.t2 - e.t1),
      totalUs: sum((e) => e.t2 - e.t0),
      maxHoldUs: max((e) => e.t2 - e.t1),
      workersCreated: inside.length,
    },
    others: {
      bqlWaitP99Us: Math.max(0, ...perVcpu.map((x) => x.bqlWaitUs.p99)),
      bqlWaitMaxUs: Math.max(0, ...perVcpu.map((x) => x.bqlWaitUs.max)),
      perVcpu,
    },
    mainThread: { ...main, bottomHalves, bqlWaitUs: stats.bql.wait },
    times: {
      // The interrupt is raised after a completion pass has pushed its answers, and a running
      // guest may reap them in between; a probe beat may also come a pass late. So the guest's
      // own stamp, when it is earlier, is the closer bound on when the device answered.
      firstCompletionMs: after(earlier(probe.tFirst, job?.tFirstComplete ?? 0)),
      burstCompleteMs: after(earlier(probe.tAll, job?.tLastComplete ?? 0)),
      guestFirstSeenMs: after(job?.tFirstComplete ?? 0),
      guestLastSeenMs: after(job?.tLastComplete ?? 0),
      poolGrowthMs: readyStamps.length ? Math.max(...readyStamps) - tFirstSubmit : 0,
    },
    threadsAtStart: before.pool.cur_threads,
  };
  const trace = recorder?.stop(o.traceLabel ?? '', tFirstSubmit) ?? null;
  return { measure, report, stats, spawns, tFirstSubmit, stop, error, trace };
}
