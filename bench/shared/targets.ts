// The issues' targets, judged on one run's figures (cold-burst: medians across its trials, the
// spread printed beside them; steady's are in steady-targets.ts). They are benchmarks, never
// pass/fail tests: the report marks each met or not met (or not measured, when its scenario did
// not run), and docs/benchmarks.md says why the browser makes some of them impossible. No DOM.

import type { KickMode } from '../../app/shared/guest/guest-job.ts';
import type { ColdBurstResult } from './cold-burst-params.ts';
import type { Spread } from '../../app/shared/stats/spread.ts';
import type { ColdBurstSummary } from './cold-burst-summary.ts';
import type { LinuxBenchResult, LinuxSummary } from './linux-bench-params.ts';

export interface TargetResult {
  id: string;
  target: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** The figures it was judged on. */
  measured: string;
}

export function target(
  id: string,
  text: string,
  judge: () => [boolean, string] | null,
): TargetResult {
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
  r: Pick<ColdBurstResult, 'summaries'> | undefined,
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

/** "1.05x (WebAIO 20.1 s, 18.0–21.3; memory 19.2 s, …)": medians and spreads of a figure. */
function linuxRatio(
  r: LinuxBenchResult | undefined,
  figure: 'bootMs' | 'writeMbPerS' | 'readMbPerS',
  judge: (ratio: number) => boolean,
  limit: string,
): [boolean, string] | null {
  const of = (v: string): LinuxSummary | undefined =>
    r?.summaries.find((x) => x.variant === v && x.trials > 0);
  const mode = r?.defaultMode ?? '';
  const aio = of(mode);
  const memory = of('memory');
  if (!aio || !memory) return null;
  const ratio = aio[figure].median / memory[figure].median;
  const unit = figure === 'bootMs' ? 's' : 'MB/s';
  const scale = figure === 'bootMs' ? 1 / 1000 : 1;
  const show = (x: LinuxSummary) =>
    `${(x[figure].median * scale).toFixed(2)} ${unit} (${(x[figure].min * scale).toFixed(2)}–` +
    `${(x[figure].max * scale).toFixed(2)}, ${x.trials} boots)`;
  return [
    judge(ratio),
    `${mode} ${show(aio)}, memory ${show(memory)}: x${ratio.toFixed(2)} (limit ${limit})`,
  ];
}

/** Issue 17: Linux in v86 on WebAIO (its default disk mode) against an in-memory disk. */
export function linuxTargets(r: LinuxBenchResult | undefined): TargetResult[] {
  return [
    target(
      'linux-boot',
      'linux: boot to shell on WebAIO (formatted disk) at most 1.1x the in-memory boot',
      () => linuxRatio(r, 'bootMs', (x) => x <= 1.1, 'x1.1'),
    ),
    target(
      'linux-dd-write',
      'linux: guest dd write (conv=fsync) on WebAIO at least 0.5x the in-memory throughput',
      () => linuxRatio(r, 'writeMbPerS', (x) => x >= 0.5, 'x0.5'),
    ),
    target(
      'linux-dd-read',
      'linux: guest dd read (caches dropped) on WebAIO at least 0.8x the in-memory throughput',
      () => linuxRatio(r, 'readMbPerS', (x) => x >= 0.8, 'x0.8'),
    ),
  ];
}

export const verdictOf = (t: TargetResult) =>
  t.met === null ? 'not measured' : t.met ? 'MET' : 'NOT MET';
