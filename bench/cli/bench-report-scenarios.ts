// What `npm run bench` prints for cold-burst, ceiling, steady and machine: fio-like lines per
// run, then Markdown tables with their ratios, and the targets marked met or not met.

import { COLD_BURST_LEGEND, coldBurstTextTable, fmtRatio } from '../shared/cold-burst-table.ts';
import type { BurstMeasure, ColdBurstResult, ColdBurstRun } from '../shared/cold-burst-params.ts';
import type { MachineBenchResult } from '../shared/machine-bench-params.ts';
import type {
  CeilingResult,
  LaneResult,
  SteadyComparisonRow,
  SteadyResult,
} from '../shared/steady-params.ts';
import { verdictOf, type TargetResult } from '../shared/targets.ts';
import type { JobReport } from '../../app/shared/guest-job.ts';
import type { LatencySummary } from '../../app/shared/histogram.ts';
import { fixed, int, kib, markdownTable, sideLine, textTable } from './bench-report.ts';

const msOf = (us: number) => fixed(us / 1000, 2);
const summary = (l: LatencySummary) =>
  `n=${l.count}, avg=${int(l.avg)}, p50=${int(l.p50)}, p99=${int(l.p99)}, max=${int(l.max)}`;

function burstLines(b: BurstMeasure): string[] {
  const mt = b.mainThread;
  const bhs = mt.bottomHalves
    .map(
      (bh) =>
        `${bh.name} ${bh.runs} runs, max ${fixed(bh.maxMs, 1)} ms, total ${fixed(bh.totalMs, 1)} ms`,
    )
    .join('; ');
  const t = b.times;
  const e = b.burstExits;
  return [
    `  burst: ${e.count} doorbell exit(s), ${e.requests} requests; BQL wait ${msOf(e.bqlWaitUs)} ms, ` +
      `held ${msOf(e.bqlHoldUs)} ms (longest ${msOf(e.maxHoldUs)}), total ${msOf(e.totalUs)} ms; ` +
      `${e.workersCreated} workers created inside`,
    `  vCPU 0 stall (µs): ${summary(b.stallUs)}; ${fixed((b.stallUs.avg * b.stallUs.count) / 1000, 1)} ms in exits`,
    `  vCPU 0 BQL wait (µs): ${summary(b.bqlWaitUs)}`,
    `  other vCPUs' BQL wait (µs): worst p99 ${int(b.others.bqlWaitP99Us)}, max ` +
      `${int(b.others.bqlWaitMaxUs)}; ` +
      b.others.perVcpu
        .map((v) => `v${v.vcpu} ${int(v.bqlWaitUs.p99)}/${int(v.bqlWaitUs.max)} (${v.ios} ios)`)
        .join(', '),
    `  main thread: ${mt.longTaskSupported ? `${mt.longTasks} long task(s), longest ${fixed(mt.longestTaskMs, 1)} ms` : 'long tasks not reported'}; ` +
      `heartbeat max gap ${fixed(mt.heartbeatMaxGapMs, 1)} ms over ${int(mt.windowMs)} ms; ` +
      `main loop BQL wait max ${msOf(mt.bqlWaitUs.max)} ms`,
    `  bottom halves: ${bhs}`,
    `  ms after the first submission: first completion ${fixed(t.firstCompletionMs, 1)} ` +
      `(guest saw it at ${fixed(t.guestFirstSeenMs, 1)}), burst done ${fixed(t.burstCompleteMs, 1)} ` +
      `(guest ${fixed(t.guestLastSeenMs, 1)}), pool grown ${fixed(t.poolGrowthMs, 1)}`,
    `  vCPU 0 request latency (ms): p50 ${msOf(b.latencyUs.p50)}, p99 ${msOf(b.latencyUs.p99)}, ` +
      `max ${msOf(b.latencyUs.max)} (${b.latencyUs.count} seen by the guest)`,
  ];
}

