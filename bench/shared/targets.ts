// The issues' targets, judged on one run's figures (cold-burst: medians across its trials, the
// spread printed beside them). They are benchmarks, never pass/fail
// tests: the report marks each met or not met (or not measured, when its scenario did not run),
// and docs/benchmarks.md says why the browser makes some of them impossible. No DOM here.

import type { KickMode } from '../../app/shared/guest-job.ts';
import type { ColdBurstResult } from './cold-burst-params.ts';
import type { ColdBurstSummary, Spread } from './cold-burst-summary.ts';
import type { SteadyComparisonRow } from './steady-params.ts';

export interface TargetResult {
  id: string;
  target: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** The figures it was judged on. */
  measured: string;
}

function target(id: string, text: string, judge: () => [boolean, string] | null): TargetResult {
  const verdict = judge();
  return verdict
    ? { id, target: text, met: verdict[0], measured: verdict[1] }
    : { id, target: text, met: null, measured: 'not measured in this run' };
}

/** "1.23 ms (1.10–1.50, 5 trials)": a median of µs, with its spread. */
const msSpread = (s: Spread, trials: number) =>
  `${(s.median / 1000).toFixed(2)} ms (${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)}, ${trials} trials)`;
const plainSpread = (s: Spread, trials: number) =>
  `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)}, ${trials} trials)`;

/** The targets, on the summaries of one kick mode (batch: one doorbell for the burst). */
export function coldBurstTargets(
  r: ColdBurstResult | undefined,
  kick: KickMode = 'batch',
): TargetResult[] {
  const of = (v: string): ColdBurstSummary | undefined =>
    r?.summaries.find((x) => x.kick === kick && x.variant === v && x.trials > 0);
  const bh = of('bh');
  const inline = of('inline');
  const prealloc = of('prealloc');
  const k = `kick ${kick}`;
  return [
    target(
      'inline-bh-exit-hold',
      `${k}: inline/bh median time holding the BQL in the burst's exit at least 20x`,
      () => {
        if (!bh || !inline) return null;
        const a = inline.figures.exitHold;
        const b = bh.figures.exitHold;
        const ratio = b.median > 0 ? a.median / b.median : Infinity;
        return [
          ratio >= 20,
          `inline ${msSpread(a, inline.trials)}, bh ${msSpread(b, bh.trials)}: ` +
            `${Number.isFinite(ratio) ? ratio.toFixed(1) : 'inf'}x (limit 20x); exit total with ` +
            `BQL wait: inline ${msSpread(inline.figures.exitTotal, inline.trials)}, bh ` +
            `${msSpread(bh.figures.exitTotal, bh.trials)}`,
        ];
      },
    ),
    target('bh-exit-hold', `${k}: bh median BQL hold in the burst's exit under 1 ms`, () => {
      if (!bh) return null;
      const h = bh.figures.exitHold;
      return [
        h.median < 1000,
        `bh ${msSpread(h, bh.trials)}; exit total ${msSpread(bh.figures.exitTotal, bh.trials)}`,
      ];
    }),
    target(
      'others-bql-wait',
      `${k}: the other vCPUs' worst BQL wait under bh at most 1/5 of inline's (medians)`,
      () => {
        if (!bh || !inline) return null;
        const a = bh.figures.othersBqlWait;
        const b = inline.figures.othersBqlWait;
        const ratio = b.median > 0 ? a.median / b.median : Infinity;
        return [
          ratio <= 0.2,
          `bh ${msSpread(a, bh.trials)}, inline ${msSpread(b, inline.trials)}: ` +
            `${Number.isFinite(ratio) ? ratio.toFixed(2) : 'inf'} (limit 0.20)`,
        ];
      },
    ),
    target(
      'prealloc-first-completion',
      `${k}: prealloc/bh median time to first completion at most 0.2`,
      () => {
        if (!bh || !prealloc) return null;
        const a = prealloc.figures.firstCompletion;
        const b = bh.figures.firstCompletion;
        const ratio = b.median > 0 ? a.median / b.median : Infinity;
        return [
          ratio <= 0.2,
          `prealloc ${plainSpread(a, prealloc.trials)}, bh ${plainSpread(b, bh.trials)}: ` +
            `${Number.isFinite(ratio) ? ratio.toFixed(2) : 'inf'} (limit 0.20)`,
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
