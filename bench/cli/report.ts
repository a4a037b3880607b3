// What `npm run bench` prints and writes: the JSON document (BenchReport); what follows the
// scenarios' own reports (report-scenarios.ts) — steady against the ceilings, and the targets;
// and the pieces of every report: figures, a side's fio-like line, Markdown tables to paste into
// docs/benchmarks.md.

import { fmtRatio, type TextTable } from '../shared/cold-burst-table.ts';
import type { SteadyComparisonRow } from '../shared/steady-compare.ts';
import { verdictOf, type TargetResult } from '../shared/targets.ts';
import type { SideResult } from '../shared/bench-contracts.ts';
import type { Results, ScenarioName, ScenarioParams } from './scenarios.ts';

export const REPORT_SCHEMA = 'webaio-bench/4';

/** The --json document. */
export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  startedAt: string;
  /** The whole run: build, server, browser, every scenario. */
  wallMs: number;
  command: string;
  chromium: { version: string | undefined; userAgent: string; executable: string };
  machine: {
    platform: string;
    release: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    memBytes: number;
    node: string;
  };
  scenarios: ScenarioName[];
  /** What the command line gave each scenario (the page fills in the rest: results[].params). */
  requested: ScenarioParams;
  /** Each scenario that ran, under its key in scenarios.ts. */
  results: Partial<Results>;
  comparison: {
    /** Each steady lane against the ceilings' (null unless steady and a ceiling ran). */
    steadyVsCeiling: SteadyComparisonRow[] | null;
  };
  targets: TargetResult[];
  /** Scenarios that failed, and variants that reported an error. */
  errors: { scenario: ScenarioName; message: string }[];
}

export const fixed = (v: number, digits: number) =>
  Number.isFinite(v) ? v.toFixed(digits) : String(v);
export const int = (v: number) => fixed(v, 0);
/** µs as ms. */
export const msOf = (us: number) => fixed(us / 1000, 2);
export const kib = (nbytes: number) => (nbytes >= 1024 ? `${nbytes / 1024}k` : `${nbytes}`);

export function sideLine(name: string, s: SideResult): string {
  const l = s.latencyUs;
  return (
    `  ${name.padEnd(9)} ops=${s.ops}, IOPS=${fixed(s.iops, 1)}, BW=${fixed(s.mbPerS, 2)} MB/s, ` +
    `run=${int(s.elapsedMs)} ms; lat (µs): avg=${int(l.avg)}, p50=${int(l.p50)}, ` +
    `p90=${int(l.p90)}, p99=${int(l.p99)}, max=${int(l.max)}`
  );
}

/**
 * A Markdown table with padded columns, readable as it is in a terminal. The first
 * `textColumns` columns are left-aligned text, the others right-aligned figures.
 */
function markdownTable(head: string[], rows: string[][], textColumns = 3): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const isText = (i: number) => i < textColumns;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (isText(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  // A colon on the right of the rule right-aligns a column.
  const rule = `|${widths.map((w, i) => (isText(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export const textTable = (t: TextTable) => markdownTable(t.head, t.rows, t.textColumns);

/** A column of a table: its heading, and its cell in a row. */
export type Column<R> = readonly [head: string, cell: (row: R) => string];

/** markdownTable() of `rows`, a cell per column: one table printer for every scenario. */
export function columnTable<R>(
  columns: readonly Column<R>[],
  rows: readonly R[],
  textColumns = 3,
): string {
  const body = rows.map((r) => columns.map(([, cell]) => cell(r)));
  return markdownTable(
    columns.map(([head]) => head),
    body,
    textColumns,
  );
}

export const STEADY_COMPARISON_LEGEND = [
  'aio: batched (32 requests per transaction, merging, no page cache), faithful (one request ' +
    'per transaction), cached (the page cache, cache=writeback; flushes as shown)',
  'ceil: one request per transaction; ceil-b: ceiling-batched, its best batch size B for the ' +
    'operation; emu/ceil, emu/ceil-b: IOPS ratios',
  "req/tx, ios/tx, tx/s: the emulator's transactions of the operation's kind over the timed " +
    'run: requests per transaction as the pool took them (after merging), guest requests per ' +
    'transaction, transactions per second (reads; writes: relaxed, and tx/s with durable ' +
    'commits); * shared by the kind (random and sequential) when all run at once',
];

const dash = (v: number | undefined, f: (v: number) => string) => (v === undefined ? '–' : f(v));
/** A figure shared by the kind (random and sequential) when all operations run at once. */
const star = (r: SteadyComparisonRow, v: number | null, f: (v: number) => string) =>
  v === null ? '–' : `${f(v)}${r.transactions.shared ? '*' : ''}`;

const STEADY_COMPARISON_COLUMNS: readonly Column<SteadyComparisonRow>[] = [
  ['aio', (r) => (r.flushEvery ? `${r.aio}, flush ${r.flushEvery}` : r.aio)],
  ['policy', (r) => r.policy],
  ['mix', (r) => r.mix],
  ['op', (r) => r.lane],
  ['bs', (r) => kib(r.bs)],
  ['iodepth', (r) => String(r.iodepth)],
  ['IOPS emu', (r) => int(r.emulator.iops)],
  ['IOPS ceil', (r) => dash(r.ceiling?.iops, int)],
  ['IOPS ceil-b', (r) => dash(r.ceilingBatched?.iops, int)],
  ['B', (r) => dash(r.ceilingBatched?.batch, String)],
  ['emu/ceil', (r) => fmtRatio(r.ratio.iops)],
  ['emu/ceil-b', (r) => fmtRatio(r.ratioBatched.iops)],
  ['req/tx', (r) => star(r, r.transactions.requestsPerTransaction, (v) => fixed(v, 1))],
  ['ios/tx', (r) => star(r, r.transactions.iosPerTransaction, (v) => fixed(v, 1))],
  ['tx/s', (r) => star(r, r.transactions.transactionsPerS, int)],
  ['p50 ms emu', (r) => msOf(r.emulator.p50)],
  ['p50 ms ceil', (r) => dash(r.ceiling?.p50, msOf)],
  ['p50 ms ceil-b', (r) => dash(r.ceilingBatched?.p50, msOf)],
  ['p99 ms emu', (r) => msOf(r.emulator.p99)],
  ['p99 ms ceil', (r) => dash(r.ceiling?.p99, msOf)],
];

export function steadyComparisonTable(rows: SteadyComparisonRow[]): string {
  return [
    '== steady vs the ceilings: emulator / plain workers for each operation, same run',
    columnTable(STEADY_COMPARISON_COLUMNS, rows, 5),
    STEADY_COMPARISON_LEGEND.map((l) => `  ${l}`).join('\n'),
  ].join('\n\n');
}

export function targetsReport(targets: TargetResult[]): string {
  return [
    '== targets (benchmarks, not tests)',
    ...targets.map((t) => `  [${verdictOf(t)}] ${t.target}: ${t.measured}`),
  ].join('\n');
}
