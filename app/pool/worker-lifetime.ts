// Seen from the page, a pool worker is gone once its lifetime Web Lock is free: it takes the lock
// before it counts itself in and holds it until it dies (workers/aio-worker.ts).

import { lifetimeLockName } from '../shared/contracts.ts';
import { deadline } from '../shared/sync/deadline.ts';

/** How long a worker may take to die after its creator was ended (measured: milliseconds). */
const GONE_TIMEOUT_MS = 30_000;

/** Resolves once worker `record` of the pool whose locks are named by `prefix` no longer runs. */
export async function lifetimeLockFree(prefix: string, record: number): Promise<void> {
  const name = lifetimeLockName(prefix, record);
  await deadline(
    navigator.locks.request(name, () => undefined),
    GONE_TIMEOUT_MS,
    `the end of pool worker record ${record} (${name} released)`,
  );
}
