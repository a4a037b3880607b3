// Parameter checks shared by the benchmark scenarios: defaults filled in, unknown keys refused,
// and every refusal an EINVAL that names the scenario and the value. No DOM here: `npm run bench`
// checks its command line with these same functions.

import { Errno, ErrnoError } from '../../app/shared/block/errno.ts';
import { MAX_VCPUS } from '../../app/shared/machine/vcpu-layout.ts';
import { POOL_POLICIES, type PoolPolicyName } from '../../app/shared/pool/pool-config.ts';

const RUNTIME_MS_MIN = 10;
const RUNTIME_MS_MAX = 600_000;
const WARMUP_MS_MAX = 60_000;

export class ParamChecker {
  readonly scenario: string;

  constructor(scenario: string) {
    this.scenario = scenario;
  }

  fail(message: string): never {
    throw new ErrnoError(Errno.EINVAL, `bench ${this.scenario}: ${message}`);
  }

  /** `input` over `defaults`, refusing keys the scenario does not know. */
  merge<T extends object>(defaults: Readonly<T>, input: unknown): T {
    if (typeof input !== 'object' || input === null) {
      this.fail(`parameters ${String(input)} are not an object`);
    }
    for (const key of Object.keys(input)) {
      if (!(key in defaults)) {
        this.fail(`unknown parameter "${key}" (known: ${Object.keys(defaults).join(', ')})`);
      }
    }
    return { ...defaults, ...(input as Partial<T>) };
  }

  int(name: string, v: unknown, lo: number, hi: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      this.fail(`${name} ${String(v)} is not an integer from ${lo} to ${hi}`);
    }
    return v;
  }

  bool(name: string, v: unknown): boolean {
    if (typeof v !== 'boolean') this.fail(`${name} ${String(v)} is not a boolean`);
    return v;
  }

  /** A non-empty list, each item checked, duplicates dropped (first occurrence kept). */
  list<T>(name: string, v: unknown, check: (item: unknown) => T): T[] {
    if (!Array.isArray(v) || v.length === 0) {
      this.fail(`${name} ${JSON.stringify(v)} is not a non-empty list`);
    }
    return [...new Set(v.map(check))];
  }

  /** A request size: a power of two from a sector to 64 KiB. */
  bs(name: string, v: unknown): number {
    const n = this.int(name, v, 512, 65536);
    if ((n & (n - 1)) !== 0) this.fail(`${name} ${n} is not a power of two`);
    return n;
  }

  /** vCPUs of a machine, as many as it can have. */
  vcpus(name: string, v: unknown): number {
    return this.int(name, v, 1, MAX_VCPUS);
  }

  /** One of `known` (a scenario's modes, kinds, variants). */
  oneOf<T extends string>(name: string, v: unknown, known: readonly T[]): T {
    if (!known.includes(v as T)) {
      this.fail(`${name} ${JSON.stringify(v)} is not one of ${known.join(', ')}`);
    }
    return v as T;
  }

  policy(v: unknown): PoolPolicyName {
    return this.oneOf('policy', v, POOL_POLICIES);
  }

  runtimeMs(v: unknown): number {
    return this.int('runtimeMs', v, RUNTIME_MS_MIN, RUNTIME_MS_MAX);
  }

  warmupMs(v: unknown): number {
    return this.int('warmupMs', v, 0, WARMUP_MS_MAX);
  }

  /** How long a machine may go without moving before it is called a hang. */
  timeoutMs(v: unknown, lo = 1000, hi = 600_000): number {
    return this.int('timeoutMs', v, lo, hi);
  }

  seed(v: unknown, hi = 2 ** 31 - 1): number {
    return this.int('seed', v, 0, hi);
  }

  /** An image name prefix: the scenario appends a variant and a run id to it. */
  imagePrefix(v: unknown): string {
    if (typeof v !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(v)) {
      this.fail(`imagePrefix ${JSON.stringify(v)} is not 1-32 of [A-Za-z0-9._-]`);
    }
    return v;
  }
}
