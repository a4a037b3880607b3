// The scenario table: every target judged in one run, in the table's order, whatever ran.

import { describe, expect, it } from 'vitest';
import { SCENARIOS } from './scenarios.ts';

describe('bench scenarios', () => {
  it('bench/targets-all-in-order', () => {
    expect(
      SCENARIOS.flatMap(
        (s) => s.targets?.({ results: {}, comparison: { steadyVsCeiling: null } }) ?? [],
      ).map((t) => [t.id, t.met]),
    ).toEqual([
      ['inline-bh-exit-hold', null],
      ['bh-exit-hold', null],
      ['others-bql-wait', null],
      ['prealloc-first-completion', null],
      ['steady-vs-ceiling', null],
      ['random-vs-ceiling-all', null],
      ['random-vs-ceiling-batched-all', null],
      ['sequential-vs-ceiling-all', null],
      ['random-vs-ceiling-alone', null],
      ['random-vs-ceiling-batched-alone', null],
      ['sequential-vs-ceiling-alone', null],
      ['cached-flush-vs-ceiling', null],
      ['faithful-vs-today', null],
      ['faithful-vs-today-ratio', null],
      ['linux-boot', null],
      ['linux-dd-write', null],
      ['linux-dd-read', null],
    ]);
  });
});
