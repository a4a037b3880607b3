// The pool's settings: who creates workers and when (the policy), min and max threads, the idle
// timeout; defaults as QEMU's, the check every change goes through, and their words.

import { Errno, ErrnoError } from '../block/errno.ts';
import type { Control } from '../layout/layout.ts';
import { POOL_MAX_THREADS } from './pool-layout.ts';

/** Who creates pool workers, and when (docs/api.md, "The pool"). */
export const PoolPolicy = { inline: 0, bh: 1, prealloc: 2 } as const;
export type PoolPolicyName = keyof typeof PoolPolicy;
export const POOL_POLICIES = Object.keys(PoolPolicy) as PoolPolicyName[];

export interface PoolConfig {
  policy: PoolPolicyName;
  minThreads: number;
  maxThreads: number;
  idleTimeoutMs: number;
}

export const DEFAULT_POOL_CONFIG: Readonly<PoolConfig> = {
  policy: 'bh',
  minThreads: 0,
  maxThreads: 64,
  idleTimeoutMs: 10_000,
};

const IDLE_TIMEOUT_MAX_MS = 3_600_000;

function integerIn(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new ErrnoError(
      Errno.EINVAL,
      `pool ${name} = ${String(v)} is not an integer in ${lo}..${hi}`,
    );
  }
  return v;
}

/** Validate a partial pool configuration against the one it would change; returns the result. */
export function mergePoolConfig(base: PoolConfig, cfg: Partial<PoolConfig>): PoolConfig {
  if (typeof cfg !== 'object' || cfg === null) {
    throw new ErrnoError(Errno.EINVAL, `pool configuration ${String(cfg)} is not an object`);
  }
  for (const key of Object.keys(cfg)) {
    if (!(key in DEFAULT_POOL_CONFIG)) {
      throw new ErrnoError(
        Errno.EINVAL,
        `unknown pool setting "${key}" (known: ${Object.keys(DEFAULT_POOL_CONFIG).join(', ')})`,
      );
    }
  }
  const next = { ...base };
  if (cfg.policy !== undefined) {
    if (!POOL_POLICIES.includes(cfg.policy)) {
      throw new ErrnoError(
        Errno.EINVAL,
        `pool policy "${String(cfg.policy)}" is not one of ${POOL_POLICIES.join(', ')}`,
      );
    }
    next.policy = cfg.policy;
  }
  if (cfg.maxThreads !== undefined) {
    next.maxThreads = integerIn('maxThreads', cfg.maxThreads, 1, POOL_MAX_THREADS);
  }
  if (cfg.minThreads !== undefined) {
    next.minThreads = integerIn('minThreads', cfg.minThreads, 0, POOL_MAX_THREADS);
  }
  if (cfg.idleTimeoutMs !== undefined) {
    next.idleTimeoutMs = integerIn('idleTimeoutMs', cfg.idleTimeoutMs, 1, IDLE_TIMEOUT_MAX_MS);
  }
  if (next.minThreads > next.maxThreads) {
    throw new ErrnoError(
      Errno.EINVAL,
      `pool minThreads ${next.minThreads} is above maxThreads ${next.maxThreads}`,
    );
  }
  return next;
}

/** The settings in force, read from their words (a display value without the pool lock). */
export function readPoolConfig(ctl: Control): PoolConfig {
  const p = ctl.L.pool;
  const get = (index: number) => Atomics.load(ctl.i32, index);
  const code = get(p.policy);
  return {
    policy: POOL_POLICIES.find((name) => PoolPolicy[name] === code) ?? 'bh',
    minThreads: get(p.minThreads),
    maxThreads: get(p.maxThreads),
    idleTimeoutMs: get(p.idleTimeoutMs),
  };
}

/** Write the settings' words, under the pool lock (thread_pool_update_params). */
export function writePoolConfig(ctl: Control, cfg: PoolConfig): void {
  const p = ctl.L.pool;
  Atomics.store(ctl.i32, p.policy, PoolPolicy[cfg.policy]);
  Atomics.store(ctl.i32, p.minThreads, cfg.minThreads);
  Atomics.store(ctl.i32, p.maxThreads, cfg.maxThreads);
  Atomics.store(ctl.i32, p.idleTimeoutMs, cfg.idleTimeoutMs);
}
