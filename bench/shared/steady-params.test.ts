// The steady and ceiling scenarios' parameters: each scenario's defaults, the AIO modes, mixes
// and batch sizes checked with messages that name the value, and the runs of a mix.

import { describe, expect, it } from 'vitest';
import {
  aioConfigOf,
  CEILING_BATCH_DEFAULT,
  checkSteadyParams,
  runsOf,
  steadyLanes,
} from './steady-params.ts';
import { DEFAULT_AIO_CONFIG, FAITHFUL_AIO_CONFIG } from '../../app/shared/block/aio-config.ts';

describe('steady params', () => {
  it('bench/steady-defaults-per-scenario', () => {
    const steady = checkSteadyParams({}, 'steady');
    expect(steady).toMatchObject({
      aio: ['batched', 'faithful', 'cached'],
      mixes: ['all', 'alone'],
      cachedFlushEvery: 1000,
      batch: [1],
      iodepth: [32],
      vcpus: 4,
    });
    expect(checkSteadyParams({}, 'ceiling').batch).toEqual([1]);
    expect(checkSteadyParams({}, 'ceiling-batched').batch).toEqual(CEILING_BATCH_DEFAULT);
    expect(checkSteadyParams({ batch: [8, 32, 8] }, 'ceiling-batched').batch).toEqual([8, 32]);
  });

  it('bench/steady-aio-modes', () => {
    expect(aioConfigOf('faithful')).toEqual(FAITHFUL_AIO_CONFIG);
    expect(aioConfigOf('cached')).toEqual(DEFAULT_AIO_CONFIG);
    expect(aioConfigOf('batched')).toEqual({ ...DEFAULT_AIO_CONFIG, pageCache: false });
  });

  it.each([
    [
      { aio: ['fast'] },
      'steady',
      'bench steady: aio "fast" is not one of batched, faithful, cached',
    ],
    [{ mixes: ['some'] }, 'steady', 'bench steady: mix "some" is not one of all, alone'],
    [{ mixes: [] }, 'ceiling', 'bench ceiling: mixes [] is not a non-empty list'],
    [
      { batch: [8] },
      'ceiling',
      'bench ceiling: batch 8: ceiling runs one request per transaction (ceiling-batched takes batch)',
    ],
    [
      { batch: [1] },
      'ceiling-batched',
      'bench ceiling-batched: batch 1 is not an integer from 2 to 64',
    ],
    [
      { batch: [128] },
      'ceiling-batched',
      'bench ceiling-batched: batch 128 is not an integer from 2 to 64',
    ],
    [
      { cachedFlushEvery: 0 },
      'steady',
      'bench steady: cachedFlushEvery 0 is not an integer from 1 to 1000000',
    ],
    [{ vcpus: 1 }, 'steady', 'aio mode cached runs the random writes (the 2nd operation)'],
    [{ flushEvery: 10 }, 'steady', 'bench steady: unknown parameter "flushEvery"'],
  ] as const)('bench/steady-refuses %j (%s)', (input, scenario, message) => {
    expect(() => checkSteadyParams(input, scenario)).toThrow(message);
  });

  it('bench/steady-one-vcpu-without-cached', () => {
    expect(checkSteadyParams({ vcpus: 1, aio: ['batched'] }).vcpus).toBe(1);
  });

  it('bench/steady-runs-of-a-mix', () => {
    const p = checkSteadyParams({ vcpus: 6 });
    const lanes = steadyLanes(p, 32);
    expect(lanes.map((l) => l.name)).toEqual([
      'randread',
      'randwrite',
      'seqread',
      'seqwrite',
      'randread',
      'randwrite',
    ]);
    const all = runsOf(lanes, 'all');
    expect(all).toHaveLength(1);
    expect(all[0]).toHaveLength(6);
    // Alone: each operation once, on its own region (the first worker doing it).
    const alone = runsOf(lanes, 'alone');
    expect(alone.map((run) => run.map((l) => [l.name, l.index]))).toEqual([
      [['randread', 0]],
      [['randwrite', 1]],
      [['seqread', 2]],
      [['seqwrite', 3]],
    ]);
    expect(runsOf(steadyLanes(checkSteadyParams({ vcpus: 2 }), 32), 'alone')).toHaveLength(2);
  });
});
