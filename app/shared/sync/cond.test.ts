import { describe, expect, it, vi } from 'vitest';
import { QemuCond } from './cond.ts';
import { QemuMutex } from './mutex.ts';
import { W } from '../testing/words.ts';
import { runThread } from '../testing/threads.ts';

interface WaitResult {
  woken: boolean;
  waitedMs: number;
}

/** Resolves once `n` threads have announced that they are about to wait. */
async function allReady(i32: Int32Array, n: number): Promise<void> {
  for (;;) {
    const ready = Atomics.load(i32, W.ready);
    if (ready >= n) return;
    const w = Atomics.waitAsync(i32, W.ready, ready, 5000);
    if (w.async) await w.value;
  }
}

describe('qemu_cond', () => {
  it('cond/timedwait-times-out: nobody signals, the wait returns false after the timeout', async () => {
    const sab = new SharedArrayBuffer(W.words * 4);
    const r = await runThread<WaitResult>({ scenario: 'cond-wait', sab, args: { timeoutMs: 150 } });
    expect(r.woken).toBe(false);
    expect(r.waitedMs).toBeGreaterThanOrEqual(140);
    expect(new Int32Array(sab)[W.mutex]).toBe(0);
  });

  it('cond/signal-wakes-one: three waiters; a signal wakes at most one sleeper, broadcast wakes them all', async () => {
    const sab = new SharedArrayBuffer(W.words * 4);
    const i32 = new Int32Array(sab);
    const waiters = Array.from({ length: 3 }, () =>
      runThread<WaitResult>({ scenario: 'cond-wait', sab, args: { timeoutMs: 20_000 } }),
    );
    await allReady(i32, 3);
    const m = new QemuMutex(i32, W.mutex);
    const c = new QemuCond(i32, W.cond);
    // Every waiter announced itself under the mutex and read the sequence number before
    // releasing it inside timedWait; taking the mutex here means all three have. A waiter may
    // still be between its unlock and its sleep: the signal then finds it awake, and it returns
    // at once (it sees the new number), which is correct. So count whom the signal's notify
    // woke — at most one — and wait for at least one waiter to come back.
    await m.lockAsync();
    m.unlock();
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      c.signal();
      expect(notify).toHaveBeenCalledTimes(1);
      expect(notify.mock.results[0]?.value).toBeLessThanOrEqual(1);
    } finally {
      notify.mockRestore();
    }
    await vi.waitFor(() => expect(Atomics.load(i32, W.woken)).toBeGreaterThanOrEqual(1), {
      timeout: 10_000,
      interval: 1,
    });
    c.broadcast();
    const results = await Promise.all(waiters);
    expect(results.filter((r) => r.woken)).toHaveLength(3);
    expect(Atomics.load(i32, W.woken)).toBe(3);
  });

  it('cond/poll-times-out: nobody signals, the poll returns false after its time, the mutex held again', async () => {
    const sab = new SharedArrayBuffer(W.words * 4);
    const r = await runThread<WaitResult>({ scenario: 'cond-poll', sab, args: { pollUs: 30_000 } });
    expect(r.woken).toBe(false);
    expect(r.waitedMs).toBeGreaterThanOrEqual(29);
    expect(new Int32Array(sab)[W.mutex]).toBe(0);
  });

  it('cond/poll-sees-signal: a signal ends a poll early and wakes no sleeper — the poller needed no futex wake', async () => {
    const sab = new SharedArrayBuffer(W.words * 4);
    const i32 = new Int32Array(sab);
    const poller = runThread<WaitResult>({
      scenario: 'cond-poll',
      sab,
      args: { pollUs: 10_000_000 },
    });
    await allReady(i32, 1);
    const m = new QemuMutex(i32, W.mutex);
    const c = new QemuCond(i32, W.cond);
    // Taking the mutex means the poller has dropped it: it is polling.
    await m.lockAsync();
    m.unlock();
    const notify = vi.spyOn(Atomics, 'notify');
    try {
      c.signal();
      expect(notify.mock.results[0]?.value).toBe(0);
    } finally {
      notify.mockRestore();
    }
    const r = await poller;
    expect(r.woken).toBe(true);
    expect(r.waitedMs).toBeLessThan(10_000);
    expect(i32[W.mutex]).toBe(0);
  });

  it('cond/poll-sees-late-signal: a signal that comes while the poll, timed out, waits for the mutex still counts', async () => {
    const sab = new SharedArrayBuffer(W.words * 4);
    const i32 = new Int32Array(sab);
    const poller = runThread<WaitResult>({ scenario: 'cond-poll', sab, args: { pollUs: 200_000 } });
    await allReady(i32, 1);
    const m = new QemuMutex(i32, W.mutex);
    const c = new QemuCond(i32, W.cond);
    // Take the mutex the poller dropped to poll, without contention: the word reads 1.
    await vi.waitFor(() => expect(m.tryLock()).toBe(true), { timeout: 10_000, interval: 1 });
    // The poll times out and blocks on the mutex, which only it can make 2 (locked, with a
    // waiter); the signal comes before it gets the mutex.
    await vi.waitFor(() => expect(Atomics.load(i32, W.mutex)).toBe(2), {
      timeout: 10_000,
      interval: 1,
    });
    c.signal();
    m.unlock();
    const r = await poller;
    expect(r.woken).toBe(true);
  });
});
