// A request's data: segments of a DMA buffer (guest RAM, or the page's bounce buffer) seen as
// one byte range. AIO workers copy straight between it and storage (cf. QEMUIOVector).

import type { Iovec } from '../../app/shared/block/block.ts';

export class IoVector {
  readonly size: number;
  private readonly mem: Uint8Array;
  private readonly iov: readonly Iovec[];

  /** Throws a RangeError naming the segment if one lies outside `mem`. */
  constructor(mem: Uint8Array, iov: readonly Iovec[]) {
    let size = 0;
    iov.forEach(([addr, len], k) => {
      if (
        !Number.isInteger(addr) ||
        !Number.isInteger(len) ||
        addr < 0 ||
        len < 0 ||
        addr + len > mem.length
      ) {
        throw new RangeError(
          `segment ${k} [${addr}, +${len}) is outside the ${mem.length}-byte DMA buffer`,
        );
      }
      size += len;
    });
    this.mem = mem;
    this.iov = iov;
    this.size = size;
  }

  /** Visit the DMA runs backing request bytes [offset, offset + n). */
  private each(offset: number, n: number, fn: (addr: number, len: number, done: number) => void) {
    let skip = offset;
    let done = 0;
    for (const [addr, len] of this.iov) {
      if (done === n) return;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const take = Math.min(len - skip, n - done);
      fn(addr + skip, take, done);
      done += take;
      skip = 0;
    }
    if (done !== n) {
      throw new RangeError(
        `request bytes [${offset}, +${n}) run past its ${this.size} bytes of data`,
      );
    }
  }

  /** Request bytes -> `dst` (for a write: guest data into a chunk). */
  copyOut(offset: number, dst: Uint8Array, dstOffset: number, n: number): void {
    this.each(offset, n, (addr, len, done) => {
      dst.set(this.mem.subarray(addr, addr + len), dstOffset + done);
    });
  }

  /** `src` -> request bytes (for a read: a chunk into guest data). */
  copyIn(offset: number, src: Uint8Array, srcOffset: number, n: number): void {
    this.each(offset, n, (addr, len, done) => {
      this.mem.set(src.subarray(srcOffset + done, srcOffset + done + len), addr);
    });
  }

  zero(offset: number, n: number): void {
    this.each(offset, n, (addr, len) => this.mem.fill(0, addr, addr + len));
  }
}
