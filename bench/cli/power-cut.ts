// The `power-cut` scenario: campaigns of crashes or power cuts (scripts/power-cut.ts) on WebAIO's
// cache modes, each on a browser profile of its own, and a table of what every restart found. It runs in Node beside the bench's page (it needs its own
// browsers, on lazyfs for power cuts). See docs/durability.md.

import { CUT_PATTERNS, type CutPattern } from '../../scripts/cut-writers.ts';
import { lazyfsMissing } from '../../scripts/lazyfs.ts';
import { badSectors, runCuts, type CutKind, type CutsResult } from '../../scripts/power-cut.ts';
import { ParamChecker } from '../shared/check.ts';
import { markdownTable } from './report.ts';

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
  const rows = r.results.map((x) => {
    const sum = (f: (c: CutsResult['cuts'][number]) => number) =>
      x.cuts.reduce((n, c) => n + f(c), 0);
    return [
      x.pattern,
      String(x.cuts.length),
      String(x.cutsWithLoss),
      String(sum((c) => c.flushedBatches)),
      String(sum((c) => c.checked)),
      String(sum((c) => c.lost)),
      String(sum((c) => c.torn)),
      String(sum((c) => c.misplaced)),
      String(sum((c) => c.phantom)),
      x.cuts.map(badSectors).join(' '),
    ];
  });
  const head = [
    'pattern',
    r.params.cut === 'power' ? 'power cuts' : 'kills',
    'cuts with loss',
    'flushed batches',
    'sectors checked',
    'lost',
    'torn',
    'misplaced',
    'phantom',
    'bad sectors per cut',
  ];
  return [
    `power-cut (${r.params.cut}, seed ${r.params.seed}, ${(r.elapsedMs / 1000).toFixed(0)} s): ` +
      'a cut "with loss" left a sector that a completed flush covered older than acknowledged, ' +
      "torn, holding another sector's data, or holding data never written there",
    markdownTable(head, rows, 1),
  ].join('\n');
}
