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

/**
 * A wait that catches a hang, not a slow machine: `p`, or a TimeoutError if `progress()` reads
 * the same for `stallMs` while `p` is pending. Every change restarts the clock, so a loaded
 * machine that is slow but moving never fails; one that stopped moving fails, naming `what`.
 */
export function watchdog<T>(
  p: Promise<T>,
  stallMs: number,
  what: string,
  progress: () => unknown,
  detail?: () => string,
): Promise<T> {
  let timer: unknown;
  const stalled = new Promise<never>((_, reject) => {
    const checkMs = Math.max(1, Math.min(250, stallMs / 4));
    let seen = String(progress());
    let since = Date.now();
    const check = () => {
      const now = String(progress());
      if (now !== seen) {
        seen = now;
        since = Date.now();
      } else if (Date.now() - since >= stallMs) {
        reject(new TimeoutError(stallMessage(what, stallMs, detail)));
        return;
      }
      timer = timers.setTimeout(check, checkMs);
    };
    timer = timers.setTimeout(check, checkMs);
  });
  return Promise.race([p, stalled]).finally(() => timers.clearTimeout(timer));
}

/** The message of a wait that saw no progress: what, for how long, and the state it was in. */
export const stallMessage = (what: string, stallMs: number, detail?: () => string) =>
  `${what}: no progress for ${stallMs} ms${detail ? ` (${detail()})` : ''}`;
