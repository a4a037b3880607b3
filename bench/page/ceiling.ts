// The `ceiling` and `ceiling-batched` scenarios: steady's work done the plain way — N dedicated
// workers, one per operation, each keeping `iodepth` idb-keyval calls in flight on its region of
// an image of the same layout, all at once or each operation alone; one request per transaction
// (`ceiling`), or up to `batch` of them (`ceiling-batched`). The physical limits the emulator's
// `steady` figures are measured against.

import { nowMs } from '../../app/shared/sync/clock.ts';
import { withFreshImage } from './bench-images.ts';
import { CeilingWorkers } from './ceiling-workers.ts';
import { progress } from '../shared/progress.ts';
import {
  checkSteadyParams,
  runsOf,
  steadyLanes,
  type CeilingCase,
  type CeilingResult,
  type CeilingScenario,
  type SteadyLane,
  type SteadyParams,
} from '../shared/steady-params.ts';

export async function runCeiling(
  input: Partial<SteadyParams> = {},
  scenario: CeilingScenario = 'ceiling',
): Promise<CeilingResult> {
  const params = checkSteadyParams(input, scenario);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  const prefix = `bench-${scenario}-`;
  return withFreshImage(prefix, 'idb', params.imageBytes, params.chunkSize, async (image) => {
    const workers = new CeilingWorkers(params.vcpus);
    try {
      await workers.open(image, params.chunkSize);
      progress(`${scenario}: prefilling ${params.imageBytes >> 20} MiB (untimed)`);
      const prefillMs = await workers.call(workers.apis[0].prefill(params.imageBytes, params.seed));
      const cases: CeilingCase[] = [];
      for (const batch of params.batch) {
        for (const iodepth of params.iodepth) {
          for (const mix of params.mixes) {
            for (const lanes of runsOf(steadyLanes(params, iodepth), mix)) {
              cases.push(
                await ceilingCase(workers, params, scenario, { batch, iodepth, mix }, lanes),
              );
            }
          }
        }
      }
      const per =
        scenario === 'ceiling'
          ? 'one request per transaction'
          : `up to ${params.batch.join(' or ')} requests per transaction`;
      return {
        scenario,
        params,
        image,
        worker: `idb-keyval in ${params.vcpus} dedicated workers, one per operation, ${per}`,
        prefillMs,
        startedAt,
        elapsedMs: nowMs() - t0,
        cases,
      };
    } finally {
      await workers.close();
    }
  });
}

/** One timed run: lane i on worker i, all at once. */
async function ceilingCase(
  workers: CeilingWorkers,
  p: SteadyParams,
  scenario: CeilingScenario,
  c: Omit<CeilingCase, 'lanes'>,
  lanes: readonly SteadyLane[],
): Promise<CeilingCase> {
  const label =
    `${scenario} batch ${c.batch} iodepth ${c.iodepth}: ` +
    `${lanes.map((l) => l.name).join(', ')}${c.mix === 'all' ? ' at once' : ' alone'}`;
  progress(`${label}, ${p.warmupMs} ms warm-up, ${p.runtimeMs} ms timed`);
  const results = await workers.call(
    Promise.all(
      lanes.map((lane) =>
        workers.apis[lane.index].run({
          op: lane.op,
          pattern: lane.pattern,
          bs: lane.bs,
          iodepth: c.iodepth,
          batch: c.batch,
          regionOffset: lane.regionOffset,
          regionBytes: lane.regionBytes,
          runtimeMs: p.runtimeMs,
          warmupMs: p.warmupMs,
          seed: p.seed + lane.index,
        }),
      ),
    ),
  );
  const done = lanes.map(
    (l, i) =>
      `${l.name} ${results[i].iops.toFixed(0)} IOPS (${results[i].transactions} transactions)`,
  );
  progress(`${label}: ${done.join(', ')}`);
  return { ...c, lanes: lanes.map((lane, i) => ({ ...lane, result: results[i] })) };
}
