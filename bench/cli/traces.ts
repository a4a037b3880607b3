// `--trace DIR`: each cold-burst run's trace as a Chrome trace-event JSON file of its own
// (Perfetto UI, chrome://tracing), so that the JSON report keeps only the figures.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ColdBurstRun } from '../shared/cold-burst-params.ts';
import { chromeTrace } from '../../app/shared/trace/chrome-trace.ts';

/** One file per run: cold-burst-<trial>-<kick>-<variant>.json. */
export function writeTraces(
  dir: string,
  runs: readonly ColdBurstRun[],
  log: (message: string) => void,
): void {
  mkdirSync(dir, { recursive: true });
  for (const run of runs) {
    if (!run.trace) continue;
    const file = join(resolve(dir), `cold-burst-${run.trial}-${run.kick}-${run.variant}.json`);
    writeFileSync(file, JSON.stringify(chromeTrace([run.trace])));
    const t = run.trace;
    log(
      `trace ${file}: ${t.slices.length} vCPU slices, ${t.bhRuns.length} BH runs, ` +
        `${t.requests.length} requests, ${t.spawns.length} workers, ${t.pool.length} pool events` +
        (t.dropped ? `, ${t.dropped} dropped` : ''),
    );
  }
}