function coldRun(r: ColdBurstRun): string {
  const w = r.workers;
  const by = Object.entries(w.byCreator)
    .map(([who, n]) => `${who} ${n}`)
    .join(', ');
  const lines = [
    `cold-burst ${r.variant}, kick ${r.kick}, trial ${r.trial}: pool ${r.pool.policy}, min ${r.pool.minThreads}, max ` +
      `${r.pool.maxThreads}; ${r.threadsAtStart} workers at the start` +
      (r.preallocReadyMs ? ` (ready ${int(r.preallocReadyMs)} ms after createMachine)` : '') +
      `; ${w.created} created during the burst (${by || 'none'}), high water ${w.curHighWater} ` +
      `(pending ${w.pendingHighWater})`,
    ...burstLines(r),
    `  workers lost with their creator ${r.lost.lostWithCreator}, requests requeued ` +
      `${r.lost.requeued}; records lost ${r.lost.lostRecords}, never started ${r.lost.neverStarted}`,
  ];
  if (r.stop) {
    lines.push(
      `  vCPU 0: stop asked ${fixed(r.stop.requestedMs, 1)} ms after its first submission, ` +
        `stopped at ${fixed(r.stop.vcpuStoppedMs, 1)}, its queue drained at ${fixed(r.stop.queueDrainedMs, 1)}`,
    );
  }
  if (r.error) lines.push(`  FAILED: ${r.error}`);
  return lines.join('\n');
}

export function coldBurstReport(r: ColdBurstResult): string {
  const p = r.params;
  const header =
    `== cold-burst: vCPU 0 submits ${p.burst} random reads of ${kib(p.bs)} at once into a cold ` +
    `pool; vCPUs 1-${p.vcpus - 1} compute (${p.thinkUs} µs per request, iodepth 1) for ` +
    `${p.runtimeMs} ms; ${p.trials} trial(s) of each policy (${p.policies.join(', ')}) and kick ` +
    `mode (${p.kicks.join(', ')}), interleaved, each on a fresh image and machine; prealloc ` +
    `minThreads ${p.minThreads}`;
  return [
    header,
    ...r.runs.map(coldRun),
    `== cold-burst across trials: median (min–max)`,
    textTable(coldBurstTextTable(r)),
    COLD_BURST_LEGEND.map((l) => `  ${l}`).join('\n'),
  ].join('\n\n');
}

function laneLine(l: LaneResult): string {
  return sideLine(`${l.name} ${kib(l.bs)}`.padEnd(13), l.result).replace(/^ {2}/, '  ');
}

export function ceilingReport(r: CeilingResult): string {
  const p = r.params;
  return [
    `== ceiling: ${r.worker}, on a ${p.imageBytes >> 20} MiB image of ${kib(p.chunkSize)} ` +
      `chunks (regions of ${(p.imageBytes / p.vcpus) >> 20} MiB); prefill ${int(r.prefillMs)} ms; ` +
      `${p.warmupMs} ms warm-up, ${p.runtimeMs} ms timed`,
    ...r.cases.map((c) => [`ceiling iodepth ${c.iodepth}:`, ...c.lanes.map(laneLine)].join('\n')),
  ].join('\n\n');
}

export function steadyReport(r: SteadyResult): string {
  const p = r.params;
  return [
    `== steady: ${p.vcpus} vCPUs, one operation each, on a ${p.imageBytes >> 20} MiB image of ` +
      `${kib(p.chunkSize)} chunks; prefill ${int(r.prefillMs)} ms; timed ${p.runtimeMs} ms once ` +
      `the pool has stopped growing`,
    ...r.cases.map((c) =>
      [
        `steady ${c.policy} iodepth ${c.iodepth}: pool ${c.pool.threadsAtStart} -> ` +
          `${c.pool.threadsAtEnd} workers, ${c.pool.spawnedDuringRun} created during the run; ` +
          `warm-up ${int(c.lanes[0]?.result.warmupMs ?? 0)} ms`,
        ...c.lanes.map(laneLine),
      ].join('\n'),
    ),
  ].join('\n\n');
}

