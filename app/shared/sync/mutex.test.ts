import { describe, expect, it, vi } from 'vitest';
import { QemuMutex } from './mutex.ts';
import { W } from '../testing/words.ts';
import { runThread } from '../testing/threads.ts';

const words = () => new SharedArrayBuffer(W.words * 4);

describe('qemu_mutex', () => {
  it('mutex/no-lost-update: 4 threads x 50 000 plain increments under the lock count 200 000', async () => {
    const sab = words();
    const iterations = 50_000;
    await Promise.all(
      Array.from({ length: 4 }, () =>
        runThread({ scenario: 'mutex-increment', sab, args: { iterations } }),
      ),
    );
    const i32 = new Int32Array(sab);
    expect(i32[W.counter]).toBe(4 * iterations);
    expect(i32[W.mutex]).toBe(0); // left unlocked
  });

  it('mutex/trylock: fails while held, succeeds after unlock', () => {
    const i32 = new Int32Array(words());
    const m = new QemuMutex(i32, W.mutex);
    expect(m.tryLock()).toBe(true);
    expect(m.tryLock()).toBe(false);
    m.unlock();
    expect(m.tryLock()).toBe(true);
    m.unlock();
    expect(m.isLocked()).toBe(false);
  });

  it('mutex/lock-async: the main-thread acquire waits for a worker to unlock, without spinning', async () => {
    const sab = words();
    const i32 = new Int32Array(sab);
    const m = new QemuMutex(i32, W.mutex);
    m.lock(); // stands in for a worker holding it
    let acquired = false;
    const waiter = m.lockAsync().then(() => {
      acquired = true;
    });
    // The waiter announces itself, then sleeps in waitAsync however many turns pass.
    await vi.waitFor(() => expect(Atomics.load(i32, W.mutex)).toBe(2), { interval: 1 });
    for (let turn = 0; turn < 10; turn++) await new Promise((r) => setTimeout(r, 0));
    expect(acquired).toBe(false);
    m.unlock();
    await waiter;
    expect(acquired).toBe(true);
    m.unlock();
    expect(m.isLocked()).toBe(false);
  });

  it('mutex/lock-async-vs-threads: main-thread and worker increments under one lock add up', async () => {
    const sab = words();
    const i32 = new Int32Array(sab);
    const m = new QemuMutex(i32, W.mutex);
    const threads = Array.from({ length: 2 }, () =>
      runThread({ scenario: 'mutex-increment', sab, args: { iterations: 20_000 } }),
    );
    for (let i = 0; i < 2_000; i++) {
      await m.lockAsync();
      const v = i32[W.counter];
      i32[W.counter] = v + 1;
      m.unlock();
    }
    await Promise.all(threads);
    expect(i32[W.counter]).toBe(42_000);
  });
});
