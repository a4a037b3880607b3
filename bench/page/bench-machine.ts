// A benchmark run's machines: guest RAM sized for their jobs, every wait on one bounded by a
// deadline that only a hang trips (never a slow but moving machine), and teardown that leaves
// no image behind — even when the machine is still shutting down.

import type { Machine } from '../../app/machine/machine.ts';
import { watchdog } from '../../app/shared/sync/deadline.ts';
import { deleteIfPresent, deleteLater } from './bench-images.ts';

const POLL_MS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The machine's progress as one string: it changes whenever the pool, the device or a guest
 * moves. A wait on a machine fails only when this stops changing (a hang), never because a
 * loaded machine is slow (app/shared/sync/deadline.ts watchdog).
 */
function machineProgress(m: Machine): string {
  const s = m.stats();
  const p = s.pool;
  const ready = s.spawns.reduce((n, w) => n + (w.tReady > 0 ? 1 : 0), 0);
  const ops = s.rd_operations + s.wr_operations + s.flush_operations;
  const vcpus = s.vcpus.map((v) => `${v.state}:${v.counters.guestIos}:${v.inflight}`);
  const pool = [p.cur_threads, p.idle_threads, p.new_threads, p.pending_threads, p.exited];
  return `${pool.join(' ')} ${ready} ${ops} ${vcpus.join(' ')}`;
}

/** `p`, unless machine `m` stops moving for stallMs first (a TimeoutError naming `what`). */
export function whileMoving<T>(m: Machine, p: Promise<T>, stallMs: number, what: string) {
  return watchdog(
    p,
    stallMs,
    what,
    () => machineProgress(m),
    () => poolDetail(m),
  );
}

/** Poll `cond` until it holds, as long as machine `m` keeps moving (see whileMoving). */
export async function until(
  m: Machine,
  cond: () => boolean,
  stallMs: number,
  what: string,
): Promise<void> {
  let stopped = false;
  const polled = (async () => {
    while (!stopped && !cond()) await sleep(POLL_MS);
  })();
  try {
    await whileMoving(m, polled, stallMs, `waiting until ${what}`);
  } finally {
    stopped = true;
  }
}

/** Wait for prealloc's `minThreads` workers to be ready, as long as the machine keeps moving. */
export const untilPreallocated = (m: Machine, minThreads: number, stallMs: number) =>
  until(
    m,
    () => m.stats().spawns.filter((w) => w.tReady > 0).length >= minThreads,
    stallMs,
    `${minThreads} preallocated workers are ready`,
  );

/** Wait until the pool owes no worker (none new, none pending), as long as the machine moves. */
export function untilPoolSettled(m: Machine, stallMs: number, what: string): Promise<void> {
  const { i32, L } = m.ctl;
  const owed = () =>
    Atomics.load(i32, L.pool.newThreads) + Atomics.load(i32, L.pool.pendingThreads);
  return until(m, () => owed() === 0, stallMs, what);
}

/** Guest RAM for `vcpus` guests of `iodepth` x `bs` buffers, with room for their queues. */
export function ramBytesFor(vcpus: number, iodepth: number, bs: number): number {
  const perVcpu = iodepth * bs * 2 + (2 << 20);
  const bytes = Math.ceil((vcpus * perVcpu) / (1 << 20)) << 20;
  return Math.min(1 << 30, Math.max(32 << 20, bytes));
}

/** The pool as a sentence, for timeout messages: what it still waits for, and who died. */
function poolDetail(m: Machine): string {
  const s = m.stats();
  const p = s.pool;
  const neverStarted = s.spawns.filter((w) => w.state === 'created');
  const creators = [...new Set(neverStarted.map((w) => w.creator ?? '?'))].join(', ');
  return (
    `cur_threads ${p.cur_threads}, new_threads ${p.new_threads}, pending_threads ` +
    `${p.pending_threads}; ${neverStarted.length} worker(s) created but never started` +
    `${neverStarted.length ? ` (created by ${creators})` : ''}; lost_with_creator ` +
    `${p.lost_with_creator}, requeued ${p.requeued}; in flight per vCPU: ` +
    s.vcpus.map((v) => `${v.vcpu}:${v.inflight}`).join(' ')
  );
}

/**
 * `fn` on the machine `create()` makes on `image`, then destroy it (within stallMs) and delete
 * the image; a machine that timed out deletes it once it lets go.
 */
export async function withMachine<T>(
  image: string,
  stallMs: number,
  create: () => Promise<Machine>,
  fn: (m: Machine) => Promise<T>,
): Promise<T> {
  const m = await create();
  let released = false;
  try {
    const out = await fn(m);
    await whileMoving(m, m.destroy(), stallMs, 'destroy()');
    released = true;
    return out;
  } finally {
    if (released) await deleteIfPresent(image);
    else deleteLater(image, m.destroy());
  }
}
