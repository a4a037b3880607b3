import { describe, expect, it } from 'vitest';
import { deadline, TimeoutError } from './deadline.ts';

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
