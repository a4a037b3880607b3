// The lesson's answer in words, from what was measured: how long vCPU 0 held the big lock in its
// burst's exit before the patch (`inline`) and with it (`bh`), who created the pool's workers,
// and how many trials the figures rest on. No DOM: the page and its tests share it.

import type { ColdBurstRun, ColdBurstVariant } from '../../bench/shared/cold-burst-params.ts';
import { median, spreadOf, type Spread } from '../shared/stats/spread.ts';

/** One policy's figures over the trials that finished. */
export interface PolicyFigures {
  trials: number;
  /** The BQL held in the burst's doorbell exit (µs). */
  holdUs: Spread;
  /** Workers the vCPU created inside that exit (the median over the trials). */
  createdInExit: number;
  /** Workers created while the burst ran, by creator, in the latest trial (`main`, `vcpu0`). */
  byCreator: Record<string, number>;
  /** From the first submission until the device had answered the whole burst (ms). */
  burstDoneMs: Spread;
  /** Requests in the burst. */
  burst: number;
}

export interface Headline {
  /** The answer: hold times, creators, the ratio, the trials. */
  sentence: string;
  /** What else the trials showed: when the whole burst was answered. */
  detail: string;
}

/** "0.9 ms", "46.6 ms", "104 ms". */
export function fmtMs(ms: number): string {
  return `${ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

/** "36×", "4.2×". */
export const fmtTimes = (r: number) => `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;

const fmtSpreadMs = (s: Spread, scale: number) =>
  `${fmtMs(s.min * scale).replace(' ms', '')}–${fmtMs(s.max * scale)}`;

function workers(n: number): string {
  return n === 1 ? 'one pool worker' : `${n} pool workers`;
}

function trialsPart(inline: PolicyFigures, bh: PolicyFigures): string {
  if (inline.trials === 1 && bh.trials === 1) return 'One trial of each so far.';
  const counts =
    inline.trials === bh.trials
      ? `${inline.trials} trials each`
      : `${inline.trials} inline and ${bh.trials} bh trials`;
  return (
    `Medians of ${counts} (inline ${fmtSpreadMs(inline.holdUs, 1 / 1000)}, ` +
    `bh ${fmtSpreadMs(bh.holdUs, 1 / 1000)}).`
  );
}

/** The headline for the two policies' figures (each from at least one trial). */
export function headline(inline: PolicyFigures, bh: PolicyFigures): Headline {
  const before = inline.holdUs.median / 1000;
  const after = bh.holdUs.median / 1000;
  const created = Math.round(inline.createdInExit);
  const madeBefore =
    created > 0 ? `while it created ${workers(created)} itself` : 'and created no worker itself';
  const byMain = bh.byCreator.main ?? 0;
  const madeAfter =
    byMain > 0 ? 'the main thread created them' : 'vCPU 0 left the workers to others';
  // A ratio only where it says something: a hold that reads 0 is below the clock's 5 µs step.
  let compared: string;
  if (after > 0 && before >= after) {
    compared = `${fmtTimes(before / after)} shorter`;
  } else if (after === 0 && before > 0) {
    compared = 'too short for the clock to see';
  } else {
    compared = 'no shorter this time (a busy machine can blur one trial)';
  }
  const sentence =
    `Before the patch (inline), vCPU 0 held the big lock for ${fmtMs(before)} ${madeBefore}; ` +
    `with the patch (bh), ${madeAfter} and vCPU 0 held the lock for ${fmtMs(after)} — ` +
    `${compared}. ${trialsPart(inline, bh)}`;
  const detail =
    `All ${inline.burst} reads were answered ${fmtMs(inline.burstDoneMs.median)} after the ` +
    `doorbell under inline and ${fmtMs(bh.burstDoneMs.median)} under bh.`;
  return { sentence, detail };
}

/** A policy's figures from the runs of it that finished (undefined: none did). */
export function figuresOf(
  runs: readonly ColdBurstRun[],
  variant: ColdBurstVariant,
  burst: number,
): PolicyFigures | undefined {
  const ok = runs.filter((r) => r.variant === variant && !r.error);
  const latest = ok.at(-1);
  if (!latest) return undefined;
  return {
    trials: ok.length,
    holdUs: spreadOf(ok.map((r) => r.burstExits.bqlHoldUs)),
    createdInExit: median(ok.map((r) => r.burstExits.workersCreated)),
    byCreator: latest.workers.byCreator,
    burstDoneMs: spreadOf(ok.map((r) => r.times.burstCompleteMs)),
    burst,
  };
}
