// A small seeded generator (mulberry32): the guest's random offsets and payloads, and the
// tests', are reproducible from a seed.

export class Rng {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A 32-bit word. */
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
}

/** A 32-bit hash of some integers (FNV-1a over their bytes). */
export function hash32(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    let x = v >>> 0;
    const hi = Math.floor(v / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++, x >>>= 8) h = Math.imul(h ^ (x & 0xff), 0x01000193);
    for (let i = 0, y = hi; i < 4; i++, y >>>= 8) h = Math.imul(h ^ (y & 0xff), 0x01000193);
  }
  return h >>> 0;
}
