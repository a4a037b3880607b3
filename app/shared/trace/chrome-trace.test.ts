import { describe, expect, it } from 'vitest';
import { chromeTrace, tidOfVcpu, tidOfWorker, type TraceEvent } from './chrome-trace.ts';
import type { SpawnRecord } from '../pool/spawn-records.ts';
import type { MachineTrace, PoolEvent, RequestTrace, VcpuSlice } from './trace.ts';
import { traceNestingViolations } from './trace-nesting.ts';
import { PoolTraceKind, VcpuTraceKind } from './trace-ring.ts';
import { Mmio } from '../virtio/virtio.ts';

/** A stamp `ms` after an epoch-sized origin with a fraction, as timeOrigin + now() gives. */
const T0 = 1_781_234_567_890.123;
const at = (ms: number) => T0 + ms;

const exit = (vcpu: number, t0: number, t1: number, t2: number, requests = 0): VcpuSlice => ({
  vcpu,
  kind: VcpuTraceKind.EXIT,
  reg: requests ? Mmio.QUEUE_NOTIFY : Mmio.INTERRUPT_STATUS,
  requests,
  t0: at(t0),
  t1: at(t1),
  t2: at(t2),
});
const halt = (vcpu: number, t0: number, t1: number): VcpuSlice => ({
  vcpu,
  kind: VcpuTraceKind.HALT,
  reg: 0,
  requests: 0,
  t0: at(t0),
  t1: at(t1),
  t2: 0,
});
const request = (
  vcpu: number,
  tag: number,
  worker: number,
  [tSubmit, tStart, tDone, tComplete]: number[],
): RequestTrace => ({
  vcpu,
  tag,
  op: 'read',
  nbytes: 4096,
  worker,
  ret: 4096,
  tSubmit: at(tSubmit),
  tStart: tStart ? at(tStart) : 0,
  tDone: at(tDone),
  tComplete: at(tComplete),
});
const spawn = (seq: number, stamps: Partial<SpawnRecord>): SpawnRecord => ({
  seq,
  state: 'idle',
  creator: 'main',
  slot: -1,
  served: 0,
  tRequested: 0,
  tCreated: 0,
  tReady: 0,
  tFirstRequest: 0,
  tExited: 0,
  ...stamps,
});
const pool = (kind: PoolEvent['kind'], worker: number, t: number): PoolEvent => ({
  kind,
  worker,
  cur: 2,
  idle: 0,
  backlog: 0,
  pending: 0,
  t: at(t),
});

/**
 * A cold burst as a page records it (ms after T0): vCPU 0 rings once for four reads and halts,
 * its requests queued from inside the exit's BQL hold and long after; vCPU 1 exits and halts
 * with a read of the same head; a direct read and a cancelled one; new_thread_bh and
 * completion_bh runs on the main thread while requests complete; worker 0 serves a batch whose
 * service times do not nest, and takes the direct read before its submission and wake stamps; worker 1's stamps disagree by a clock step (its idle wait seen
 * before it was ready, its wake after it took a request); worker 2 still in the backlog, worker
 * 3 lost, worker 4 created within a clock step of being asked for.
 */
