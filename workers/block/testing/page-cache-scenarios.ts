// Page-cache scenarios for real threads (app/shared/testing/threads.ts runs them): each posts
// exactly one result and returns.

import { parentPort, workerData } from 'node:worker_threads';
import { attachControl } from '../../../app/shared/layout/layout.ts';
import { PageCache } from '../page-cache.ts';

interface Data {
  scenario: string;
  sab: SharedArrayBuffer;
  memory: SharedArrayBuffer;
  args: Record<string, number>;
}
const { scenario, sab, memory, args } = workerData as Data;

/** The chunks named by args c0, c1, … (`n` of them), in that order. */
const chunksOf = (a: Record<string, number>) => Array.from({ length: a.n }, (_, k) => a[`c${k}`]);

const scenariosByName: Record<string, () => unknown> = {
  /** Pin the chunks (a batch's), then give the pins back; report the chunks pinned. */
  'pin-release'() {
    const cache = new PageCache(attachControl(sab), memory, args.chunkSize);
    const pinned = cache.pin(chunksOf(args));
    cache.release(pinned);
    return pinned.map((p) => p.chunk);
  },
};

const run = scenariosByName[scenario];
if (!run) throw new Error(`no page-cache scenario ${scenario}`);
parentPort?.postMessage(run());
