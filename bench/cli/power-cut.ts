// The `power-cut` scenario: campaigns of crashes or power cuts (scripts/power-cut.ts) on WebAIO's
// cache modes, each on a browser profile of its own, and a table of what every restart found. It
// runs in Node beside the bench's page (it needs its own browsers, on lazyfs for power cuts). See
// docs/durability.md.

import { CUT_PATTERNS, type CutPattern } from '../../scripts/cut-writers.ts';
import { lazyfsMissing } from '../../scripts/lazyfs.ts';
import { badSectors, runCuts, type CutKind, type CutsResult } from '../../scripts/power-cut.ts';
import { ParamChecker } from '../shared/check.ts';
import { columnTable, type Column } from './report.ts';

export interface PowerCutParams {
  patterns: CutPattern[];
  cut: CutKind;
  /** Cuts per pattern, on one profile. */
  cuts: number;
  seed: number;
}

export const POWER_CUT_DEFAULTS: Readonly<PowerCutParams> = {
  patterns: [...CUT_PATTERNS],
  cut: 'power',
  cuts: 25,
  seed: 3,
};

export function checkPowerCutParams(input: unknown = {}): PowerCutParams {
  const c = new ParamChecker('power-cut');
  const p = c.merge(POWER_CUT_DEFAULTS, input);
  return {
    patterns: c.list('patterns', p.patterns, (v) => c.oneOf('pattern', v, CUT_PATTERNS)),
    cut: c.oneOf('cut', p.cut, ['power', 'kill'] as const),
    cuts: c.int('cuts', p.cuts, 1, 1000),
    seed: c.seed(p.seed),
  };
}

export interface PowerCutCampaign {
  scenario: 'power-cut';
  params: PowerCutParams;
  startedAt: string;
  elapsedMs: number;
  results: CutsResult[];
}

/** Every pattern's campaign, one after the other, against the bench's server. */
export async function runPowerCutCampaign(
  baseURL: string,
  input: unknown,
  log: (message: string) => void,
): Promise<PowerCutCampaign> {
  const params = checkPowerCutParams(input);
  const missing = params.cut === 'power' ? lazyfsMissing() : undefined;
  if (missing) throw new Error(`power cuts need lazyfs: ${missing}`);
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const results: CutsResult[] = [];
  for (const pattern of params.patterns) {
    log(`power-cut: ${pattern}, ${params.cuts} ${params.cut === 'power' ? 'power cuts' : 'kills'}`);
    results.push(
      await runCuts({
        baseURL,
        pattern,
        cut: params.cut,
        cuts: params.cuts,
        seed: params.seed,
        log,
      }),
    );
  }
  return { scenario: 'power-cut', params, startedAt, elapsedMs: Date.now() - t0, results };
}

/** The table: per pattern, cuts, those after which acknowledged data was damaged, and how. */
export function powerCutReport(r: PowerCutCampaign): string {
  type Cut = CutsResult['cuts'][number];
  const sum = (f: (c: Cut) => number) => (x: CutsResult) =>
    String(x.cuts.map(f).reduce((a, b) => a + b, 0));
  const columns: Column<CutsResult>[] = [
    ['pattern', (x) => x.pattern],
    [r.params.cut === 'power' ? 'power cuts' : 'kills', (x) => String(x.cuts.length)],
    ['cuts with loss', (x) => String(x.cutsWithLoss)],
    ['flushed batches', sum((c) => c.flushedBatches)],
    ['sectors checked', sum((c) => c.checked)],
    ['lost', sum((c) => c.lost)],
    ['torn', sum((c) => c.torn)],
    ['misplaced', sum((c) => c.misplaced)],
    ['phantom', sum((c) => c.phantom)],
    ['bad sectors per cut', (x) => x.cuts.map(badSectors).join(' ')],
  ];
  return [
    `power-cut (${r.params.cut}, seed ${r.params.seed}, ${(r.elapsedMs / 1000).toFixed(0)} s): ` +
      'a cut "with loss" left a sector that a completed flush covered older than acknowledged, ' +
      "torn, holding another sector's data, or holding data never written there",
    columnTable(columns, r.results, 1),
  ].join('\n');
}
