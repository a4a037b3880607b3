// The shape scenario's parameters and cells: defaults, the checks that refuse a bad value with
// EINVAL naming it, the cells a run takes and the figures summed over its workers.

import { describe, expect, it } from 'vitest';
import {
  checkShapeParams,
  estimatedMs,
  parseLayout,
  SHAPE_DEFAULTS,
  shapeCells,
  setupsOf,
  workersNeeded,
} from './shape-params.ts';
import { sideOf, spreadText, summarizeCell } from './shape-summary.ts';
import { Histogram } from '../../app/shared/histogram.ts';
import type { ShapeWorkerRun } from './shape-contract.ts';

describe('bench shape params', () => {
  it('shape/defaults', () => {
    const p = checkShapeParams();
    expect(p).toEqual(SHAPE_DEFAULTS);
    const cells = shapeCells(p);
    // mixed: 5 layouts x 2 batches x mixed, readers alone, writers alone;
    // chunk-size: 6 sizes x put, get; blob: 2 sizes x 2 kinds x put, get; durability: 2 x 2.
    expect(cells.filter((c) => c.part === 'mixed')).toHaveLength(5 * 2 * 3);
    expect(cells.filter((c) => c.part === 'chunk-size')).toHaveLength(12);
    expect(cells.filter((c) => c.part === 'blob')).toHaveLength(8);
    expect(cells.filter((c) => c.part === 'durability')).toHaveLength(4);
    expect(new Set(cells.map((c) => c.key)).size).toBe(cells.length);
    expect(workersNeeded(cells)).toBe(4);
    // The default run stays well under five minutes of cells.
    expect(estimatedMs(p)).toBeLessThan(240_000);
  });

  it('shape/mixed-cells', () => {
    const p = checkShapeParams({
      parts: ['mixed'],
      layouts: ['stores-1', 'dbs-4'],
      batches: [32],
      alone: 'first',
      writers: 3,
      readers: 1,
    });
    expect(shapeCells(p).map((c) => [c.key, c.writers, c.readers, c.writeOp])).toEqual([
      ['mixed stores-1 x32 mixed', 3, 1, 'rmw'],
      ['mixed stores-1 x32 read', 0, 1, 'rmw'],
      ['mixed stores-1 x32 write', 3, 0, 'rmw'],
      ['mixed dbs-4 x32 mixed', 3, 1, 'rmw'],
    ]);
    expect(setupsOf(shapeCells(p)).map((s) => s.layout)).toEqual([
      { kind: 'stores', k: 1 },
      { kind: 'dbs', k: 4 },
    ]);
    const all = checkShapeParams({
      parts: ['mixed'],
      layouts: ['stores-1', 'dbs-4'],
      alone: 'all',
    });
    expect(shapeCells(all)).toHaveLength(2 * 2 * 3);
  });

  it('shape/layouts', () => {
    expect(parseLayout('buckets-4')).toEqual({ kind: 'buckets', k: 4 });
    expect(() => parseLayout('stores-0')).toThrow('layout "stores-0" is not stores-K');
    expect(() => parseLayout('tables-2')).toThrow('is not stores-K, dbs-K or buckets-K');
  });

  it.each([
    [{ trials: 0 }, 'bench shape: trials 0 is not an integer from 1 to 50'],
    [{ runtimeMs: 5 }, 'runtimeMs 5 is not an integer from 10 to 600000'],
    [{ parts: ['mixed', 'net'] }, 'part "net" is not one of mixed, chunk-size, blob, durability'],
    [{ parts: [] }, 'parts [] is not a non-empty list'],
    [{ layouts: ['stores-65'] }, 'layout "stores-65" is not stores-K, dbs-K or buckets-K'],
    [{ sizes: [3000] }, 'sizes 3000 is not a power of two'],
    [{ blobSizes: [2 << 20] }, 'blobSizes 2097152 is not an integer from 1024 to 1048576'],
    [{ batches: [0] }, 'batches 0 is not an integer from 1 to 256'],
    [{ writers: 9 }, 'writers 9 is not an integer from 1 to 8'],
    [{ writeOp: 'append' }, 'writeOp "append" is not one of put, rmw'],
    [{ alone: 'some' }, 'alone "some" is not one of first, all, none'],
    [
      {
        regionBytes: 1 << 20,
        sizes: [4096],
        parts: ['mixed'],
        layouts: ['stores-64'],
        chunkSize: 65536,
      },
      'regionBytes 1048576 must hold a whole number of 65536-byte values, a multiple of 64',
    ],
    [{ fast: true }, 'unknown parameter "fast"'],
  ])('shape/refuses %j', (input, message) => {
    expect(() => checkShapeParams(input)).toThrow(message);
    expect(() => checkShapeParams(input)).toThrow(expect.objectContaining({ name: 'EINVAL' }));
  });
});

describe('bench shape summary', () => {
  const run = (
    txs: number,
    batch: number,
    elapsedMs: number,
    latencyUs: number,
  ): ShapeWorkerRun => {
    const h = Histogram.create();
    for (let i = 0; i < txs; i++) h.record(latencyUs);
    return {
      txs,
      ops: txs * batch,
      bytes: txs * batch * 32768,
      elapsedMs,
      latencyCounts: h.counts,
      latencyStats: h.stats,
      warmupTxs: 1,
    };
  };

  it('shape/side-sums-rates-over-workers', () => {
    const side = sideOf([run(100, 8, 1000, 2000), run(50, 8, 500, 2000)]);
    expect(side).toMatchObject({ workers: 2, txs: 150, ops: 1200, opsPerS: 1600, txPerS: 200 });
    expect(side?.mbPerS).toBeCloseTo((1600 * 32768) / 1e6, 6);
    // Within the histogram's 1/16.
    expect(side?.txP50Ms).toBeGreaterThan(1.9);
    expect(side?.txP50Ms).toBeLessThan(2.1);
    expect(sideOf([])).toBeNull();
  });

  it('shape/medians-skip-failed-trials', () => {
    const [cell] = shapeCells(checkShapeParams({ parts: ['durability'], batches: [1] }));
    const t = (trial: number, txs: number) => ({
      trial,
      reads: null,
      writes: sideOf([run(txs, 1, 1000, 500)]),
      error: null,
    });
    const r = summarizeCell(cell, [
      t(1, 300),
      { trial: 2, reads: null, writes: null, error: 'boom' },
      t(3, 100),
      t(4, 200),
    ]);
    expect(r.reads).toBeNull();
    expect(r.writes?.opsPerS).toEqual({ median: 200, min: 100, max: 300 });
    expect(spreadText(r.writes?.opsPerS)).toBe('200 (100–300)');
    expect(spreadText({ median: 1.234, min: 1.234, max: 1.234 })).toBe('1.23');
  });
});