export function steadyComparisonTable(rows: SteadyComparisonRow[]): string {
  const head = [
    'policy',
    'op',
    'bs',
    'iodepth',
    'IOPS emu',
    'IOPS ceil',
    'IOPS ratio',
    'MB/s emu',
    'MB/s ceil',
    'p50 ms emu',
    'p50 ms ceil',
    'p50 ratio',
    'p99 ms emu',
    'p99 ms ceil',
    'p99 ratio',
  ];
  const body = rows.map((r) => [
    r.policy,
    r.lane,
    kib(r.bs),
    String(r.iodepth),
    int(r.emulator.iops),
    int(r.ceiling.iops),
    fmtRatio(r.ratio.iops),
    fixed(r.emulator.mbPerS, 2),
    fixed(r.ceiling.mbPerS, 2),
    msOf(r.emulator.p50),
    msOf(r.ceiling.p50),
    fmtRatio(r.ratio.p50),
    msOf(r.emulator.p99),
    msOf(r.ceiling.p99),
    fmtRatio(r.ratio.p99),
  ]);
  return [
    '== steady vs ceiling: emulator / ceiling for each operation',
    markdownTable(head, body, 3),
  ].join('\n\n');
}

function jobLine(j: JobReport): string {
  return (
    `  vCPU ${j.vcpu}: ${j.rw} bs=${kib(j.bs)} iodepth=${j.iodepth}: ios=${j.ios} ` +
    `(r ${j.reads}, w ${j.writes}), IOPS=${fixed(j.iops, 1)}, BW=${fixed(j.bw / 1e6, 2)} MB/s, ` +
    `lat (ms) p50=${msOf(j.lat.p50)} p99=${msOf(j.lat.p99)}; verify ${j.verify.checked} ` +
    `sectors, ${j.verify.errors} errors; status ok ${j.status.ok}, ioerr ${j.status.ioerr}`
  );
}

export function machineReport(r: MachineBenchResult): string {
  const v = r.verify;
  const t = v.report.total;
  const verify = [
    `== machine (a): ${v.vcpus} vCPUs, randrw with verify, policy ${v.policy}; ` +
      `${int(v.elapsedMs)} ms; pool grew to ${v.pool.curHighWater} (${v.pool.spawned} created)`,
    ...v.report.jobs.map(jobLine),
    `  total: ios=${t.ios}, IOPS=${fixed(t.iops, 1)}, BW=${fixed(t.bw / 1e6, 2)} MB/s, ` +
      `runtime ${int(t.runtimeMs)} ms; verify ${t.verify.checked} sectors, ${t.verify.errors} ` +
      `errors; status ok ${t.status.ok}, ioerr ${t.status.ioerr}, unsupp ${t.status.unsupp}, ` +
      `none ${t.status.none}`,
  ].join('\n');
  const head = [
    'policy',
    'run',
    'workers at start',
    'stall p50 µs',
    'stall p99 µs',
    'stall max µs',
    '1st completion ms',
    'burst done ms',
    'lat p50 ms',
    'lat p99 ms',
  ];
  const row = (policy: string, run: string, b: BurstMeasure) => [
    policy,
    run,
    String(b.threadsAtStart),
    int(b.stallUs.p50),
    int(b.stallUs.p99),
    int(b.stallUs.max),
    fixed(b.times.firstCompletionMs, 1),
    fixed(b.times.burstCompleteMs, 1),
    msOf(b.latencyUs.p50),
    msOf(b.latencyUs.p99),
  ];
  const rows = r.coldWarm.flatMap((c) => [
    row(c.policy, 'cold', c.cold),
    row(c.policy, 'warm', c.warm),
    [
      c.policy,
      'warm/cold',
      '',
      fmtRatio(c.ratio.stallP50),
      fmtRatio(c.ratio.stallP99),
      '',
      fmtRatio(c.ratio.firstCompletion),
      '',
      fmtRatio(c.ratio.latencyP50),
      fmtRatio(c.ratio.latencyP99),
    ],
  ]);
  const p = r.params;
  return [
    verify,
    `== machine (b): vCPU 0's burst of ${p.burst} x ${kib(p.bs)} on a fresh machine (cold pool), ` +
      `then the same burst on the same machine once its pool has grown (warm; new vCPU threads)`,
    ...r.coldWarm.flatMap((c) => [
      `machine (b) ${c.policy}, cold:\n${burstLines(c.cold).join('\n')}`,
      `machine (b) ${c.policy}, warm:\n${burstLines(c.warm).join('\n')}`,
    ]),
    markdownTable(head, rows, 2),
  ].join('\n\n');
}

export function targetsReport(targets: TargetResult[]): string {
  return [
    '== targets (benchmarks, not tests)',
    ...targets.map((t) => `  [${verdictOf(t)}] ${t.target}: ${t.measured}`),
  ].join('\n');
}
