import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deadline, TimeoutError, watchdog } from './deadline.ts';

describe('deadline', () => {
  it('settles as the promise does when the promise comes first', async () => {
    await expect(deadline(Promise.resolve(7), 60_000, 'seven')).resolves.toBe(7);
    await expect(deadline(Promise.reject(new Error('own')), 60_000, 'x')).rejects.toThrow('own');
  });

  it('rejects with a TimeoutError naming what did not finish, and the detail', async () => {
    const never = new Promise<never>(() => undefined);
    const e = await deadline(never, 1, 'the flush', () => '3 queued').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).name).toBe('ETIMEDOUT');
    expect((e as Error).message).toBe('the flush did not finish in 1 ms (3 queued)');
  });
});

describe('watchdog', () => {
  // Fake timers: the clock moves only when the test says, so no load can make these flaky.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits as long as progress moves, however long that is', async () => {
    let n = 0;
    let finish: (v: string) => void = () => undefined;
    const slow = new Promise<string>((resolve) => (finish = resolve));
    const watched = watchdog(slow, 1000, 'the slow step', () => n);
    // Ten times the stall limit in all, but never a second without progress.
    for (let step = 0; step < 20; step++) {
      n++;
      await vi.advanceTimersByTimeAsync(500);
    }
    finish('done');
    await expect(watched).resolves.toBe('done');
  });

  it('fails once progress stops, naming what hung and its state', async () => {
    const never = new Promise<never>(() => undefined);
    const watched = watchdog(
      never,
      1000,
      'the pool stops growing',
      () => 1,
      () => 'cur 3',
    );
    const outcome = watched.catch((x: unknown) => x);
    await vi.advanceTimersByTimeAsync(999);
    await vi.advanceTimersByTimeAsync(300);
    const e = await outcome;
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).message).toBe('the pool stops growing: no progress for 1000 ms (cur 3)');
  });

  it('settles as the promise does, and then stops watching', async () => {
    let calls = 0;
    await expect(watchdog(Promise.resolve(3), 1000, 'x', () => ++calls)).resolves.toBe(3);
    const after = calls;
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(after);
  });
});
