// What `npm run bench` prints for each scenario that runs in the page: fio-like lines per run,
// then Markdown tables with their ratios (power-cut's is beside its campaign, power-cut.ts).

import { COLD_BURST_LEGEND, coldBurstTextTable, fmtRatio } from '../shared/cold-burst-table.ts';
import type { BurstMeasure, ColdBurstResult, ColdBurstRun } from '../shared/cold-burst-params.ts';
import type { LinuxBenchResult, LinuxSummary } from '../shared/linux-bench-params.ts';
import type { ColdWarmResult, MachineBenchResult } from '../shared/machine-bench-params.ts';
import type {
  AioDelta,
  CeilingLaneResult,
  CeilingResult,
  LaneResult,
  SteadyCase,
  SteadyResult,
} from '../shared/steady-params.ts';
import type { JobReport } from '../../app/shared/guest/guest-job.ts';
import type { LatencySummary } from '../../app/shared/stats/histogram.ts';
import type { Spread } from '../../app/shared/stats/spread.ts';
import { columnTable, fixed, int, kib, msOf, sideLine, textTable, type Column } from './report.ts';

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

function ceilingLaneLine(l: CeilingLaneResult): string {
  const t = l.result.transactions;
  const perTx = t > 0 ? fixed(l.result.ops / t, 1) : '–';
  return `${laneLine(l)}; ${t} transactions (${perTx} req/tx)`;
}

const mixOf = (mix: string) => (mix === 'all' ? 'all at once' : 'alone');

export function ceilingReport(r: CeilingResult): string {
  const p = r.params;
  return [
    `== ${r.scenario}: ${r.worker}, on a ${p.imageBytes >> 20} MiB image of ${kib(p.chunkSize)} ` +
      `chunks (regions of ${(p.imageBytes / p.vcpus) >> 20} MiB); prefill ${int(r.prefillMs)} ms; ` +
      `${p.warmupMs} ms warm-up, ${p.runtimeMs} ms timed`,
    ...r.cases.map((c) =>
      [
        `${r.scenario} batch ${c.batch} iodepth ${c.iodepth}, ${mixOf(c.mix)}:`,
        ...c.lanes.map(ceilingLaneLine),
      ].join('\n'),
    ),
  ].join('\n\n');
}

/** The AIO layer over a timed run, as counted by stats(). */
function aioLine(t: AioDelta): string {
  const s = t.elapsedMs / 1000;
  const rate = (n: number) => (s > 0 ? fixed(n / s, 0) : '–');
  const per = (req: number, tx: number) => (tx > 0 ? fixed(req / tx, 1) : '–');
  const pc = t.pageCache;
  return (
    `  aio: reads ${t.readTransactions} tx (${per(t.readRequests, t.readTransactions)} req/tx, ` +
    `${rate(t.readTransactions)}/s), relaxed writes ${t.writeTransactions} tx ` +
    `(${per(t.writeRequests, t.writeTransactions)} req/tx, ${rate(t.writeTransactions)}/s), ` +
    `durable ${t.durableTransactions} (${rate(t.durableTransactions)}/s); merged r ${t.rdMerged} ` +
    `w ${t.wrMerged}; flushes ${t.flushes}; page cache hits ${pc.hits}, misses ${pc.misses}, ` +
    `written back ${pc.writtenBack}, evictions ${pc.evictions}`
  );
}

function steadyCaseLines(c: SteadyCase): string {
  const cfg = c.aioConfig;
  const flush = c.flushEvery ? `, a flush every ${c.flushEvery} writes` : '';
  return [
    `steady ${c.policy} ${c.aio} (batch ${cfg.batch}, merge ${cfg.merge ? 'on' : 'off'}, page ` +
      `cache ${cfg.pageCache ? 'on' : 'off'}) iodepth ${c.iodepth}, ${mixOf(c.mix)}${flush}: ` +
      `pool ${c.pool.threadsAtStart} -> ${c.pool.threadsAtEnd} workers, ` +
      `${c.pool.spawnedDuringRun} created during the run; ` +
      `warm-up ${int(c.lanes[0]?.result.warmupMs ?? 0)} ms`,
    ...c.lanes.map(laneLine),
    aioLine(c.transactions),
  ].join('\n');
}

