// The cold-burst comparison as a table of text cells: one row per variant, and after prealloc and
// inline a row of their ratios to bh. `npm run bench` prints it as Markdown, the page's "compare
// policies" view as an HTML table — the same cells. No DOM here.

import {
  COLD_BURST_FIGURES,
  type ColdBurstFigure,
  type ColdBurstRatios,
  type ColdBurstResult,
  type ColdBurstRun,
} from './cold-burst-params.ts';

export interface TextTable {
  head: string[];
  rows: string[][];
  /** Leading columns that hold text (left-aligned); the others hold figures. */
  textColumns: number;
}

/** Column headings, in COLD_BURST_FIGURES order. */
const FIGURE_HEADS: Record<ColdBurstFigure, string> = {
  stallP50: 'stall p50 µs',
  stallP99: 'stall p99 µs',
  stallMax: 'stall max µs',
  bqlWaitP99: 'BQL wait p99 µs',
  bqlWaitMax: 'BQL wait max µs',
  longestTask: 'long task ms',
  heartbeatGap: 'heartbeat gap ms',
  bhMax: 'BH max ms',
  firstCompletion: '1st completion ms',
  burstComplete: 'burst done ms',
  poolGrowth: 'pool grown ms',
  latencyP50: 'lat p50 ms',
  latencyP99: 'lat p99 ms',
};

/** µs figures shown in µs, ms figures in ms, latencies (µs) in ms. */
function cell(key: ColdBurstFigure, v: number): string {
  if (key.startsWith('stall') || key.startsWith('bqlWait')) return v.toFixed(0);
  if (key.startsWith('latency')) return (v / 1000).toFixed(1);
  return v.toFixed(1);
}

export const fmtRatio = (r: number | null) => (r === null ? '–' : r.toFixed(2));

function creators(run: ColdBurstRun): string {
  const parts = Object.entries(run.workers.byCreator)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([who, n]) => `${who.replace('vcpu', 'v')} ${n}`);
  return `${run.workers.created}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function lost(run: ColdBurstRun): string {
  const l = run.lost;
  const base = `${l.lostWithCreator} / ${l.requeued}`;
  return l.neverStarted > 0 ? `${base} (${l.neverStarted} never started)` : base;
}

function runRow(run: ColdBurstRun): string[] {
  return [
    run.error ? `${run.variant} (failed)` : run.variant,
    ...COLD_BURST_FIGURES.map(([key, get]) => cell(key, get(run))),
    creators(run),
    lost(run),
  ];
}

function ratioRow(r: ColdBurstRatios): string[] {
  return [`${r.variant}/bh`, ...COLD_BURST_FIGURES.map(([key]) => fmtRatio(r[key])), '', ''];
}

export function coldBurstTable(result: ColdBurstResult): TextTable {
  const head = [
    'policy',
    ...COLD_BURST_FIGURES.map(([key]) => FIGURE_HEADS[key]),
    'workers created (by)',
    'lost with creator / requeued',
  ];
  const rows = result.runs.flatMap((run) => {
    const ratio = result.ratios.find((r) => r.variant === run.variant);
    return ratio ? [runRow(run), ratioRow(ratio)] : [runRow(run)];
  });
  return { head, rows, textColumns: 1 };
}

/** What each column means, for a legend under the table. */
export const COLD_BURST_LEGEND = [
  'stall: vCPU 0 in its doorbell exits (submitting the burst).',
  'BQL wait: the other vCPUs waiting for the big lock (worst of them).',
  'long task: the longest main-thread task over 50 ms Chromium reported (0: none); heartbeat gap: the longest the main thread did not run a 1 ms heartbeat.',
  'BH max: the longest bottom-half run on the main thread.',
  '1st completion, burst done, pool grown: ms after the first submission, as the device answered.',
  'lat: vCPU 0 request latency, submitted to seen by its guest.',
];
