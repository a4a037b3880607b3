// Each steady lane against the same operation on plain workers, in the same run: the ceiling (one
// request per transaction) and ceiling-batched (its best batch size for that operation); and the
// emulator's AIO figures for the lane's kind of transaction — requests per transaction and
// transactions per second. No DOM here.

import type { SideResult } from './bench-contracts.ts';
import { ratioOf } from './cold-burst-params.ts';
import type {
  AioDelta,
  CeilingCase,
  CeilingLaneResult,
  CeilingResult,
  SteadyAioMode,
  SteadyMix,
  SteadyResult,
} from './steady-params.ts';
import type { PoolPolicyName } from '../../app/shared/pool/pool-config.ts';

export interface Figures {
  iops: number;
  mbPerS: number;
  /** µs */
  p50: number;
  p99: number;
}

/** A plain-worker side: its figures and its own transactions. */
export interface CeilingFigures extends Figures {
  /** Requests per transaction at most (1: the ceiling). */
  batch: number;
  requestsPerTransaction: number | null;
  transactionsPerS: number;
}

/** The emulator's transactions of the lane's kind (reads or writes) over the timed run. */
export interface TransactionFigures {
  kind: 'read' | 'write';
  /** Requests per read (or relaxed write) transaction, as the pool took them (after the
   *  device's merging); null where there was none. */
  requestsPerTransaction: number | null;
  /** The guest's requests of this kind completed in the timed run, per such transaction. */
  iosPerTransaction: number | null;
  /** Read transactions, or relaxed and durable write transactions, per second. */
  transactionsPerS: number;
  durablePerS: number;
  /** Guest requests the device merged into a neighbour, of this kind. */
  merged: number;
  /** The figures are the machine's: with all operations at once, the lanes of a kind (random
   *  and sequential) share them. */
  shared: boolean;
}

export interface SteadyComparisonRow {
  aio: SteadyAioMode;
  policy: PoolPolicyName;
  iodepth: number;
  mix: SteadyMix;
  lane: string;
  bs: number;
  flushEvery: number;
  emulator: Figures;
  transactions: TransactionFigures;
  /** null where that ceiling did not run. */
  ceiling: CeilingFigures | null;
  ceilingBatched: CeilingFigures | null;
  /** emulator / ceiling (null where the ceiling's figure is 0 or missing). */
  ratio: { iops: number | null; mbPerS: number | null; p50: number | null; p99: number | null };
  /** emulator / ceiling-batched. */
  ratioBatched: { iops: number | null; p50: number | null };
}

const figures = (s: SideResult): Figures => ({
  iops: s.iops,
  mbPerS: s.mbPerS,
  p50: s.latencyUs.p50,
  p99: s.latencyUs.p99,
});

function ceilingFigures(c: CeilingCase, l: CeilingLaneResult): CeilingFigures {
  const r = l.result;
  return {
    ...figures(r),
    batch: c.batch,
    requestsPerTransaction: r.transactions > 0 ? r.ops / r.transactions : null,
    transactionsPerS: r.elapsedMs > 0 ? r.transactions / (r.elapsedMs / 1000) : 0,
  };
}

/** The lane of that index and name, in the cases of that iodepth and mix, with the most IOPS. */
function bestCeiling(
  r: CeilingResult | undefined,
  iodepth: number,
  mix: SteadyMix,
  index: number,
  name: string,
): CeilingFigures | null {
  let best: CeilingFigures | null = null;
  for (const c of r?.cases ?? []) {
    if (c.iodepth !== iodepth || c.mix !== mix) continue;
    for (const l of c.lanes) {
      if (l.index !== index || l.name !== name) continue;
      const f = ceilingFigures(c, l);
      if (!best || f.iops > best.iops) best = f;
    }
  }
  return best;
}

/** `ios`: the guest's requests of `kind` in the timed run, of every lane of that kind. */
export function transactionFigures(
  t: AioDelta,
  kind: 'read' | 'write',
  ios: number,
  shared: boolean,
): TransactionFigures {
  const seconds = t.elapsedMs / 1000;
  const perS = (n: number) => (seconds > 0 ? n / seconds : 0);
  if (kind === 'read') {
    return {
      kind,
      requestsPerTransaction: ratioOf(t.readRequests, t.readTransactions),
      iosPerTransaction: ratioOf(ios, t.readTransactions),
      transactionsPerS: perS(t.readTransactions),
      durablePerS: 0,
      merged: t.rdMerged,
      shared,
    };
  }
  return {
    kind,
    requestsPerTransaction: ratioOf(t.writeRequests, t.writeTransactions),
    iosPerTransaction: ratioOf(ios, t.writeTransactions),
    transactionsPerS: perS(t.writeTransactions + t.durableTransactions),
    durablePerS: perS(t.durableTransactions),
    merged: t.wrMerged,
    shared,
  };
}

/**
 * Every steady lane, against the ceilings' lane of the same index, name, iodepth and mix (the
 * `cached` case, random writes alone, against their `alone` runs, or else the all-at-once ones).
 */
export function compareSteady(
  steady: SteadyResult,
  ceiling: CeilingResult | undefined,
  ceilingBatched: CeilingResult | undefined,
): SteadyComparisonRow[] {
  return steady.cases.flatMap((sc) =>
    sc.lanes.map((lane): SteadyComparisonRow => {
      const of = (r: CeilingResult | undefined) =>
        bestCeiling(r, sc.iodepth, sc.mix, lane.index, lane.name) ??
        (sc.aio === 'cached' ? bestCeiling(r, sc.iodepth, 'all', lane.index, lane.name) : null);
      const base = of(ceiling);
      const batched = of(ceilingBatched);
      const e = figures(lane.result);
      const kin = sc.lanes.filter((l) => l.op === lane.op);
      const ios = kin.reduce((sum, l) => sum + l.result.ops, 0);
      return {
        aio: sc.aio,
        policy: sc.policy,
        iodepth: sc.iodepth,
        mix: sc.mix,
        lane: lane.name,
        bs: lane.bs,
        flushEvery: sc.flushEvery,
        emulator: e,
        transactions: transactionFigures(sc.transactions, lane.op, ios, kin.length > 1),
        ceiling: base,
        ceilingBatched: batched,
        ratio: {
          iops: base && ratioOf(e.iops, base.iops),
          mbPerS: base && ratioOf(e.mbPerS, base.mbPerS),
          p50: base && ratioOf(e.p50, base.p50),
          p99: base && ratioOf(e.p99, base.p99),
        },
        ratioBatched: {
          iops: batched && ratioOf(e.iops, batched.iops),
          p50: batched && ratioOf(e.p50, batched.p50),
        },
      };
    }),
  );
}
