// What `npm run bench` prints and writes: the JSON document (BenchReport), and the pieces every
// scenario's report (report-scenarios.ts) is made of: figures, a side's fio-like line, and
// Markdown tables to paste into docs/benchmarks.md.

import type { TextTable } from '../shared/cold-burst-table.ts';
import type { SteadyComparisonRow } from '../shared/steady-compare.ts';
import type { TargetResult } from '../shared/targets.ts';
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
