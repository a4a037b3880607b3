// The targets, checked against one run's figures. They are benchmarks, never pass/fail
// tests: the report marks each met or not met (or not measured, when its scenario did not run),
// and docs/benchmarks.md says why the browser makes some of them impossible. No DOM here.

import type { ColdBurstResult, ColdBurstRun } from './cold-burst-params.ts';
import type { SteadyComparisonRow } from './steady-params.ts';

export interface TargetResult {
  id: string;
  target: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** The figures it was judged on. */
  measured: string;
}

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;

function target(id: string, text: string, judge: () => [boolean, string] | null): TargetResult {
  const verdict = judge();
  return verdict
    ? { id, target: text, met: verdict[0], measured: verdict[1] }
    : { id, target: text, met: null, measured: 'not measured in this run' };
}

export function coldBurstTargets(r: ColdBurstResult | undefined): TargetResult[] {
  const run = (v: string): ColdBurstRun | undefined =>
    r?.runs.find((x) => x.variant === v && !x.error);
  const bh = run('bh');
  const inline = run('inline');
  const prealloc = run('prealloc');
  return [
    target('bh-stall-p99', "bh vCPU stall p99 at most 1/20 of inline's, same run", () => {
      if (!bh || !inline) return null;
      const ratio = bh.stallUs.p99 / inline.stallUs.p99;
      return [
        ratio <= 1 / 20,
        `bh ${ms(bh.stallUs.p99)}, inline ${ms(inline.stallUs.p99)}: ${ratio.toFixed(3)} (limit 0.050)`,
      ];
    }),
    target('bh-stall-max', 'bh max vCPU stall under 1 ms', () =>
      bh ? [bh.stallUs.max < 1000, `bh max ${ms(bh.stallUs.max)}`] : null,
    ),
    target('bh-long-task', 'under bh, no main-thread task over 50 ms during the burst', () => {
      if (!bh) return null;
      const m = bh.mainThread;
      const longest = m.longTaskSupported
        ? `${m.longTasks} long task(s), longest ${m.longestTaskMs.toFixed(0)} ms`
        : 'long tasks not reported by this browser';
      const met = m.longTaskSupported ? m.longTasks === 0 : m.heartbeatMaxGapMs <= 50;
      return [met, `${longest}; heartbeat max gap ${m.heartbeatMaxGapMs.toFixed(0)} ms`];
    }),
    target(
      'prealloc-first-completion',
      "prealloc time to first completion at most 1/5 of bh's",
      () => {
        if (!bh || !prealloc) return null;
        const a = prealloc.times.firstCompletionMs;
        const b = bh.times.firstCompletionMs;
        return [
          b > 0 && a <= b / 5,
          `prealloc ${a.toFixed(1)} ms, bh ${b.toFixed(1)} ms: ${(a / b).toFixed(2)} (limit 0.20)`,
        ];
      },
    ),
  ];
}

export function steadyTarget(rows: SteadyComparisonRow[] | null): TargetResult {
  return target(
    'steady-vs-ceiling',
    'steady throughput at least 0.8x the ceiling, every operation',
    () => {
      if (!rows || rows.length === 0) return null;
      const met = rows.every((r) => r.ratio.iops !== null && r.ratio.iops >= 0.8);
      const list = rows
        .map((r) => `${r.policy} ${r.lane} qd${r.iodepth} x${r.ratio.iops?.toFixed(2) ?? '–'}`)
        .join(', ');
      return [met, `IOPS emulator/ceiling: ${list}`];
    },
  );
}

export function evaluateTargets(
  coldBurst: ColdBurstResult | undefined,
  steadyVsCeiling: SteadyComparisonRow[] | null,
): TargetResult[] {
  return [...coldBurstTargets(coldBurst), steadyTarget(steadyVsCeiling)];
}

export const verdictOf = (t: TargetResult) =>
  t.met === null ? 'not measured' : t.met ? 'MET' : 'NOT MET';
