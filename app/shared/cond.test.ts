import { describe, expect, it } from 'vitest';
import { QemuCond } from './cond.ts';
import { QemuMutex } from './mutex.ts';
import { W } from './testing/words.ts';
import { runThread } from './testing/threads.ts';

interface WaitResult {
  woken: boolean;
  waitedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  it('cond/signal-wakes-one: three waiters, one signal, exactly one wakes; broadcast wakes the rest', async () => {
    const sab = new SharedArrayBuffer(W.words * 4);
    const i32 = new Int32Array(sab);
    const waiters = Array.from({ length: 3 }, () =>
      runThread<WaitResult>({ scenario: 'cond-wait', sab, args: { timeoutMs: 20_000 } }),
    );
    await allReady(i32, 3);
    const m = new QemuMutex(i32, W.mutex);
    const c = new QemuCond(i32, W.cond);
    // Every waiter announced itself under the mutex before waiting; taking the mutex here means
    // the last one has released it inside timedWait, i.e. it is at (or past) its sleep.
    await m.lockAsync();
    m.unlock();
    await sleep(100);
    c.signal();
    await sleep(300);
    expect(Atomics.load(i32, W.woken)).toBe(1);
    c.broadcast();
    const results = await Promise.all(waiters);
    expect(results.filter((r) => r.woken)).toHaveLength(3);
    expect(Atomics.load(i32, W.woken)).toBe(3);
  });
});
