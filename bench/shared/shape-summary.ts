// The shape scenario's results: what a cell measured in one trial (its readers' and its writers'
// figures, summed over the workers), each figure's median and min–max across trials, and the
// tables `npm run bench` prints. No DOM.

import type { TextTable } from './cold-burst-table.ts';
import { spreadOf, type Spread } from '../../app/shared/spread.ts';
import type { ShapeWorkerRun } from './shape-contract.ts';
import type { ShapeCell, ShapeParams, ShapePart } from './shape-params.ts';
import { Histogram } from '../../app/shared/histogram.ts';

/** What one role (the readers, or the writers) of a cell did in one trial. */
export interface ShapeSide {
  workers: number;
  txs: number;
  ops: number;
  /** Σ over the workers of ops / their elapsed time: chunks read (or written) per second. */
  opsPerS: number;
  txPerS: number;
  /** 10^6 bytes per second. */
  mbPerS: number;
  /** Transactions, from creation to commit (reads: and Blob read-back), over every worker. */
  txP50Ms: number;
  txP99Ms: number;
}

export interface ShapeTrial {
  trial: number;
  reads: ShapeSide | null;
  writes: ShapeSide | null;
  error: string | null;
}

/** A side's figures across the trials that succeeded. */
export interface ShapeSpreads {
  opsPerS: Spread;
  txPerS: Spread;
  mbPerS: Spread;
  txP50Ms: Spread;
  txP99Ms: Spread;
}

export interface ShapeCellResult {
  cell: ShapeCell;
  trials: ShapeTrial[];
  reads: ShapeSpreads | null;
  writes: ShapeSpreads | null;
}

export interface ShapeResult {
  scenario: 'shape';
  params: ShapeParams;
  /** Storage buckets as the page and a worker see them; the error of a test bucket, if any. */
  storageBuckets: { page: boolean; worker: boolean; error: string | null };
  /** Untimed creation and filling of each setup, by cell part and setup key. */
  prefill: { part: ShapePart; setup: string; ms: number; error: string | null }[];
  startedAt: string;
  elapsedMs: number;
  cells: ShapeCellResult[];
}

/** One role's runs, one per worker, as one side. */
export function sideOf(runs: readonly ShapeWorkerRun[]): ShapeSide | null {
  if (runs.length === 0) return null;
  const latency = Histogram.create();
  let txs = 0;
  let ops = 0;
  let opsPerS = 0;
  let txPerS = 0;
  let mbPerS = 0;
  for (const r of runs) {
    latency.add(new Histogram(r.latencyCounts, r.latencyStats));
    txs += r.txs;
    ops += r.ops;
    const seconds = r.elapsedMs / 1000;
    if (seconds <= 0) continue;
    opsPerS += r.ops / seconds;
    txPerS += r.txs / seconds;
    mbPerS += r.bytes / 1e6 / seconds;
  }
  return {
    workers: runs.length,
    txs,
    ops,
    opsPerS,
    txPerS,
    mbPerS,
    txP50Ms: latency.quantile(0.5) / 1000,
    txP99Ms: latency.quantile(0.99) / 1000,
  };
}

const FIGURES = ['opsPerS', 'txPerS', 'mbPerS', 'txP50Ms', 'txP99Ms'] as const;

function spreadsOf(sides: readonly (ShapeSide | null)[]): ShapeSpreads | null {
  const ok = sides.filter((s): s is ShapeSide => s !== null);
  if (ok.length === 0) return null;
  const out = {} as ShapeSpreads;
  for (const f of FIGURES) out[f] = spreadOf(ok.map((s) => s[f]));
  return out;
}

export function summarizeCell(cell: ShapeCell, trials: ShapeTrial[]): ShapeCellResult {
  const ok = trials.filter((t) => !t.error);
  return {
    cell,
    trials,
    reads: spreadsOf(ok.map((t) => t.reads)),
    writes: spreadsOf(ok.map((t) => t.writes)),
  };
}

// ---- tables ----

