// What `npm run bench` prints and writes: the JSON document (BenchReport), a fio-like report per
// case and Markdown tables (to paste into docs/benchmarks.md). The block scenario's report is
// here; the others' are in report-scenarios.ts.

import type { BlockBenchResult, BlockCaseResult } from '../shared/block-params.ts';
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
const ratio = (v: number) => `x${fixed(v, 2)}`;
export const kib = (nbytes: number) => (nbytes >= 1024 ? `${nbytes / 1024}k` : `${nbytes}`);

export function sideLine(name: string, s: SideResult): string {
  const l = s.latencyUs;
  return (
    `  ${name.padEnd(9)} ops=${s.ops}, IOPS=${fixed(s.iops, 1)}, BW=${fixed(s.mbPerS, 2)} MB/s, ` +
    `run=${int(s.elapsedMs)} ms; lat (µs): avg=${int(l.avg)}, p50=${int(l.p50)}, ` +
    `p90=${int(l.p90)}, p99=${int(l.p99)}, max=${int(l.max)}`
  );
}

function caseReport(c: BlockCaseResult): string {
  const { pool, splitUs: split } = c.emulator;
  return [
    `block: ${c.op}, bs=${kib(c.bs)}, iodepth=${c.iodepth} (${c.first} ran first)`,
    sideLine('emulator', c.emulator),
    `            pool: ${pool.threadsAtStart} -> ${pool.threadsAtEnd} workers, ` +
      `${pool.spawnedDuringRun} spawned during the run; ` +
      `warm-up ${int(c.emulator.warmupMs)} ms, ${c.emulator.warmupOps} ops`,
    `            split p50 (µs, warm-up included): queue wait ${int(split.queue_wait.p50)}, ` +
      `service ${int(split.service.p50)}, completion ${int(split.completion.p50)}`,
    sideLine('baseline', c.baseline),
    `            warm-up ${int(c.baseline.warmupMs)} ms, ${c.baseline.warmupOps} ops`,
    `  emulator/baseline: IOPS ${ratio(c.ratio.iops)}, p50 ${ratio(c.ratio.p50)}, ` +
      `p99 ${ratio(c.ratio.p99)}`,
  ].join('\n');
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

const BLOCK_COLUMNS: readonly Column<BlockCaseResult>[] = [
  ['op', (c) => c.op],
  ['bs', (c) => kib(c.bs)],
  ['iodepth', (c) => String(c.iodepth)],
  ['IOPS emu', (c) => int(c.emulator.iops)],
  ['IOPS base', (c) => int(c.baseline.iops)],
  ['IOPS ratio', (c) => fixed(c.ratio.iops, 2)],
  ['MB/s emu', (c) => fixed(c.emulator.mbPerS, 2)],
  ['MB/s base', (c) => fixed(c.baseline.mbPerS, 2)],
  ['p50 µs emu', (c) => int(c.emulator.latencyUs.p50)],
  ['p50 µs base', (c) => int(c.baseline.latencyUs.p50)],
  ['p50 ratio', (c) => fixed(c.ratio.p50, 2)],
  ['p99 µs emu', (c) => int(c.emulator.latencyUs.p99)],
  ['p99 µs base', (c) => int(c.baseline.latencyUs.p99)],
  ['p99 ratio', (c) => fixed(c.ratio.p99, 2)],
];

export const blockTable = (r: BlockBenchResult) => columnTable(BLOCK_COLUMNS, r.cases);

export function blockReport(r: BlockBenchResult): string {
  const p = r.params;
  const mib = (n: number) => `${n / 2 ** 20} MiB`;
  const header =
    `== block: ${mib(p.imageBytes)} images of ${kib(p.chunkSize)} chunks, requests in the first ` +
    `${mib(p.regionBytes)}, ${p.runtimeMs} ms per side per case after a ${p.warmupMs} ms warm-up\n` +
    `   emulator: webaio.openBlock(), cache=${r.emulator.cache}, pool ${r.emulator.pool.policy} ` +
    `max ${r.emulator.pool.maxThreads}; baseline: ${r.baseline.worker}\n` +
    `   prefill (untimed): emulator ${int(r.prefillMs.emulator)} ms, ` +
    `baseline ${int(r.prefillMs.baseline)} ms`;
  return [header, ...r.cases.map(caseReport), blockTable(r)].join('\n\n');
}
