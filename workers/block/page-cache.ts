// The page cache, shared by every AIO worker of an image (cf. the host page cache QEMU's
// cache=writeback relies on): chunk-sized pages in a SharedArrayBuffer, set-associative, with
// their tags, states and pins in the control buffer under cache.lock. Storage is the caller's:
// it fills the pages it claims and writes back the dirty pages it takes. Workers only (waits
// block); a worker never waits here with an IndexedDB transaction open.

import { QemuCond } from '../../app/shared/sync/cond.ts';
import {
  cachePageByte,
  cacheSets,
  cacheWays,
  PageState,
} from '../../app/shared/block/cache-layout.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import { QemuMutex } from '../../app/shared/sync/mutex.ts';

/** What pinning a chunk gave: a page with its bytes, or none (its set is full right now). */
export interface Pinned {
  chunk: number;
  /** -1: no page to be had: every page of the set is dirty, busy or pinned. */
  page: number;
  /** The page was claimed for this chunk (FILLING): the caller gives it its bytes, then calls
   *  filled() (or dirtied(), for a page a request overwrites whole). */
  claimed: boolean;
  /** Of a claimed page: its bytes must come from the image first (a partial write, a read). */
  fill: boolean;
}

/** A dirty page taken for writeback: its bytes as of `seq`. */
export interface Taken {
  page: number;
  chunk: number;
  seq: number;
}

export class PageCache {
  readonly pages: number;
  readonly chunkSize: number;
  private readonly ways: number;
  private readonly sets: number;
  private readonly i32: Int32Array;
  private readonly C: Control['L']['cache'];
  private readonly memory: Uint8Array;
  private readonly lock: QemuMutex;
  private readonly cond: QemuCond;

  constructor(ctl: Control, memory: SharedArrayBuffer, chunkSize: number) {
    this.pages = ctl.L.params.cachePages;
    this.chunkSize = chunkSize;
    this.ways = cacheWays(this.pages);
    this.sets = cacheSets(this.pages);
    if (memory.byteLength !== this.pages * chunkSize) {
      throw new Error(
        `page cache memory is ${memory.byteLength} bytes, not ${this.pages} pages of ${chunkSize}`,
      );
    }
    this.i32 = ctl.i32;
    this.C = ctl.L.cache;
    this.memory = new Uint8Array(memory);
    this.lock = new QemuMutex(ctl.i32, ctl.L.cache.lock);
    this.cond = new QemuCond(ctl.i32, ctl.L.cache.cond);
  }

  private get(index: number): number {
    return Atomics.load(this.i32, index);
  }
  private set(index: number, v: number): void {
    Atomics.store(this.i32, index, v);
  }
  private stat(index: number, n = 1): void {
    Atomics.add(this.i32, index, n);
  }

  /** The bytes of a page (pinned by the caller). */
  bytes(page: number): Uint8Array {
    const at = cachePageByte(page, this.chunkSize);
    return this.memory.subarray(at, at + this.chunkSize);
  }

  /** Pages of one set (what a batch may pin in it at once). */
  get setSize(): number {
    return this.ways;
  }

  /** The set `chunk` lives in. */
  setOf(chunk: number): number {
    return chunk % this.sets;
  }

  /** The page holding `chunk` in its set, or -1. Under the lock. */
  private findLocked(chunk: number): number {
    const first = (chunk % this.sets) * this.ways;
    for (let page = first; page < first + this.ways; page++) {
      if (this.get(this.C.tag.at(page)) === chunk) return page;
    }
    return -1;
  }

  /** A page of `chunk`'s set to reuse (free, or clean and unpinned: clock), or -1. Locked. */
  private victimLocked(chunk: number): number {
    const set = chunk % this.sets;
    const first = set * this.ways;
    const C = this.C;
    for (let page = first; page < first + this.ways; page++) {
      if (this.get(C.state.at(page)) === PageState.FREE) return page;
    }
    // Two turns of the clock: the first clears referenced bits, the second takes one.
    let hand = this.get(C.hand.at(set));
    for (let step = 0; step < 2 * this.ways; step++, hand = (hand + 1) % this.ways) {
      const page = first + hand;
      if (this.get(C.state.at(page)) !== PageState.CLEAN || this.get(C.pins.at(page)) > 0) {
        continue;
      }
      if (this.get(C.ref.at(page))) {
        this.set(C.ref.at(page), 0);
        continue;
      }
      this.set(C.hand.at(set), (hand + 1) % this.ways);
      this.stat(C.evictions);
      return page;
    }
    return -1;
  }

  /**
   * Pin the page of each chunk. A page being filled by another worker is waited for; a chunk
   * not cached gets a page claimed for it (FILLING: the caller fills it) unless its set holds
   * only dirty or pinned pages (page -1: go around the cache). `whole` chunks will be
   * overwritten entirely, so their claimed pages need no filling from the image. The chunks
   * are taken in ascending order, whatever the batch's: a worker then waits only for a chunk
   * above every one it has claimed, so workers never wait for each other in a circle (lock
   * ordering). The result is in the order of `chunks`.
   */
  pin(chunks: readonly number[], whole: ReadonlySet<number> = new Set()): Pinned[] {
    const C = this.C;
    this.lock.lock();
    try {
      const out: Pinned[] = new Array<Pinned>(chunks.length);
      const ascending = chunks.map((_, k) => k).sort((a, b) => chunks[a] - chunks[b]);
      for (const k of ascending) {
        const chunk = chunks[k];
        for (;;) {
          const page = this.findLocked(chunk);
          if (page >= 0 && this.get(C.state.at(page)) === PageState.FILLING) {
            this.cond.wait(this.lock);
            continue;
          }
          if (page >= 0) {
            this.stat(C.hits);
            this.stat(C.pins.at(page));
            this.set(C.ref.at(page), 1);
            out[k] = { chunk, page, claimed: false, fill: false };
            break;
          }
          this.stat(C.misses);
          const victim = this.victimLocked(chunk);
          if (victim >= 0) {
            this.set(C.tag.at(victim), chunk);
            this.set(C.state.at(victim), PageState.FILLING);
            this.set(C.pins.at(victim), 1);
            this.set(C.ref.at(victim), 1);
            out[k] = { chunk, page: victim, claimed: true, fill: !whole.has(chunk) };
          } else {
            out[k] = { chunk, page: -1, claimed: false, fill: false };
          }
          break;
        }
      }
      return out;
    } finally {
      this.lock.unlock();
    }
  }

