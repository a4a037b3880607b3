// The steady comparison: each lane against the ceiling and the best batch size of
// ceiling-batched for the same operation and mix, and the emulator's transactions per kind.

import { describe, expect, it } from 'vitest';
import { compareSteady, transactionFigures } from './steady-compare.ts';
import { ceilingResult, noTransactions, runs, steadyCase, steadyResult } from './steady-testing.ts';

describe('steady comparison', () => {
  it('bench/compare-ceilings-best-batch-per-operation', () => {
    const steady = steadyResult([
      steadyCase('batched', 'all', runs('all')[0], () => 400, {
        readTransactions: 50,
        readRequests: 400,
        writeTransactions: 100,
        writeRequests: 500,
        rdMerged: 200,
      }),
      ...runs('alone').map((run) =>
        steadyCase('batched', 'alone', run, (name) => (name === 'randread' ? 4000 : 800)),
      ),
    ]);
    const ceiling = ceilingResult('ceiling', [1], ['all', 'alone'], (_, __, mix) =>
      mix === 'all' ? 200 : 1000,
    );
    // Batch 16 is best for the reads, 32 for the writes.
    const batched = ceilingResult('ceiling-batched', [16, 32], ['all', 'alone'], (name, b) =>
      name.endsWith('read') ? 6000 - b * 10 : 1000 + b * 10,
    );
    const rows = compareSteady(steady, ceiling, batched);
    expect(rows.map((r) => `${r.mix} ${r.lane}`)).toEqual([
      'all randread',
      'all randwrite',
      'all seqread',
      'all seqwrite',
      'alone randread',
      'alone randwrite',
      'alone seqread',
      'alone seqwrite',
    ]);
    const [allRead, allWrite] = rows;
    expect(allRead.ceiling?.iops).toBe(200);
    expect(allRead.ratio.iops).toBeCloseTo(2, 9);
    expect(allRead.ceilingBatched).toMatchObject({ batch: 16, iops: 5840 });
    expect(allRead.ceilingBatched?.requestsPerTransaction).toBeCloseTo(16, 0);
    expect(allWrite.ceilingBatched).toMatchObject({ batch: 32, iops: 1320 });
    expect(allWrite.ratioBatched.iops).toBeCloseTo(400 / 1320, 9);
    // All at once, the two reading lanes share the machine's read figures.
    expect(allRead.transactions).toMatchObject({
      kind: 'read',
      requestsPerTransaction: 8,
      iosPerTransaction: 16, // 800 guest reads (two lanes) in 50 transactions
      transactionsPerS: 50,
      merged: 200,
      shared: true,
    });
    expect(allWrite.transactions).toMatchObject({ requestsPerTransaction: 5, shared: true });
    const aloneRead = rows[4];
    expect(aloneRead.ceiling?.iops).toBe(1000);
    expect(aloneRead.ratio.iops).toBeCloseTo(4, 9);
    expect(aloneRead.transactions).toMatchObject({ requestsPerTransaction: null, shared: false });
  });

  it('bench/compare-cached-against-the-ceiling-alone-or-all', () => {
    const write = runs('alone')[1];
    const steady = steadyResult([
      steadyCase('cached', 'alone', write, () => 10_000, { durableTransactions: 40 }, 1000),
    ]);
    const both = ceilingResult('ceiling', [1], ['all', 'alone'], (_, __, mix) =>
      mix === 'all' ? 250 : 500,
    );
    const [row] = compareSteady(steady, both, undefined);
    expect(row).toMatchObject({ aio: 'cached', flushEvery: 1000, ceilingBatched: null });
    expect(row.ceiling?.iops).toBe(500);
    expect(row.ratio.iops).toBeCloseTo(20, 9);
    expect(row.ratioBatched.iops).toBeNull();
    expect(row.transactions).toMatchObject({ transactionsPerS: 40, durablePerS: 40 });
    // Without the alone runs, against the all-at-once ones.
    const allOnly = ceilingResult('ceiling', [1], ['all'], () => 250);
    expect(compareSteady(steady, allOnly, undefined)[0].ratio.iops).toBeCloseTo(40, 9);
    // A lane with no ceiling to compare with has null ratios.
    const none = compareSteady(
      steadyResult([steadyCase('batched', 'alone', write, () => 1)]),
      allOnly,
      undefined,
    );
    expect(none[0].ceiling).toBeNull();
    expect(none[0].ratio).toEqual({ iops: null, mbPerS: null, p50: null, p99: null });
  });

  it('bench/transaction-figures', () => {
    const t = {
      ...noTransactions(2000),
      writeTransactions: 10,
      writeRequests: 80,
      durableTransactions: 6,
    };
    expect(transactionFigures(t, 'write', 160, false)).toEqual({
      kind: 'write',
      requestsPerTransaction: 8,
      iosPerTransaction: 16,
      transactionsPerS: 8,
      durablePerS: 3,
      merged: 0,
      shared: false,
    });
    expect(transactionFigures(t, 'read', 0, false)).toMatchObject({
      requestsPerTransaction: null,
      iosPerTransaction: null,
      transactionsPerS: 0,
    });
  });
});
