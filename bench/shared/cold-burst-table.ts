// The cold-burst comparison as a table: per kick mode, a row per variant with each figure's median
// across its trials and the min–max beside it, and after prealloc and inline a row of their
// ratios to bh (of the medians). `npm run bench` prints it as Markdown, the page's "compare
// policies" view as an HTML table with the spread under each median — the same cells. No DOM.

import type { ColdBurstResult } from './cold-burst-params.ts';
import type { Spread } from '../../app/shared/stats/spread.ts';
import type { ColdBurstFigure, ColdBurstRatios, ColdBurstSummary } from './cold-burst-summary.ts';

export interface TextTable {
  head: string[];
  rows: string[][];
  /** Leading columns that hold text (left-aligned); the others hold figures. */
  textColumns: number;
}

/** A figure's cell: the median (or a ratio), and the min–max across trials ('' for none). */
export interface Cell {
  value: string;
  spread: string;
}

export interface SummaryRow {
  kind: 'run' | 'ratio';
  /** "bh", "inline/bh". */
  label: string;
  kick: string;
  trials: string;
  cells: Cell[];
  /** Workers created, by whom (run rows). */
  creators: string;
}

export interface SummaryTable {
  head: string[];
  rows: SummaryRow[];
}

/** The table's figures, in order, with their headings and units. */
const COLUMNS: { key: ColdBurstFigure; head: string; unit: 'ms-of-us' | 'ms' | 'n' }[] = [
  { key: 'exitHold', head: 'burst exit: BQL held ms', unit: 'ms-of-us' },
  { key: 'exitTotal', head: 'burst exit: total ms', unit: 'ms-of-us' },
  { key: 'exits', head: 'doorbell exits', unit: 'n' },
  { key: 'requestsPerExit', head: 'requests / exit', unit: 'n' },
  { key: 'createdInExit', head: 'workers created in exit', unit: 'n' },
  { key: 'othersBqlWait', head: "other vCPUs' BQL wait max ms", unit: 'ms-of-us' },
  { key: 'firstCompletion', head: '1st completion ms', unit: 'ms' },
  { key: 'burstComplete', head: 'burst done ms', unit: 'ms' },
  { key: 'heartbeatGap', head: 'main thread gap ms', unit: 'ms' },
];

function fmt(unit: (typeof COLUMNS)[number]['unit'], v: number): string {
  if (unit === 'n') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  const ms = unit === 'ms-of-us' ? v / 1000 : v;
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

export const fmtRatio = (r: number | null) => (r === null ? '–' : r.toFixed(2));

function spreadCell(unit: (typeof COLUMNS)[number]['unit'], s: Spread, trials: number): Cell {
  const value = fmt(unit, s.median);
  const spread = trials > 1 ? `${fmt(unit, s.min)}–${fmt(unit, s.max)}` : '';
  return { value, spread };
}

function creators(s: ColdBurstSummary): string {
  const parts = Object.entries(s.byCreator)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([who, n]) => `${who.replace('vcpu', 'v')} ${n}`);
  return parts.join(', ') || 'none';
}

function runRow(s: ColdBurstSummary): SummaryRow {
  return {
    kind: 'run',
    label: s.failed > 0 ? `${s.variant} (${s.failed} failed)` : s.variant,
    kick: s.kick,
    trials: String(s.trials),
    cells: COLUMNS.map((c) => spreadCell(c.unit, s.figures[c.key], s.trials)),
    creators: creators(s),
  };
}

function ratioRow(r: ColdBurstRatios): SummaryRow {
  return {
    kind: 'ratio',
    label: `${r.variant}/bh`,
    kick: r.kick,
    trials: '',
    cells: COLUMNS.map((c) => ({ value: fmtRatio(r[c.key]), spread: '' })),
    creators: '',
  };
}

export function coldBurstTable(
  result: Pick<ColdBurstResult, 'summaries' | 'ratios'>,
): SummaryTable {
  const head = ['policy', 'kick', 'trials', ...COLUMNS.map((c) => c.head), 'workers created by'];
  const rows = result.summaries.flatMap((s) => {
    const ratio = result.ratios.find((r) => r.kick === s.kick && r.variant === s.variant);
    return ratio ? [runRow(s), ratioRow(ratio)] : [runRow(s)];
  });
  return { head, rows };
}

/** The same table as text cells for Markdown: "median (min–max)". */
export function coldBurstTextTable(result: ColdBurstResult): TextTable {
  const t = coldBurstTable(result);
  const rows = t.rows.map((r) => [
    r.label,
    r.kick,
    r.trials,
    ...r.cells.map((c) => (c.spread ? `${c.value} (${c.spread})` : c.value)),
    r.creators,
  ]);
  return { head: t.head, rows, textColumns: 2 };
}

/** What each column means, for a legend under the table. */
export const COLD_BURST_LEGEND = [
  'Each figure is the median over the trials, min–max beside it; a ratio row divides medians.',
  "burst exit: vCPU 0's doorbell exits while it submits its 64 requests — one exit with kick batch, 64 with kick each (summed). BQL held: time inside device emulation holding the big lock; total: BQL wait included.",
  'workers created in exit: pool workers vCPU 0 created while it held the BQL (inline: the whole backlog).',
  "other vCPUs' BQL wait max: the longest any of vCPUs 1–3 waited for the BQL (the seed's other vCPUs stuck behind the lock).",
  '1st completion, burst done: ms after the first submission, as the device answered. Main thread gap: the longest the page did not run a 1 ms heartbeat.',
];