function coldBurst(label: string): MachineTrace {
  return {
    label,
    policy: 'bh',
    vcpus: 2,
    tStart: at(0),
    tEnd: at(50),
    tOrigin: at(1),
    slices: [
      exit(0, 1, 1.05, 1.85, 4),
      halt(0, 2, 30),
      exit(0, 30.5, 30.5, 30.6, 1),
      exit(1, 5, 5.3, 5.4),
      halt(1, 6, 40),
      exit(1, 40.2, 40.2, 40.2),
    ],
    bhRuns: [
      { name: 'new_thread_bh', t0: at(2.1), t1: at(2.9) },
      { name: 'completion_bh', t0: at(10.05), t1: at(10.2) },
      { name: 'completion_bh', t0: at(12.1), t1: at(12.3) },
      { name: 'completion_bh', t0: at(31), t1: at(31) },
    ],
    requests: [
      request(0, 0, 0, [1.2, 3.0, 10, 10.15]),
      request(0, 1, 0, [1.3, 3.1, 9, 10.1]),
      request(0, 2, 0, [1.4, 3.2, 12, 12.2]),
      request(0, 3, 1, [1.5, 3.04, 11, 12.25]),
      request(1, 0, 1, [5.2, 12.5, 20, 20.5]),
      request(0, 0, 1, [30.55, 30.55, 30.9, 31]),
      request(-1, 9, 0, [13, 12.98, 14, 14.4]),
      request(-1, 10, -1, [15, 0, 16, 16.2]),
    ],
    pool: [
      pool(PoolTraceKind.SPAWN, 0, 1.3),
      pool(PoolTraceKind.SPAWN, 1, 1.4),
      pool(PoolTraceKind.CREATE, 0, 2.2),
      pool(PoolTraceKind.CREATE, 1, 2.25),
      pool(PoolTraceKind.READY, 0, 2.8),
      pool(PoolTraceKind.IDLE, 1, 2.85),
      pool(PoolTraceKind.READY, 1, 2.9),
      pool(PoolTraceKind.WAKE, 1, 3.05),
      pool(PoolTraceKind.READY, 4, 4),
      pool(PoolTraceKind.IDLE, 4, 4),
      pool(PoolTraceKind.IDLE, 0, 12.01),
      pool(PoolTraceKind.WAKE, 0, 13.4),
      pool(PoolTraceKind.IDLE, 0, 14),
      pool(PoolTraceKind.IDLE, 1, 11),
      pool(PoolTraceKind.WAKE, 1, 12.45),
      pool(PoolTraceKind.IDLE, 1, 20),
      pool(PoolTraceKind.WAKE, 1, 30.5),
      pool(PoolTraceKind.IDLE, 1, 31),
      pool(PoolTraceKind.SPAWN, 2, 45),
    ],
    spawns: [
      spawn(0, { tRequested: at(1.3), tCreated: at(2.2), tReady: at(2.8), served: 4 }),
      spawn(1, { tRequested: at(1.4), tCreated: at(2.25), tReady: at(2.9), served: 3 }),
      spawn(2, { tRequested: at(45), state: 'backlog', creator: null }),
      spawn(3, { tRequested: at(0.5), tExited: at(0.7), state: 'lost', creator: null }),
      // Created by vCPU 0 in its exit within the clock's step of being asked for.
      spawn(4, { tRequested: at(1.6), tCreated: at(1.6), tReady: at(4), creator: 'vcpu0' }),
    ],
    dropped: 0,
  };
}

const file = chromeTrace([coldBurst('bh, trial 1'), coldBurst('inline, trial 1')]);
const ev = file.traceEvents;
const on = (pid: number, tid: number) => ev.filter((e) => e.pid === pid && e.tid === tid);
const names = (list: TraceEvent[]) => list.filter((e) => e.ph === 'X').map((e) => e.name);

