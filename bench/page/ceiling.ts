// The `ceiling` scenario: steady's work done the plain way — N dedicated workers, one per
// operation, each keeping `iodepth` idb-keyval calls in flight on its region of an image of the
// same layout, all at once. The physical limit the emulator's `steady` figures are measured
// against.

import { nowMs } from '../../app/shared/clock.ts';
import type { IoJob } from '../shared/bench-contracts.ts';
import { deleteIfPresent, freshImage, freshImageName, sweepImages } from './bench-images.ts';
import { CeilingWorkers } from './ceiling-workers.ts';
import { progress } from '../shared/progress.ts';
import {
  checkSteadyParams,
  steadyLanes,
  type CeilingResult,
  type SteadyParams,
} from '../shared/steady-params.ts';

const PREFIX = 'bench-ceiling-';

export async function runCeiling(input: Partial<SteadyParams> = {}): Promise<CeilingResult> {
  const params = checkSteadyParams(input, 'ceiling');
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  await sweepImages(PREFIX);
  const image = freshImageName(PREFIX, 'idb');
  await freshImage(image, params.imageBytes, params.chunkSize);
  const workers = new CeilingWorkers(params.vcpus);
  try {
    await workers.open(image, params.chunkSize);
    progress(`ceiling: prefilling ${params.imageBytes >> 20} MiB (untimed)`);
    const prefillMs = await workers.call(workers.apis[0].prefill(params.imageBytes, params.seed));
    const cases: CeilingResult['cases'] = [];
    for (const iodepth of params.iodepth) {
      const lanes = steadyLanes(params, iodepth);
      progress(
        `ceiling iodepth ${iodepth}: ${lanes.map((l) => l.name).join(', ')} at once, ` +
          `${params.warmupMs} ms warm-up, ${params.runtimeMs} ms timed`,
      );
      const results = await workers.call(
        Promise.all(
          lanes.map((lane) => {
            const job: IoJob = {
              op: lane.op,
              pattern: lane.pattern,
              bs: lane.bs,
              iodepth,
              regionOffset: lane.regionOffset,
              regionBytes: lane.regionBytes,
              runtimeMs: params.runtimeMs,
              warmupMs: params.warmupMs,
              seed: params.seed + lane.index,
            };
            return workers.apis[lane.index].run(job);
          }),
        ),
      );
      cases.push({ iodepth, lanes: lanes.map((lane, i) => ({ ...lane, result: results[i] })) });
      progress(
        `ceiling iodepth ${iodepth}: ` +
          lanes.map((l, i) => `${l.name} ${results[i].iops.toFixed(0)} IOPS`).join(', '),
      );
    }
    return {
      scenario: 'ceiling',
      params,
      image,
      worker: `idb-keyval in ${params.vcpus} dedicated workers, one per operation`,
      prefillMs,
      startedAt,
      elapsedMs: nowMs() - t0,
      cases,
    };
  } finally {
    await workers.close();
    await deleteIfPresent(image).catch((e: unknown) => console.warn(`bench: ${String(e)}`));
  }
}
