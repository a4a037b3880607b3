// What a machine reports: block statistics with the device's refusals folded in, each vCPU's
// state, exits, stall, BQL wait and hold, halted time and interrupt delivery, the main loop's
// BQL times; and at the end of a run, fio-like per-job reports.

import type { BlockStats } from '../block/block-stats.ts';
import { Histogram, type LatencySummary } from '../shared/stats/histogram.ts';
import type { Control } from '../shared/layout/layout.ts';
import { stateNames } from '../shared/layout/layout-region.ts';
import {
  VCPU_COUNTERS,
  vcpuCounter,
  vcpuHistogram,
  VcpuState,
  type VcpuCounter,
} from '../shared/machine/vcpu-layout.ts';

// The run's report is environment-neutral (the benchmark's results carry it); machine.ts takes it
// from here.

export type VcpuStateName = 'stopped' | 'running' | 'in-exit' | 'halted';
const STATE_NAMES = stateNames(VcpuState) as VcpuStateName[];

export interface VcpuStats {
  vcpu: number;
  state: VcpuStateName;
  /** The guest job it runs (or ran last), e.g. "randread 4096 x 32". */
  job: string | null;
  /** Threads this vCPU has had (a restart makes a new one). */
  generation: number;
  counters: Record<VcpuCounter, number>;
  /** Requests of its queue the device has not answered yet. */
  inflight: number;
  /** µs: time in the doorbell's exit path, BQL wait and hold, halted, interrupt delivery. */
  stall: LatencySummary;
  bqlWait: LatencySummary;
  bqlHold: LatencySummary;
  halted: LatencySummary;
  irqDelivery: LatencySummary;
}

export interface MachineStats extends BlockStats {
  vcpus: VcpuStats[];
  /** The main loop's BQL wait and hold (µs). */
  bql: { wait: LatencySummary; hold: LatencySummary };
  /** Requests completed per completion-BH run. */
  completion_batch: LatencySummary;
}

/** What the page knows of a vCPU thread: a toy guest's (app/machine/vcpu.ts) or v86's. */
export interface VcpuIdentity {
  readonly index: number;
  readonly generation: number;
  /** What it runs, e.g. "randread 4096 x 32", "Linux (v86)"; null before it ran anything. */
  readonly jobLabel: string | null;
}

export interface MainBqlTimes {
  wait: Histogram;
  hold: Histogram;
}

export function machineStats(
  ctl: Control,
  base: BlockStats,
  bql: MainBqlTimes,
  completionBatch: Histogram,
  vcpus: readonly VcpuIdentity[],
): MachineStats {
  const { i32, L } = ctl;
  const vs = vcpus.map((v): VcpuStats => {
    const i = v.index;
    const counters = Object.fromEntries(
      VCPU_COUNTERS.map((name) => [name, Atomics.load(i32, vcpuCounter(ctl, i, name))]),
    ) as Record<VcpuCounter, number>;
    return {
      vcpu: i,
      state: STATE_NAMES[Atomics.load(i32, L.vcpu.state.at(i))] ?? 'stopped',
      job: v.jobLabel,
      generation: v.generation,
      counters,
      inflight: Atomics.load(i32, L.vcpu.qInflight.at(i)),
      stall: vcpuHistogram(ctl, i, 'stall').summary(),
      bqlWait: vcpuHistogram(ctl, i, 'bqlWait').summary(),
      bqlHold: vcpuHistogram(ctl, i, 'bqlHold').summary(),
      halted: vcpuHistogram(ctl, i, 'halted').summary(),
      irqDelivery: vcpuHistogram(ctl, i, 'irqDelivery').summary(),
    };
  });
  const sum = (name: VcpuCounter) => vs.reduce((n, v) => n + v.counters[name], 0);
  return {
    ...base,
    invalid_rd_operations: base.invalid_rd_operations + sum('invalidRd'),
    invalid_wr_operations: base.invalid_wr_operations + sum('invalidWr'),
    invalid_flush_operations: base.invalid_flush_operations + sum('invalidFlush'),
    invalid_unmap_operations: base.invalid_unmap_operations + sum('invalidUnmap'),
    vcpus: vs,
    bql: { wait: bql.wait.summary(), hold: bql.hold.summary() },
    completion_batch: completionBatch.summary(),
  };
}
