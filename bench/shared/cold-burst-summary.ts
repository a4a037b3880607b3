// cold-burst across trials: each figure's median with its min–max, per kick mode and variant,
// and each policy's ratio to bh of the medians. One preemption on a 2-core machine can decide a
// single run's figure; the median of several fresh machines, with the spread beside it, cannot.

import type { KickMode } from '../../app/shared/guest/guest-job.ts';
import { spreadOf, type Spread } from '../../app/shared/stats/spread.ts';
import {
  ratioOf,
  type BurstMeasure,
  type ColdBurstRun,
  type ColdBurstVariant,
} from './cold-burst-params.ts';

/** The figures compared across policies, each from one run (µs for BQL times, ms for times). */
export const COLD_BURST_FIGURES = [
  /** The burst's doorbell exits: time holding the BQL (the seed's "under a global lock"). */
  ['exitHold', (r: BurstMeasure) => r.burstExits.bqlHoldUs],
  /** Their total time, BQL wait included: what the guest waited. */
  ['exitTotal', (r: BurstMeasure) => r.burstExits.totalUs],
  ['exits', (r: BurstMeasure) => r.burstExits.count],
  [
    'requestsPerExit',
    (r: BurstMeasure) => (r.burstExits.count > 0 ? r.burstExits.requests / r.burstExits.count : 0),
  ],
  ['createdInExit', (r: BurstMeasure) => r.burstExits.workersCreated],
  /** The other vCPUs' longest wait for the BQL (the worst of them). */
  ['othersBqlWait', (r: BurstMeasure) => r.others.bqlWaitMaxUs],
  ['firstCompletion', (r: BurstMeasure) => r.times.firstCompletionMs],
  ['burstComplete', (r: BurstMeasure) => r.times.burstCompleteMs],
  ['heartbeatGap', (r: BurstMeasure) => r.mainThread.heartbeatMaxGapMs],
  ['stallMax', (r: BurstMeasure) => r.stallUs.max],
  ['latencyP50', (r: BurstMeasure) => r.latencyUs.p50],
] as const;
export type ColdBurstFigure = (typeof COLD_BURST_FIGURES)[number][0];

export interface ColdBurstSummary {
  kick: KickMode;
  variant: ColdBurstVariant;
  /** Trials that finished without an error (the figures are theirs), and those that failed. */
  trials: number;
  failed: number;
  figures: Record<ColdBurstFigure, Spread>;
  /** Workers created during the window, by creator, in the first trial (e.g. main 64). */
  byCreator: Record<string, number>;
}

export type ColdBurstRatios = { kick: KickMode; variant: ColdBurstVariant; vs: 'bh' } & Record<
  ColdBurstFigure,
  number | null
>;

export function summarize(runs: readonly ColdBurstRun[]): ColdBurstSummary[] {
  const out: ColdBurstSummary[] = [];
  for (const run of runs) {
    if (out.some((s) => s.kick === run.kick && s.variant === run.variant)) continue;
    const all = runs.filter((r) => r.kick === run.kick && r.variant === run.variant);
    const ok = all.filter((r) => !r.error);
    const figures = {} as Record<ColdBurstFigure, Spread>;
    for (const [key, get] of COLD_BURST_FIGURES) figures[key] = spreadOf(ok.map(get));
    out.push({
      kick: run.kick,
      variant: run.variant,
      trials: ok.length,
      failed: all.length - ok.length,
      figures,
      byCreator: (ok[0] ?? all[0]).workers.byCreator,
    });
  }
  return out;
}

/** prealloc / bh and inline / bh for each kick mode, of the medians (null where bh's is 0). */
export function coldBurstRatios(summaries: readonly ColdBurstSummary[]): ColdBurstRatios[] {
  return summaries.flatMap((s) => {
    if (s.variant !== 'prealloc' && s.variant !== 'inline') return [];
    const bh = summaries.find((b) => b.kick === s.kick && b.variant === 'bh');
    if (!bh || bh.trials === 0 || s.trials === 0) return [];
    const r = { kick: s.kick, variant: s.variant, vs: 'bh' } as ColdBurstRatios;
    for (const [key] of COLD_BURST_FIGURES) {
      r[key] = ratioOf(s.figures[key].median, bh.figures[key].median);
    }
    return [r];
  });
}
