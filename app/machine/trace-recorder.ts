// Records a machine's trace (app/shared/trace/trace.ts) without a message per event: it drains the
// vCPUs' and the pool's trace rings from shared memory every few tens of ms, and listens on the
// main thread to the main loop's bottom-half runs and the completion BH's requests.

import type { BlockBackend } from '../block/block-backend.ts';
import type { MainLoop } from './main-loop.ts';
import { BLOCK_OP_NAMES, type BlockOp } from '../shared/block/block.ts';
import { stampMs } from '../shared/sync/clock.ts';
import type { Control } from '../shared/layout/layout.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import { spawnRecords } from '../shared/pool/spawn-records.ts';
import type {
  BhRun,
  MachineTrace,
  PoolEvent,
  RequestTrace,
  VcpuSlice,
} from '../shared/trace/trace.ts';
import {
  poolTraceReader,
  vcpuTraceReader,
  type PoolTraceEvent,
  type RingReader,
  type VcpuTraceEvent,
} from '../shared/trace/trace-ring.ts';

/** What a trace is recorded of: a toy machine (app/machine/machine.ts) or a Linux one (app/linux/). */
export interface Traceable {
  readonly image: string;
  readonly ctl: Control;
  readonly loop: MainLoop;
  readonly disk: BlockBackend;
  readonly vcpus: readonly { readonly index: number }[];
  readonly poolConfig: Readonly<{ policy: string }>;
}

/** How often the rings are drained: a ring holds seconds of events, this is far more often. */
const DRAIN_MS = 50;

export class TraceRecorder {
  private readonly m: Traceable;
  private readonly ctl: Control;
  private readonly tStart = stampMs();
  private readonly vcpuRings: RingReader<VcpuTraceEvent>[];
  private readonly poolRing: RingReader<PoolTraceEvent>;
  private readonly slices: VcpuSlice[] = [];
  private readonly bhRuns: BhRun[] = [];
  private readonly requests: RequestTrace[] = [];
  private readonly pool: PoolEvent[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private stopped: MachineTrace | undefined;

  /** Start recording `m` now. */
  constructor(m: Traceable) {
    this.m = m;
    this.ctl = m.ctl;
    this.vcpuRings = m.vcpus.map((v) => vcpuTraceReader(this.ctl, v.index));
    this.poolRing = poolTraceReader(this.ctl);
    m.loop.onRun = (name, t0, t1) => this.bhRuns.push({ name, t0, t1 });
    m.disk.onTrace = (slot, tComplete) => this.request(slot, tComplete);
    this.timer = setInterval(() => this.drain(), DRAIN_MS);
  }

  private seqOf(record: number): number {
    return record < 0 ? -1 : Atomics.load(this.ctl.i32, this.ctl.L.record.seq.at(record));
  }

  private request(slot: number, tComplete: number): void {
    const { i32, f64, L } = this.ctl;
    const S = L.slot;
    const client = i32[S.client.at(slot)];
    this.requests.push({
      vcpu: client - threadIdOfVcpu(0),
      tag: i32[S.tag.at(slot)],
      op: BLOCK_OP_NAMES[i32[S.op.at(slot)] as BlockOp] ?? 'unknown',
      nbytes: f64[S.nbytes.at(slot)],
      worker: this.seqOf(Atomics.load(i32, S.worker.at(slot))),
      ret: Atomics.load(i32, S.ret.at(slot)),
      tSubmit: f64[S.tSubmit.at(slot)],
      tStart: f64[S.tStart.at(slot)],
      tDone: f64[S.tDone.at(slot)],
      tComplete,
    });
  }

  private drain(): void {
    for (const ring of this.vcpuRings) {
      for (const e of ring.drain()) {
        this.slices.push({
          vcpu: e.vcpu,
          kind: e.kind,
          reg: e.arg,
          requests: e.count,
          t0: e.t0,
          t1: e.t1,
          t2: e.t2,
        });
      }
    }
    for (const e of this.poolRing.drain()) {
      const { record, ...rest } = e;
      this.pool.push({ ...rest, worker: this.seqOf(record) });
    }
  }

  /** Stop and return the trace; `tOrigin` is the stamp its timeline is drawn from (default:
   *  the start of the recording). */
  stop(label = `${this.m.image}, ${this.m.poolConfig.policy}`, tOrigin = 0): MachineTrace {
    if (this.stopped) return this.stopped;
    clearInterval(this.timer);
    this.drain();
    this.m.loop.onRun = undefined;
    this.m.disk.onTrace = undefined;
    const tEnd = stampMs();
    const dropped = this.vcpuRings.reduce((n, r) => n + r.dropped, this.poolRing.dropped);
    this.stopped = {
      label,
      policy: this.m.poolConfig.policy,
      vcpus: this.m.vcpus.length,
      tStart: this.tStart,
      tEnd,
      tOrigin: tOrigin || this.tStart,
      slices: this.slices.sort((a, b) => a.t0 - b.t0),
      bhRuns: this.bhRuns,
      requests: this.requests,
      pool: this.pool,
      spawns: spawnRecords(this.ctl).filter((w) => w.tRequested >= this.tStart),
      dropped,
    };
    return this.stopped;
  }
}
