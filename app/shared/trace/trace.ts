// A machine's trace over a window: every vCPU exit and halt, every bottom-half run, every
// request's phases, every change of the pool's counters and every worker's life, on one clock
// (stamps: timeOrigin + now, ms). Gathered on the page without a message per event
// (app/machine/trace-recorder.ts); drawn by the page's timeline, written out as Chrome trace-event JSON.

import type { SpawnRecord } from '../pool/spawn-records.ts';
import type { PoolTraceKind, VcpuTraceKind } from './trace-ring.ts';

export interface VcpuSlice {
  vcpu: number;
  kind: VcpuTraceKind;
  /** The register of an exit (Mmio), 0 for a halt. */
  reg: number;
  /** Requests a doorbell exit took off the avail ring. */
  requests: number;
  /** Start; BQL taken (a halt's end); BQL dropped. */
  t0: number;
  t1: number;
  t2: number;
}

export interface BhRun {
  name: string;
  t0: number;
  t1: number;
}

/** One request the pool served, as the completion BH saw it. */
export interface RequestTrace {
  /** vCPU index (-1: the direct block API) and its descriptor head. */
  vcpu: number;
  tag: number;
  op: string;
  nbytes: number;
  /** Spawn number of the worker that served it (-1: none, e.g. cancelled). */
  worker: number;
  ret: number;
  tSubmit: number;
  tStart: number;
  tDone: number;
  tComplete: number;
}

export interface PoolEvent {
  kind: PoolTraceKind;
  /** Spawn number of the worker concerned. */
  worker: number;
  cur: number;
  idle: number;
  backlog: number;
  pending: number;
  t: number;
}

export interface MachineTrace {
  /** What ran, e.g. "bh, kick batch, trial 1". */
  label: string;
  policy: string;
  vcpus: number;
  /** The window (stamps), and the burst's first submission (0: none) to align traces on. */
  tStart: number;
  tEnd: number;
  tOrigin: number;
  slices: VcpuSlice[];
  bhRuns: BhRun[];
  requests: RequestTrace[];
  pool: PoolEvent[];
  /** Workers asked for before the window ended, oldest first. */
  spawns: SpawnRecord[];
  /** Ring entries overwritten before the recorder read them (0 in a short run). */
  dropped: number;
}
