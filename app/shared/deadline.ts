// A promise with a deadline, for every side (the page, workers, the Node scripts): the promise's
// own outcome, or a TimeoutError naming what did not finish. The timer is cleared either way.

/** This environment's timers (app/shared is built without DOM or Node types). */
const timers = globalThis as unknown as {
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
};

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ETIMEDOUT';
  }
}

/** `p`, or a TimeoutError naming `what` (and `detail()`) if it has not settled after timeoutMs. */
export function deadline<T>(
  p: Promise<T>,
  timeoutMs: number,
  what: string,
  detail?: () => string,
): Promise<T> {
  let timer: unknown;
  const late = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(
      () =>
        reject(
          new TimeoutError(
            `${what} did not finish in ${timeoutMs} ms${detail ? ` (${detail()})` : ''}`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([p, late]).finally(() => timers.clearTimeout(timer));
}
