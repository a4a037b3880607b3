// Each vCPU's words: its run state, interrupt line and stop request, its virtqueue's registers,
// its device counters and histograms, and its trace ring. vCPU i's element of every field is i.

import { Histogram, HISTOGRAM_BUCKETS, HISTOGRAM_STATS } from '../stats/histogram.ts';
import { field, segmentField, type Cursor } from '../layout/layout-region.ts';

export const MAX_VCPUS = 16;

/** Events each vCPU's trace ring holds (its exits and halts); the page drains them while it
 *  records a trace, and the oldest are overwritten. */
export const VCPU_TRACE_EVENTS = 4096;

/** vCPU run states, written by the vCPU itself. */
export const VcpuState = {
  /** Not started, or stopped (its thread has exited). */
  STOPPED: 0,
  /** Running guest code. */
  RUNNING: 1,
  /** In an MMIO exit: device emulation on this thread, under the BQL. */
  IN_EXIT: 2,
  /** Halted, waiting for its interrupt (Atomics.waitAsync: its event loop keeps turning). */
  HALTED: 3,
} as const;
export type VcpuState = (typeof VcpuState)[keyof typeof VcpuState];

/** Per-vCPU histograms (µs), in this order, each written only by its vCPU. */
export const VCPU_HISTOGRAMS = [
  'stall',
  'bqlWait',
  'bqlHold',
  'halted',
  'irqDelivery',
  /** Requests the device took off the avail ring per doorbell exit (a count, not µs). */
  'exitRequests',
] as const;
export type VcpuHistogram = (typeof VCPU_HISTOGRAMS)[number];

/** Per-vCPU device counters, in this order, each written only by its vCPU. */
export const VCPU_COUNTERS = [
  /** Doorbell writes (QUEUE_NOTIFY exits). */
  'exits',
  /** Requests the device took off the avail ring in those exits (cf. virtqueue_pop). */
  'popped',
  /** Times the re-check after re-enabling notifications found more requests to drain. */
  'rechecks',
  /** Requests handed to the block layer. */
  'submitted',
  /** Requests refused by the device, by accounting type (read, write, flush, unmap), and
   *  those of unknown type. */
  'invalidRd',
  'invalidWr',
  'invalidFlush',
  'invalidUnmap',
  'unsupported',
  /** Descriptor chains too broken to carry a status byte. */
  'broken',
  /** The guest's own progress, published by its vCPU for the page (a window into the guest,
   *  not a device): requests it saw complete, sectors it verified, verify failures. */
  'guestIos',
  'verifyChecked',
  'verifyErrors',
] as const;
export type VcpuCounter = (typeof VCPU_COUNTERS)[number];

export function vcpuRegion(c: Cursor, nvcpus: number) {
  const V = nvcpus;
  return {
    /** VcpuState, by the vCPU. */
    state: field(c.i32(V)),
    /** Interrupt line: set to 1 (and notified) under the BQL by whoever completes a request,
     *  cleared by the vCPU's INTERRUPT_ACK. The vCPU halts waiting on it. */
    irq: field(c.i32(V)),
    /** Stop request: set by the page (then it notifies `irq`), read by the vCPU at safe points. */
    stop: field(c.i32(V)),
    /** When `irq` was last raised (stamp), by the raiser. */
    tIrqRaised: field(c.f64(V)),
    /** The queue's registers (virtio-mmio QueueNum, QueueDesc, QueueAvail, QueueUsed,
     *  QueueReady), written by the vCPU's device emulation under the BQL. */
    qNum: field(c.i32(V)),
    qDesc: field(c.i32(V)),
    qAvail: field(c.i32(V)),
    qUsed: field(c.i32(V)),
    qReady: field(c.i32(V)),
    /** Next avail entry the device will pop (device-private, the vCPU only). */
    qLastAvail: field(c.i32(V)),
    /** The device's copy of used->idx, under the BQL (main loop or vCPU). */
    qUsedIdx: field(c.i32(V)),
    /** Requests popped and not yet pushed to the used ring, under the BQL. */
    qInflight: field(c.i32(V)),
    counters: field(c.i32(V * VCPU_COUNTERS.length), VCPU_COUNTERS.length),
    /** Histogram counts then stats, VCPU_HISTOGRAMS of them per vCPU. */
    histCounts: field(
      c.i32(V * VCPU_HISTOGRAMS.length * HISTOGRAM_BUCKETS),
      VCPU_HISTOGRAMS.length * HISTOGRAM_BUCKETS,
    ),
    histStats: field(
      c.f64(V * VCPU_HISTOGRAMS.length * HISTOGRAM_STATS),
      VCPU_HISTOGRAMS.length * HISTOGRAM_STATS,
    ),
    // The vCPU's trace ring, written by the vCPU alone: entry n of vCPU i at (i, n %
    // VCPU_TRACE_EVENTS), its fields written before `traceHead` moves past it.
    /** Events written so far. */
    traceHead: field(c.i32(V)),
    /** VcpuTraceKind, and its argument (the register of an exit). */
    traceKind: segmentField(c.i32(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    traceArg: segmentField(c.i32(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    /** Requests the exit took off the avail ring (doorbell exits), else 0. */
    traceCount: segmentField(c.i32(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    /** Stamps: the start; the BQL taken (exits; a halt's end); the BQL dropped (exits). */
    traceT0: segmentField(c.f64(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    traceT1: segmentField(c.f64(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
    traceT2: segmentField(c.f64(V * VCPU_TRACE_EVENTS), VCPU_TRACE_EVENTS),
  };
}

/** What the accessors below read of a Control (layout.ts): its views and its vCPU region. */
interface VcpuWords {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly L: { readonly vcpu: ReturnType<typeof vcpuRegion> };
}

/** vCPU `v`'s histogram `name`, over its words of the control buffer. */
export function vcpuHistogram(ctl: VcpuWords, v: number, name: VcpuHistogram): Histogram {
  const k = VCPU_HISTOGRAMS.indexOf(name);
  const counts = ctl.L.vcpu.histCounts.at(v) + k * HISTOGRAM_BUCKETS;
  const stats = ctl.L.vcpu.histStats.at(v) + k * HISTOGRAM_STATS;
  return new Histogram(
    ctl.i32.subarray(counts, counts + HISTOGRAM_BUCKETS),
    ctl.f64.subarray(stats, stats + HISTOGRAM_STATS),
  );
}

/** The index of vCPU `v`'s counter `name`. */
export function vcpuCounter(ctl: Pick<VcpuWords, 'L'>, v: number, name: VcpuCounter): number {
  return ctl.L.vcpu.counters.at(v) + VCPU_COUNTERS.indexOf(name);
}
