// How a region of the control buffer declares its words: a `*-layout.ts` module asks a Cursor
// for them in its order, and layout.ts places the regions one after another. A Field turns an
// element number into a word index; nothing else computes one.

/** Index of the next i32, f64 or i64 in a buffer being laid out; 8-byte regions are aligned. */
export class Cursor {
  bytes = 0;
  i32(count: number): number {
    const index = this.bytes / 4;
    this.bytes += count * 4;
    return index;
  }
  f64(count: number): number {
    this.bytes = Math.ceil(this.bytes / 8) * 8;
    const index = this.bytes / 8;
    this.bytes += count * 8;
    return index;
  }
  /** BigInt64 words: byte counters that may pass 2^53 and are added to by several threads. */
  i64(count: number): number {
    return this.f64(count);
  }
}

/** Words of a bitmap of `n` bits (one bit per slot, chunk…; bit b is word b >>> 5, 1 << (b & 31)). */
export const bitmapWords = (n: number): number => Math.ceil(n / 32);

/** Index arithmetic for one struct-of-arrays field: `at(i)` is element i's word. */
export interface Field {
  at(i: number): number;
}
/** A class, not a closure per field: every field's `at` is then one function, so V8's feedback
 *  for a call site holds whichever layout it runs on (the exit path is warmed up on another). */
class StridedField implements Field {
  private readonly base: number;
  private readonly stride: number;
  constructor(base: number, stride: number) {
    this.base = base;
    this.stride = stride;
  }
  at(i: number): number {
    return this.base + i * this.stride;
  }
}
export function field(base: number, stride = 1): Field {
  return new StridedField(base, stride);
}

/** A per-element array of `count` words: `at(i, k)` is element i's k-th word. */
export interface SegmentField {
  at(i: number, k: number): number;
}
class Segments implements SegmentField {
  private readonly base: number;
  private readonly count: number;
  constructor(base: number, count: number) {
    this.base = base;
    this.count = count;
  }
  at(i: number, k: number): number {
    return this.base + i * this.count + k;
  }
}
export function segmentField(base: number, count: number): SegmentField {
  return new Segments(base, count);
}

/** `{ IN_EXIT: 2, … }` → `['stopped', …, 'in-exit', …]`: a state word's display name, by code. */
export function stateNames<K extends string>(states: Record<K, number>): string[] {
  const names: string[] = [];
  for (const [key, code] of Object.entries<number>(states)) {
    names[code] = key.toLowerCase().replaceAll('_', '-');
  }
  return names;
}