const digits = (v: number) => (v >= 100 ? 0 : v >= 10 ? 1 : 2);
const num = (v: number) => v.toFixed(digits(Math.abs(v)));
/** "2361 (2100–2500)", or "2361" with one trial. */
export function spreadText(s: Spread | undefined): string {
  if (!s) return '–';
  if (s.min === s.max) return num(s.median);
  return `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}
const kib = (n: number) => `${n / 1024}k`;

function failed(r: ShapeCellResult): string | null {
  const errors = r.trials.filter((t) => t.error);
  if (errors.length < r.trials.length) return null;
  return errors[0]?.error ?? 'not run';
}

/** The cells of a part whose every trial failed: one line each, with the first error. */
export function shapeFailures(result: ShapeResult): string[] {
  return result.cells.flatMap((r) => {
    const e = failed(r);
    return e ? [`${r.cell.key}: ${e}`] : [];
  });
}

const of = (result: ShapeResult, part: ShapePart) =>
  result.cells.filter((r) => r.cell.part === part && !failed(r));

/** mixed: per layout and batch, the mixed load and (where run) readers and writers alone. */
export function mixedTable(result: ShapeResult): TextTable {
  const head = [
    'layout',
    'ops/tx',
    'load',
    'reads/s',
    'writes/s',
    'read MB/s',
    'write MB/s',
    'read tx p50 ms',
    'write tx p50 ms',
  ];
  const rows = of(result, 'mixed').map((r) => [
    `${r.cell.setup.layout.kind}-${r.cell.setup.layout.k}`,
    String(r.cell.batch),
    r.cell.load === 'mixed' ? 'mixed' : r.cell.load === 'read' ? 'readers alone' : 'writers alone',
    spreadText(r.reads?.opsPerS),
    spreadText(r.writes?.opsPerS),
    spreadText(r.reads?.mbPerS),
    spreadText(r.writes?.mbPerS),
    spreadText(r.reads?.txP50Ms),
    spreadText(r.writes?.txP50Ms),
  ]);
  return { head, rows, textColumns: 3 };
}

/** chunk-size and blob: per value size (and kind), puts and gets side by side. */
export function valueTable(result: ShapeResult, part: 'chunk-size' | 'blob'): TextTable {
  const cells = of(result, part);
  const head = [
    'value',
    'kind',
    'puts/s',
    'put MB/s',
    'put tx p50 ms',
    'gets/s',
    'get MB/s',
    'get tx p50 ms',
  ];
  const rows: string[][] = [];
  for (const put of cells.filter((r) => r.cell.load === 'write')) {
    const { valueBytes, value } = put.cell.setup;
    const get = cells.find(
      (r) =>
        r.cell.load === 'read' &&
        r.cell.setup.valueBytes === valueBytes &&
        r.cell.setup.value === value,
    );
    rows.push([
      kib(valueBytes),
      value === 'blob' ? 'Blob' : 'ArrayBuffer',
      spreadText(put.writes?.opsPerS),
      spreadText(put.writes?.mbPerS),
      spreadText(put.writes?.txP50Ms),
      spreadText(get?.reads?.opsPerS),
      spreadText(get?.reads?.mbPerS),
      spreadText(get?.reads?.txP50Ms),
    ]);
  }
  return { head, rows, textColumns: 2 };
}

/** durability: puts per second and transactions per second, strict against relaxed. */
export function durabilityTable(result: ShapeResult): TextTable {
  const cells = of(result, 'durability');
  const head = ['durability', 'ops/tx', 'puts/s', 'tx/s', 'MB/s', 'tx p50 ms', 'tx p99 ms'];
  const rows = cells.map((r) => [
    r.cell.durability,
    String(r.cell.batch),
    spreadText(r.writes?.opsPerS),
    spreadText(r.writes?.txPerS),
    spreadText(r.writes?.mbPerS),
    spreadText(r.writes?.txP50Ms),
    spreadText(r.writes?.txP99Ms),
  ]);
  return { head, rows, textColumns: 2 };
}

/** Ratios of medians that answer the part's question, one line each. */
export function shapeFindings(result: ShapeResult): string[] {
  const lines: string[] = [];
  const med = (s: Spread | undefined) => s?.median;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : '–';
  const mixed = of(result, 'mixed');
  const find = (layout: string, batch: number, load: string) =>
    mixed.find(
      (r) =>
        `${r.cell.setup.layout.kind}-${r.cell.setup.layout.k}` === layout &&
        r.cell.batch === batch &&
        r.cell.load === load,
    );
  const base = result.params.layouts[0];
  for (const batch of result.params.batches) {
    for (const layout of result.params.layouts) {
      const mixedCell = find(layout, batch, 'mixed');
      if (!mixedCell) continue;
      const aloneR = find(layout, batch, 'read');
      const aloneW = find(layout, batch, 'write');
      const parts = [];
      if (aloneR || aloneW) {
        parts.push(
          `mixed/alone: reads ${ratio(med(mixedCell.reads?.opsPerS), med(aloneR?.reads?.opsPerS))}, ` +
            `writes ${ratio(med(mixedCell.writes?.opsPerS), med(aloneW?.writes?.opsPerS))}`,
        );
      }
      const b = find(base, batch, 'mixed');
      if (layout !== base && b) {
        const bw = find(base, batch, 'write');
        parts.push(
          `vs ${base}: mixed reads ${ratio(med(mixedCell.reads?.opsPerS), med(b.reads?.opsPerS))}, ` +
            `mixed writes ${ratio(med(mixedCell.writes?.opsPerS), med(b.writes?.opsPerS))}` +
            (aloneW && bw
              ? `, writes alone ${ratio(med(aloneW.writes?.opsPerS), med(bw.writes?.opsPerS))}`
              : ''),
        );
      }
      if (parts.length) lines.push(`mixed x${batch} ${layout}: ${parts.join('; ')}`);
    }
  }
  const dur = of(result, 'durability');
  for (const batch of result.params.batches) {
    const strict = dur.find((r) => r.cell.durability === 'strict' && r.cell.batch === batch);
    const relaxed = dur.find((r) => r.cell.durability === 'relaxed' && r.cell.batch === batch);
    if (strict && relaxed) {
      lines.push(
        `durability x${batch}: strict / relaxed puts/s ` +
          ratio(med(strict.writes?.opsPerS), med(relaxed.writes?.opsPerS)),
      );
    }
  }
  return lines;
}
