// Chunks written by relaxed transactions since the last flush, one bit each in shared memory: a
// relaxed commit is not durable across a power cut until a flush commits its chunks again.

import type { Control } from '../../app/shared/layout/layout.ts';
import { bitmapWords } from '../../app/shared/layout/layout-region.ts';

export class UnsyncedChunks {
  private readonly i32: Int32Array;
  private readonly bits: Control['L']['unsynced']['bits'];
  private readonly words: number;

  constructor(ctl: Control) {
    this.i32 = ctl.i32;
    this.bits = ctl.L.unsynced.bits;
    this.words = bitmapWords(ctl.L.params.diskChunks);
  }

  /** Note chunks a relaxed transaction committed (before the requests complete). */
  add(chunks: readonly number[]): void {
    for (const c of chunks) Atomics.or(this.i32, this.bits.at(c >> 5), 1 << (c & 31));
  }

  /** Take every noted chunk, leaving none noted (the flush's). */
  take(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.words; w++) {
      let word = Atomics.exchange(this.i32, this.bits.at(w), 0);
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        out.push(w * 32 + bit);
        word &= word - 1;
      }
    }
    return out;
  }
}
