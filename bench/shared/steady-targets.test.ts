// The targets of the steady comparison, judged on made-up figures: met, not met with the figures
// printed, and not measured when the cases they need did not run.

import { describe, expect, it } from 'vitest';
import { compareSteady } from './steady-compare.ts';
import type { SteadyMix } from './steady-params.ts';
import { ceilingResult, runs, steadyCase, steadyResult } from './steady-testing.ts';
import { steadyTargets } from './steady-targets.ts';
import type { TargetResult } from './targets.ts';

/** Emulator IOPS per (aio mode, mix, operation); the ceilings' fixed below. */
type Emu = (aio: string, mix: SteadyMix, name: string) => number;

const CEILING = { all: 250, alone: 1000 };
const BATCHED = { all: 500, alone: 2500 };

function rowsFor(emu: Emu, opts: { flushEvery?: number } = {}) {
  const cases = (['batched', 'faithful'] as const).flatMap((aio) =>
    (['all', 'alone'] as const).flatMap((mix) =>
      runs(mix).map((run) => steadyCase(aio, mix, run, (name) => emu(aio, mix, name))),
    ),
  );
  cases.push(
    steadyCase(
      'cached',
      'alone',
      runs('alone')[1],
      (name) => emu('cached', 'alone', name),
      {},
      opts.flushEvery ?? 1000,
    ),
  );
  const ceiling = ceilingResult('ceiling', [1], ['all', 'alone'], (_, __, mix) => CEILING[mix]);
  const batched = ceilingResult(
    'ceiling-batched',
    [16, 32],
    ['all', 'alone'],
    (_, __, mix) => BATCHED[mix],
  );
  return compareSteady(steadyResult(cases), ceiling, batched);
}

const verdicts = (targets: TargetResult[]) => Object.fromEntries(targets.map((t) => [t.id, t.met]));

/** Everything comfortably met: batched 2.4x the ceilings, cached 20x, faithful at today's. */
const good: Emu = (aio, mix) =>
  aio === 'cached' ? 20_000 : aio === 'faithful' ? Math.max(CEILING[mix], 320) : 2.4 * CEILING[mix];

describe('steady targets', () => {
  it('bench/targets-steady-met', () => {
    expect(verdicts(steadyTargets(rowsFor(good)))).toEqual({
      'steady-vs-ceiling': true,
      'random-vs-ceiling-all': true,
      'random-vs-ceiling-batched-all': true,
      'sequential-vs-ceiling-all': true,
      'random-vs-ceiling-alone': true,
      'random-vs-ceiling-batched-alone': true,
      'sequential-vs-ceiling-alone': true,
      'cached-flush-vs-ceiling': true,
      'faithful-vs-today': true,
      'faithful-vs-today-ratio': true,
    });
  });

  it('bench/targets-steady-not-met-names-the-figures', () => {
    // randwrite alone 1.5x the ceiling: misses 2x; 0.6 of ceiling-batched: misses 0.8.
    const slowWrites: Emu = (aio, mix, name) =>
      aio === 'batched' && mix === 'alone' && name === 'randwrite' ? 1500 : good(aio, mix, name);
    const t = steadyTargets(rowsFor(slowWrites));
    const v = verdicts(t);
    expect(v['random-vs-ceiling-alone']).toBe(false);
    expect(v['random-vs-ceiling-batched-alone']).toBe(false);
    expect(v['random-vs-ceiling-all']).toBe(true);
    expect(v['sequential-vs-ceiling-alone']).toBe(true);
    const m = t.find((x) => x.id === 'random-vs-ceiling-batched-alone')?.measured ?? '';
    expect(m).toContain('bh randwrite alone x0.60: 1500 IOPS');
    expect(m).toContain('ceiling-batched 2500 IOPS (batch 16: 15.9 req/tx, 157 tx/s)');
    expect(m).toContain('(limit x0.8)');
    // Faithful below today's: 250 IOPS against 0.9 x 312.
    const slowFaithful: Emu = (aio, mix, name) => (aio === 'faithful' ? 250 : good(aio, mix, name));
    const f = steadyTargets(rowsFor(slowFaithful));
    expect(verdicts(f)['faithful-vs-today']).toBe(false);
    expect(f.find((x) => x.id === 'faithful-vs-today')?.measured).toContain('(limit 281 IOPS)');
    // 250 / 250: the ratio still meets 0.9 x 0.78.
    expect(verdicts(f)['faithful-vs-today-ratio']).toBe(true);
    // Cached 5x: misses 10x.
    const slowCache: Emu = (aio, mix, name) => (aio === 'cached' ? 5000 : good(aio, mix, name));
    expect(verdicts(steadyTargets(rowsFor(slowCache)))['cached-flush-vs-ceiling']).toBe(false);
  });

  it('bench/targets-steady-not-measured', () => {
    expect(steadyTargets(null).every((t) => t.met === null)).toBe(true);
    // Another flush interval is not the target's case.
    const other = verdicts(steadyTargets(rowsFor(good, { flushEvery: 100 })));
    expect(other['cached-flush-vs-ceiling']).toBeNull();
    // Without the random writes, the random targets are not judged on the reads alone.
    const rows = rowsFor(good).filter((r) => r.lane !== 'randwrite');
    const v = verdicts(steadyTargets(rows));
    expect(v['random-vs-ceiling-all']).toBeNull();
    expect(v['faithful-vs-today']).toBeNull();
    expect(v['sequential-vs-ceiling-all']).toBe(true);
    // Another depth or size is not the targets' case either.
    const deeper = rowsFor(good).map((r) => ({ ...r, iodepth: 8 }));
    expect(verdicts(steadyTargets(deeper))['sequential-vs-ceiling-alone']).toBeNull();
    // Without ceiling-batched, its targets are not measured, the others are.
    const noBatched = rowsFor(good).map((r) => ({
      ...r,
      ceilingBatched: null,
      ratioBatched: { iops: null, p50: null },
    }));
    const nb = verdicts(steadyTargets(noBatched));
    expect(nb['random-vs-ceiling-batched-all']).toBeNull();
    expect(nb['random-vs-ceiling-all']).toBe(true);
  });
});
