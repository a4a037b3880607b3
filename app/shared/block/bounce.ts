// DMA memory a front end stages request data in: a SharedArrayBuffer the AIO workers copy to and
// from, carved into extents first-fit; one thread allocates and frees (the page for direct block
// I/O, v86's worker for its IDE disk).

export class BounceBuffer {
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  /** Free extents [start, length], sorted by start, never adjacent. */
  private free: [number, number][];

  /** A new buffer of `size` bytes, or one made elsewhere (another thread allocated it). */
  constructor(size: number | SharedArrayBuffer) {
    this.sab = typeof size === 'number' ? new SharedArrayBuffer(size) : size;
    this.bytes = new Uint8Array(this.sab);
    this.free = [[0, this.sab.byteLength]];
  }

  get size(): number {
    return this.sab.byteLength;
  }

  /** First fit, 8-byte aligned; undefined if no extent is large enough right now. */
  alloc(nbytes: number): number | undefined {
    const want = Math.max(8, Math.ceil(nbytes / 8) * 8);
    const i = this.free.findIndex(([, len]) => len >= want);
    if (i < 0) return undefined;
    const [start, len] = this.free[i];
    if (len === want) this.free.splice(i, 1);
    else this.free[i] = [start + want, len - want];
    return start;
  }

  release(start: number, nbytes: number): void {
    const len = Math.max(8, Math.ceil(nbytes / 8) * 8);
    let i = this.free.findIndex(([s]) => s > start);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, [start, len]);
    // Merge with the neighbours.
    const next = this.free[i + 1];
    if (next && start + len === next[0]) {
      this.free[i] = [start, len + next[1]];
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev[0] + prev[1] === start) {
      prev[1] += this.free[i][1];
      this.free.splice(i, 1);
    }
  }

  /** Bytes free in total (not necessarily in one piece). */
  available(): number {
    return this.free.reduce((sum, [, len]) => sum + len, 0);
  }
}