describe('Chrome trace', () => {
  it('chrome-trace/nests: two cold bursts in one file draw as recorded — no breach', () => {
    expect(traceNestingViolations(file)).toEqual([]);
  });

  it('chrome-trace/requests: each request is one async tree, its id unique in the file', () => {
    const roots = ev.filter((e) => e.ph === 'b' && !/^(queued|served|completed) /.test(e.name));
    const perTrace = ['read vcpu0', 'read vcpu0', 'read vcpu0', 'read vcpu0', 'read vcpu1'];
    perTrace.push('read vcpu0', 'read direct', 'read direct');
    expect(roots.map((e) => e.name)).toEqual([...perTrace, ...perTrace]);
    expect(new Set(roots.map((e) => e.id2?.local)).size).toBe(16);
    for (const e of ev.filter((x) => x.ph === 'b' || x.ph === 'e')) {
      expect(e.cat, e.name).toBe('request');
    }
    // vCPU 0's head 0, the first time: its phases, in order, inside its root.
    const tree = ev.filter((e) => e.pid === 1 && e.id2?.local === roots[0].id2?.local);
    expect(tree.map((e) => `${e.ph} ${e.name} ${e.ts - tree[0].ts}`)).toEqual([
      'b read vcpu0 0',
      'b queued #0 0',
      'e queued #0 1800',
      'b served #0 by aio-0 1800',
      'e served #0 by aio-0 8800',
      'b completed #0 8800',
      'e completed #0 8950',
      'e read vcpu0 8950',
    ]);
    // Taken by its worker a clock step before it was submitted: queued for 0 µs.
    const direct = ev.filter((e) => e.pid === 1 && / #9( |$)/.test(e.name));
    expect(direct.map((e) => `${e.ph} ${e.name} ${e.ts - direct[0].ts}`)).toEqual([
      'b queued #9 0',
      'e queued #9 0',
      'b served #9 by aio-0 0',
      'e served #9 by aio-0 1000',
      'b completed #9 1000',
      'e completed #9 1400',
    ]);
    // The cancelled one was never served.
    const cancelled = ev.filter((e) => e.ph === 'b' && e.name.endsWith('#10'));
    expect(cancelled.map((e) => e.name)).toEqual([
      'queued #10',
      'completed #10',
      'queued #10',
      'completed #10',
    ]);
  });

  it('chrome-trace/threads: exits hold their BQL wait and hold; workers show stages, serving, idle', () => {
    expect(names(on(1, tidOfVcpu(0)))).toEqual([
      'exit QUEUE_NOTIFY (4 requests)',
      'BQL wait',
      'BQL held',
      'halted',
      // No wait: no BQL wait slice, the hold as long as the exit.
      'exit QUEUE_NOTIFY (1 requests)',
      'BQL held',
    ]);
    // An exit of 0 µs still happened.
    expect(names(on(1, tidOfVcpu(1)))).toEqual([
      'exit INTERRUPT_STATUS',
      'BQL wait',
      'BQL held',
      'halted',
      'exit INTERRUPT_STATUS',
    ]);
    // Worker 1: idle seen before ready starts when ready ends; its serving, taken before its
    // wake was stamped, starts when the idle wait ends.
    const w1 = on(1, tidOfWorker(1)).filter((e) => e.ph === 'X');
    expect(w1.map((e) => [e.name, e.ts - w1[0].ts, e.dur])).toEqual([
      ['requested (backlog)', 0, 850],
      ['created, not running yet', 850, 650],
      ['idle', 1500, 150],
      ['serving', 1650, 7950],
      ['idle', 9600, 1450],
      ['serving', 11100, 7500],
      ['idle', 18600, 10500],
      ['serving', 29150, 350],
      ['idle', 29600, 19000],
    ]);
    // Worker 0's batch of three is one stretch; the direct read another, from its wake.
    const w0 = on(1, tidOfWorker(0)).filter((e) => e.name === 'serving');
    expect(w0.map((e) => [e.dur, e.args?.requests])).toEqual([
      [9000, 3],
      [600, 1],
    ]);
    // A stage of 0 µs stays: it happened.
    const w4 = on(1, tidOfWorker(4)).filter((e) => e.ph === 'X');
    expect(w4.map((e) => [e.name, e.dur])).toEqual([
      ['requested (backlog)', 0],
      ['created, not running yet', 2400],
      ['idle', 46000],
    ]);
    expect(names(on(1, tidOfWorker(2)))).toEqual(['requested (backlog)']);
    expect(names(on(1, tidOfWorker(3)))).toEqual(['requested (backlog)']);
    expect(on(1, tidOfWorker(3)).some((e) => e.ph === 'i' && e.name === 'exited (lost)')).toBe(
      true,
    );
  });

  it('chrome-trace/whole-us: every time is whole µs, so Perfetto converts it to ns exactly', () => {
    for (const e of ev) {
      expect(Number.isInteger(e.ts) && Number.isInteger(e.dur ?? 0), e.name).toBe(true);
    }
  });
});