  /** A claimed page has its bytes (CLEAN), or could not get them (given up: FREE). */
  filled(page: number, ok: boolean): void {
    if (page < 0) return;
    const C = this.C;
    this.lock.lock();
    if (ok) {
      this.set(C.state.at(page), PageState.CLEAN);
    } else {
      this.set(C.state.at(page), PageState.FREE);
      this.set(C.tag.at(page), -1);
    }
    this.lock.unlock();
    this.cond.broadcast();
  }

  /** Requests have written into these pinned pages: they are newer than the image now (a
   *  claimed page a request overwrote whole leaves FILLING here). */
  dirtied(pages: readonly number[]): void {
    const C = this.C;
    this.lock.lock();
    for (const page of pages) {
      if (this.get(C.state.at(page)) !== PageState.DIRTY) this.stat(C.dirtyPages);
      this.set(C.state.at(page), PageState.DIRTY);
      this.set(C.dirtySeq.at(page), this.get(C.seq) + 1);
      this.set(C.seq, this.get(C.seq) + 1);
    }
    this.lock.unlock();
    this.cond.broadcast();
  }

  unpin(pages: readonly number[]): void {
    const C = this.C;
    this.lock.lock();
    for (const page of pages) Atomics.sub(this.i32, C.pins.at(page), 1);
    this.lock.unlock();
    // A worker may wait for room in a set these pages belong to.
    if (pages.length) this.cond.broadcast();
  }

  /** Give up pins taken by pin(): claimed pages go back to FREE, the others are unpinned. */
  release(pinned: readonly Pinned[]): void {
    for (const p of pinned) if (p.claimed) this.filled(p.page, false);
    this.unpin(pinned.filter((p) => p.page >= 0).map((p) => p.page));
  }

  /** Wait a little for pages to be unpinned or cleaned (a set had no room). */
  waitForRoom(): void {
    this.lock.lock();
    this.cond.timedWait(this.lock, 10);
    this.lock.unlock();
  }

  /** Whether the sets of these chunks hold dirty pages (that a writeback would clean). */
  dirtyIn(chunks: readonly number[]): boolean {
    const C = this.C;
    for (const set of new Set(chunks.map((c) => c % this.sets))) {
      for (let page = set * this.ways; page < (set + 1) * this.ways; page++) {
        if (this.get(C.state.at(page)) === PageState.DIRTY) return true;
      }
    }
    return false;
  }

  /** Become the one worker writing pages back (waits for another to finish). */
  beginWriteback(): void {
    this.lock.lock();
    while (this.get(this.C.writeback) !== 0) this.cond.wait(this.lock);
    this.set(this.C.writeback, 1);
    this.lock.unlock();
  }

  endWriteback(): void {
    this.lock.lock();
    this.set(this.C.writeback, 0);
    this.lock.unlock();
    this.cond.broadcast();
  }

  /**
   * Between begin- and endWriteback: pin the dirty pages to write — all, or those of `chunks`
   * (with `sets`: every dirty page of their sets, to make room there) — noting the sequence each
   * was dirtied at.
   */
  takeDirty(filter: { chunks?: readonly number[]; sets?: boolean } = {}): Taken[] {
    const C = this.C;
    const only = filter.chunks && !filter.sets ? new Set(filter.chunks) : undefined;
    const sets = filter.chunks
      ? [...new Set(filter.chunks.map((c) => c % this.sets))]
      : Array.from({ length: this.sets }, (_, s) => s);
    const out: Taken[] = [];
    this.lock.lock();
    for (const set of sets) {
      for (let page = set * this.ways; page < (set + 1) * this.ways; page++) {
        if (this.get(C.state.at(page)) !== PageState.DIRTY) continue;
        const chunk = this.get(C.tag.at(page));
        if (only && !only.has(chunk)) continue;
        this.stat(C.pins.at(page));
        out.push({ page, chunk, seq: this.get(C.dirtySeq.at(page)) });
      }
    }
    this.lock.unlock();
    return out;
  }

  /** Taken pages reached the image: clean unless written again since; unpinned either way. */
  wroteBack(taken: readonly Taken[], ok: boolean): void {
    const C = this.C;
    this.lock.lock();
    for (const t of taken) {
      if (ok && this.get(C.dirtySeq.at(t.page)) === t.seq) {
        this.set(C.state.at(t.page), PageState.CLEAN);
        Atomics.sub(this.i32, C.dirtyPages, 1);
        this.stat(C.writtenBack);
      }
      Atomics.sub(this.i32, C.pins.at(t.page), 1);
    }
    this.lock.unlock();
    this.cond.broadcast();
  }
}