export function steadyReport(r: SteadyResult): string {
  const p = r.params;
  return [
    `== steady: ${p.vcpus} vCPUs, one operation each (all at once, or a machine per operation ` +
      `alone), on a ${p.imageBytes >> 20} MiB image of ${kib(p.chunkSize)} chunks; prefill ` +
      `${int(r.prefillMs)} ms; timed ${p.runtimeMs} ms once the pool has stopped growing`,
    ...r.cases.map(steadyCaseLines),
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
  // A row per run, then one of warm/cold ratios: a column's cell of a burst, and of the ratios.
  type Row = { policy: string; run: string } & (
    { b: BurstMeasure } | { ratio: ColdWarmResult['ratio'] }
  );
  type Ratio = keyof ColdWarmResult['ratio'];
  const col = (head: string, of: (b: BurstMeasure) => string, ratio?: Ratio): Column<Row> => [
    head,
    (x) => ('b' in x ? of(x.b) : ratio ? fmtRatio(x.ratio[ratio]) : ''),
  ];
  const columns: Column<Row>[] = [
    ['policy', (x) => x.policy],
    ['run', (x) => x.run],
    col('workers at start', (b) => String(b.threadsAtStart)),
    col('stall p50 µs', (b) => int(b.stallUs.p50), 'stallP50'),
    col('stall p99 µs', (b) => int(b.stallUs.p99), 'stallP99'),
    col('stall max µs', (b) => int(b.stallUs.max)),
    col('1st completion ms', (b) => fixed(b.times.firstCompletionMs, 1), 'firstCompletion'),
    col('burst done ms', (b) => fixed(b.times.burstCompleteMs, 1)),
    col('lat p50 ms', (b) => msOf(b.latencyUs.p50), 'latencyP50'),
    col('lat p99 ms', (b) => msOf(b.latencyUs.p99), 'latencyP99'),
  ];
  const rows = r.coldWarm.flatMap((c): Row[] => [
    { policy: c.policy, run: 'cold', b: c.cold },
    { policy: c.policy, run: 'warm', b: c.warm },
    { policy: c.policy, run: 'warm/cold', ratio: c.ratio },
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
    columnTable(columns, rows, 2),
  ].join('\n\n');
}

/** The `linux` scenario: a line per boot, the summary table with ratios to the in-memory disk,
 *  and the main thread's longest task with v86 on its worker, through the view, and on the
 *  main thread. */
export function linuxReport(r: LinuxBenchResult): string {
  const p = r.params;
  const s1 = (ms: number) => fixed(ms / 1000, 1);
  const header =
    `== linux: kernel ${r.kernelRelease} in v86, ${p.boots} boots of each of ${p.variants.join(', ')} ` +
    `(interleaved), each on a fresh blank ${p.imageBytes >> 20} MiB disk; default disk mode ` +
    `${r.defaultMode}\n   guest: dd if=/dev/zero of=/mnt/dd bs=1M count=${p.ddMiB} conv=fsync; ` +
    'echo 3 > /proc/sys/vm/drop_caches; dd if=/mnt/dd of=/dev/null bs=1M (timed by the page)';
  const lines = r.runs.map((run) =>
    run.error
      ? `  ${run.variant} #${run.trial}: FAILED: ${run.error}`
      : `  ${run.variant.padEnd(12)} #${run.trial}: first boot ${s1(run.firstBootMs)} s, ` +
        `boot ${s1(run.bootMs)} s, dd write ${fixed(run.writeMbPerS, 2)} MB/s, read ` +
        `${fixed(run.readMbPerS, 2)} MB/s, ${run.flushes} flushes; main thread while booting: ` +
        `longest task ${int(run.mainThread.longestTaskMs)} ms, longest heartbeat gap ` +
        `${int(run.mainThread.heartbeatMaxGapMs)} ms, a heartbeat every ` +
        `${fixed(run.mainThread.windowMs / Math.max(1, run.mainThread.heartbeats), 2)} ms`,
  );
  const memory = r.summaries.find((x) => x.variant === 'memory' && x.trials > 0);
  /** "12.3 (11.0–14.1)": a median and its range, divided by `scale`. */
  const range = (v: Spread, digits: number, scale = 1) =>
    `${fixed(v.median / scale, digits)} (${fixed(v.min / scale, digits)}–${fixed(v.max / scale, digits)})`;
  const vs = (x: LinuxSummary, k: 'bootMs' | 'writeMbPerS' | 'readMbPerS') =>
    memory && memory[k].median > 0 ? `x${fixed(x[k].median / memory[k].median, 2)}` : '—';
  const columns: Column<LinuxSummary>[] = [
    ['disk', (x) => x.variant],
    ['boots', (x) => `${x.trials}${x.failed ? ` (+${x.failed} failed)` : ''}`],
    ['first boot s', (x) => range(x.firstBootMs, 1, 1000)],
    ['boot s', (x) => range(x.bootMs, 1, 1000)],
    ['boot vs memory', (x) => vs(x, 'bootMs')],
    ['dd write MB/s', (x) => range(x.writeMbPerS, 2)],
    ['write vs memory', (x) => vs(x, 'writeMbPerS')],
    ['dd read MB/s', (x) => range(x.readMbPerS, 2)],
    ['read vs memory', (x) => vs(x, 'readMbPerS')],
    ['longest task ms', (x) => range(x.longestTaskMs, 0)],
    ['heartbeat gap ms', (x) => range(x.heartbeatMaxGapMs, 0)],
  ];
  const table = columnTable(columns, r.summaries, 2);
  const main = r.mainThreadRuns.map((m) =>
    m.error
      ? `  ${m.how}: FAILED: ${m.error}`
      : `  ${m.how === 'view' ? 'v86 on its worker, booted from the Linux view (terminal and figures live)' : 'v86 on the main thread (a probe; in-memory disk)'}: ` +
        `boot ${s1(m.bootMs)} s; longest task ${int(m.mainThread.longestTaskMs)} ms ` +
        `(${m.mainThread.longTasks} over 50 ms), longest heartbeat gap ` +
        `${int(m.mainThread.heartbeatMaxGapMs)} ms, a heartbeat every ` +
        `${fixed(m.mainThread.windowMs / Math.max(1, m.mainThread.heartbeats), 2)} ms on average`,
  );
  return [
    header,
    ...lines,
    table,
    ...(main.length ? ['main thread while the guest boots:', ...main] : []),
  ].join('\n\n');
}
