import { describe, expect, it } from 'vitest';
import type { SpawnRecord } from '../shared/pool/spawn-records.ts';
import type { MachineTrace } from '../shared/trace/trace.ts';
import { PoolTraceKind, VcpuTraceKind } from '../shared/trace/trace-ring.ts';
import { Mmio } from '../shared/virtio/virtio.ts';
import { MAIN_LANE, timelineData, vcpuLane, workerLane } from './timeline-data.ts';

const T0 = 1_700_000_000_000;
const worker = (seq: number, creator: string, tCreated: number): SpawnRecord => ({
  seq,
  state: 'idle',
  creator,
  slot: -1,
  served: 1,
  tRequested: T0 + 1,
  tCreated: T0 + tCreated,
  tReady: T0 + tCreated + 30,
  tFirstRequest: T0 + tCreated + 35,
  tExited: 0,
});

function trace(): MachineTrace {
  return {
    label: 'inline, kick batch, trial 1',
    policy: 'inline',
    vcpus: 2,
    tStart: T0,
    tEnd: T0 + 100,
    tOrigin: T0 + 1,
    slices: [
      {
        vcpu: 0,
        kind: VcpuTraceKind.EXIT,
        reg: Mmio.QUEUE_NOTIFY,
        requests: 2,
        t0: T0 + 1,
        t1: T0 + 1.5,
        t2: T0 + 20,
      },
      {
        vcpu: 1,
        kind: VcpuTraceKind.HALT,
        reg: 0,
        requests: 0,
        t0: T0 + 2,
        t1: T0 + 40,
        t2: T0 + 40,
      },
    ],
    bhRuns: [{ name: 'completion_bh', t0: T0 + 60, t1: T0 + 61 }],
    requests: [
      {
        vcpu: 0,
        tag: 0,
        op: 'read',
        nbytes: 4096,
        worker: 7,
        ret: 4096,
        tSubmit: T0 + 19,
        tStart: T0 + 36,
        tDone: T0 + 58,
        tComplete: T0 + 60,
      },
    ],
    pool: [
      { kind: PoolTraceKind.READY, worker: 7, cur: 2, idle: 0, backlog: 0, pending: 1, t: T0 + 33 },
      { kind: PoolTraceKind.IDLE, worker: 8, cur: 2, idle: 1, backlog: 0, pending: 0, t: T0 + 50 },
    ],
    spawns: [worker(7, 'vcpu0', 5), worker(8, 'vcpu0', 10)],
    dropped: 0,
  };
}

describe('timeline', () => {
  it('timeline/lanes: every vCPU, the main thread, and every worker that existed, with its creator', () => {
    const d = timelineData(trace());
    expect(d.lanes).toEqual([
      vcpuLane(0),
      vcpuLane(1),
      MAIN_LANE,
      workerLane(7, 'vcpu0'),
      workerLane(8, 'vcpu0'),
    ]);
    expect(d.lanes[3]).toBe('aio-7 (by vcpu0)');
  });

  it('timeline/stretches: an exit split into BQL wait and hold, serving and idle on the worker, ms from the origin', () => {
    const d = timelineData(trace());
    const of = (lane: string) =>
      d.stretches.filter((s) => s.lane === lane).map((s) => [s.state, s.x1, s.x2]);
    expect(of('vCPU 0')).toEqual([
      ['running', -1, 99],
      ['BQL wait', 0, 0.5],
      ['in exit, BQL held', 0.5, 19],
    ]);
    expect(of('aio-7 (by vcpu0)')).toEqual([
      ['requested', 0, 4],
      ['being created', 4, 34],
      ['serving', 35, 57],
    ]);
    expect(of('aio-8 (by vcpu0)').map((s) => s[0])).toEqual(['requested', 'being created', 'idle']);
    expect(d.counters.filter((c) => c.counter === 'idle').map((c) => c.value)).toEqual([0, 1]);
  });

  it("timeline/workers: started is cur less those owed; one point per stamp, the last event's", () => {
    const t = trace();
    t.pool.push(
      { kind: PoolTraceKind.SPAWN, worker: 9, cur: 3, idle: 1, backlog: 1, pending: 0, t: T0 + 70 },
      {
        kind: PoolTraceKind.CREATE,
        worker: 9,
        cur: 3,
        idle: 1,
        backlog: 0,
        pending: 1,
        t: T0 + 70,
      },
    );
    expect(timelineData(t).workers).toEqual([
      { x: 32, started: 1, owed: 1 },
      { x: 49, started: 2, owed: 0 },
      { x: 69, started: 2, owed: 1 },
    ]);
  });
});
