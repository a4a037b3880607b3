// What `npm run bench` prints for the shape scenario: what ran, then a Markdown table per part
// (each figure the median over the trials, min–max beside it) and the ratios that answer it.

import type { ShapeResult } from '../shared/shape-summary.ts';
import {
  durabilityTable,
  mixedTable,
  shapeFailures,
  shapeFindings,
  valueTable,
} from '../shared/shape-summary.ts';
import { layoutName, parseLayout } from '../shared/shape-params.ts';
import { kib, textTable } from './bench-report.ts';

export function shapeReport(r: ShapeResult): string {
  const p = r.params;
  const b = r.storageBuckets;
  const out = [
    `== shape: plain IndexedDB from plain workers; ${p.trials} trial(s) of every cell, ` +
      `interleaved; ${p.warmupMs} ms warm-up + ${p.runtimeMs} ms timed per cell; ` +
      `${p.inflight} transaction(s) in flight per worker; ${p.regionBytes >> 20} MiB of values ` +
      `per setup, filled first (untimed); ${(r.elapsedMs / 1000).toFixed(1)} s\n` +
      `   storage buckets: page ${b.page}, worker ${b.worker}` +
      (b.error ? `; a test bucket failed: ${b.error}` : '; a test bucket worked'),
  ];
  const has = (part: string) => r.cells.some((c) => c.cell.part === part);
  if (has('mixed')) {
    const layouts = p.layouts.map((l) => layoutName(parseLayout(l))).join(', ');
    out.push(
      `== shape mixed: ${p.writers} writer(s) (${p.writeOp === 'rmw' ? 'get + put of each chunk' : 'puts'}, ` +
        `relaxed) and ${p.readers} reader(s) (gets) at once, ${kib(p.chunkSize)} ArrayBuffer ` +
        `values; layouts ${layouts} (chunk c in shard c % K; a transaction stays in one shard)`,
      textTable(mixedTable(r)),
    );
  }
  if (has('chunk-size')) {
    out.push(
      `== shape chunk-size: ${p.workers} worker(s), ${p.batch} ops per transaction, one store`,
      textTable(valueTable(r, 'chunk-size')),
    );
  }
  if (has('blob')) {
    out.push(
      `== shape blob: ArrayBuffer vs Blob values (a Blob get includes arrayBuffer()), ` +
        `${p.workers} worker(s), ${p.batch} ops per transaction`,
      textTable(valueTable(r, 'blob')),
    );
  }
  if (has('durability')) {
    out.push(
      `== shape durability: ${p.workers} worker(s) putting ${kib(p.chunkSize)} values, one store`,
      textTable(durabilityTable(r)),
    );
  }
  const findings = shapeFindings(r);
  if (findings.length)
    out.push(['== shape: ratios of medians', ...findings.map((l) => `  ${l}`)].join('\n'));
  const failures = shapeFailures(r);
  if (failures.length)
    out.push(['== shape: cells not measured', ...failures.map((l) => `  ${l}`)].join('\n'));
  return out.join('\n\n');
}
