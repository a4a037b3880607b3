// The raw format driver's I/O, run by an AIO worker (cf. handle_aiocb_rw() and friends in
// block/file-posix.c): a batch of requests of one kind — reads, or writes — served together,
// through the page cache when there is one, in as few IndexedDB transactions as they need; each
// request gets its own result, bytes >= 0 or -errno, and only once its data is where its cache
// mode says. A flush makes every write completed before it survive a power cut (durability.md).

import {
  BLOCK_OP_NAMES,
  BlockOp,
  type BlockRequest,
  type CacheMode,
} from '../../app/shared/block.ts';
import type { AioImageParams } from '../../app/shared/contracts.ts';
import { Errno, errnoName } from '../../app/shared/errno.ts';
import { isZeroChunk } from '../../app/shared/image-format.ts';
import type { Control } from '../../app/shared/layout.ts';
import { HttpBacking } from './backing.ts';
import { chunkPieces, type ChunkPiece } from './chunk-map.ts';
import { AbortedOnPurpose, ChunkStore, type ChunkWrite, type ReadChunk } from './chunk-store.ts';
import { writeMeta } from './image-db.ts';
import { IoVector } from './iov.ts';
import type { PageCache, Pinned, Taken } from './page-cache.ts';
import { UnsyncedChunks } from './unsynced.ts';
import { WriteGate } from './write-gate.ts';

/** Map a storage failure to -errno: a full quota is ENOSPC, anything else EIO. */
export function errnoOfStorageError(e: unknown): number {
  if (e instanceof AbortedOnPurpose) return -e.errno;
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') return -Errno.ENOSPC;
  return -Errno.EIO;
}

/** Chunks written back per transaction pair: well under one memtable (4 MiB) for both copies. */
const WRITEBACK_CHUNKS = 16;

interface Job {
  req: BlockRequest;
  data: IoVector;
  pieces: ChunkPiece[];
}

export class RawImage {
  private readonly name: string;
  private readonly chunkSize: number;
  private readonly virtualSize: number;
  private readonly cacheMode: CacheMode;
  private readonly ctl: Control;
  private readonly store: ChunkStore;
  private readonly cache: PageCache | undefined;
  private readonly gate: WriteGate;
  private readonly unsynced: UnsyncedChunks;
  private readonly db: IDBDatabase;
  /** An overlay's base over HTTP; undefined for a plain image. */
  private readonly backing: HttpBacking | undefined;

  constructor(
    db: IDBDatabase,
    image: AioImageParams,
    cacheMode: CacheMode,
    ctl: Control,
    cache: PageCache | undefined,
  ) {
    this.db = db;
    this.name = image.name;
    this.chunkSize = image.chunkSize;
    this.virtualSize = image.virtualSize;
    this.cacheMode = cacheMode;
    this.ctl = ctl;
    this.cache = cache;
    this.gate = new WriteGate(ctl);
    this.unsynced = new UnsyncedChunks(ctl);
    const { backing } = image;
    this.backing = backing ? new HttpBacking(db, { ...image, backing }, ctl, this.gate) : undefined;
    this.store = new ChunkStore(db, image.chunkSize, this.backing);
  }

  /** The page cache, if this image has one and it is switched on. */
  private cached(): PageCache | undefined {
    return Atomics.load(this.ctl.i32, this.ctl.L.aio.pageCache) ? this.cache : undefined;
  }

  private count(index: number, n = 1): void {
    Atomics.add(this.ctl.i32, index, n);
  }

  /** Perform a batch (one kind of request, as the pool took them), data in `mem`. */
  async run(reqs: readonly BlockRequest[], mem: Uint8Array): Promise<number[]> {
    const rets = new Array<number>(reqs.length).fill(0);
    const jobs: [number, Job][] = [];
    reqs.forEach((req, k) => {
      const bad = this.check(req);
      if (bad) rets[k] = bad;
      else {
        try {
          const data = new IoVector(mem, req.iov);
          jobs.push([
            k,
            { req, data, pieces: chunkPieces(req.byteOffset, req.nbytes, this.chunkSize) },
          ]);
        } catch (e) {
          console.error(`image "${this.name}": ${(e as Error).message}`);
          rets[k] = -Errno.EFAULT;
        }
      }
    });
    if (jobs.length === 0) return rets;
    const op = jobs[0][1].req.op;
    try {
      // blkdebug: one armed rule fails this batch's transaction, and so all its requests.
      const injected = jobs.map(([, j]) => this.injected(j.req.op)).find((e) => e !== 0) ?? 0;
      if (op === BlockOp.READ) {
        if (injected) throw new AbortedOnPurpose(injected);
        await this.read(jobs.map(([, j]) => j));
      } else if (op === BlockOp.FLUSH) {
        const ret = await this.flush(injected);
        for (const [k] of jobs) rets[k] = ret;
        return rets;
      } else if (op === BlockOp.WRITEBACK) {
        await this.writeBackAll();
      } else {
        await this.write(
          jobs.map(([, j]) => j),
          injected,
        );
      }
      for (const [k, j] of jobs) rets[k] = j.req.nbytes;
    } catch (e) {
      const errno = errnoOfStorageError(e);
      if (!(e instanceof AbortedOnPurpose)) {
        console.error(
          `image "${this.name}": ${BLOCK_OP_NAMES[op]} failed with ${errnoName(errno)}`,
          e,
        );
      }
      for (const [k] of jobs) rets[k] = errno;
    }
    return rets;
  }

  private check(req: BlockRequest): number {
    if (req.op === BlockOp.FLUSH || req.op === BlockOp.WRITEBACK) return 0;
    const end = req.byteOffset + req.nbytes;
    if (req.byteOffset < 0 || req.nbytes < 0 || end > this.virtualSize) return -Errno.EINVAL;
    return 0;
  }

  /** blkdebug: the errno to fail this op with if a rule is armed (using one shot), else 0. */
  private injected(op: BlockOp): number {
    const { i32, L } = this.ctl;
    if ((Atomics.load(i32, L.image.injectOps) & (1 << op)) === 0) return 0;
    if (Atomics.sub(i32, L.image.injectRemaining, 1) <= 0) {
      Atomics.add(i32, L.image.injectRemaining, 1);
      return 0;
    }
    return Atomics.load(i32, L.image.injectErrno);
  }

  // ---- reads ----

  private async read(jobs: readonly Job[]): Promise<void> {
    const chunks = [...new Set(jobs.flatMap((j) => j.pieces.map((p) => p.chunkIndex)))];
    const cache = this.cached();
    // A read may go around the cache when its set has no room: nothing stale is kept by it.
    const pinned: Pinned[] = cache
      ? cache.pin(chunks)
      : chunks.map((chunk) => ({ chunk, page: -1, claimed: false, fill: false }));
    const fromImage = pinned.filter((p) => p.page < 0 || p.fill);
    let values: ReadChunk[] = [];
    try {
      if (fromImage.length) {
        // The worker passes a task boundary after completing the batch (PoolIo.settle).
        values = await this.store.read(
          fromImage.map((p) => p.chunk),
          { settle: false },
        );
        this.count(this.ctl.L.aio.readTx);
        this.count(this.ctl.L.aio.readTxRequests, jobs.length);
      }
    } catch (e) {
      cache?.release(pinned);
      throw e;
    }
    const source = new Map<number, Uint8Array | undefined>();
    const baseChunks = new Set<number>();
    fromImage.forEach((p, k) => {
      const { bytes, fromBase } = values[k];
      if (fromBase) baseChunks.add(p.chunk);
      if (p.page >= 0 && cache) {
        const page = cache.bytes(p.page);
        if (bytes) page.set(bytes);
        else page.fill(0);
      } else {
        source.set(p.chunk, bytes);
      }
    });
    for (const p of pinned) if (p.page >= 0 && cache) source.set(p.chunk, cache.bytes(p.page));
    let fromBase = 0;
    let local = 0;
    for (const j of jobs) {
      for (const piece of j.pieces) {
        const chunk = source.get(piece.chunkIndex);
        if (chunk) j.data.copyIn(piece.offsetInRequest, chunk, piece.offsetInChunk, piece.nbytes);
        else j.data.zero(piece.offsetInRequest, piece.nbytes);
        if (baseChunks.has(piece.chunkIndex)) fromBase += piece.nbytes;
        else local += piece.nbytes;
      }
    }
    if (this.backing) {
      // An overlay's reads: bytes its base gave (now or earlier), and bytes it held itself.
      const { i64, L } = this.ctl;
      Atomics.add(i64, L.image.baseReadBytes, BigInt(fromBase));
      Atomics.add(i64, L.image.overlayReadBytes, BigInt(local));
    }
    if (cache) {
      for (const p of pinned) if (p.claimed) cache.filled(p.page, true);
      cache.unpin(pinned.filter((p) => p.page >= 0).map((p) => p.page));
    }
  }

  // ---- writes ----

  /** What the batch does to each chunk, request by request (a later request's bytes win). */
  private planOf(jobs: readonly Job[]): Map<number, ChunkWrite> {
    const plan = new Map<number, ChunkWrite>();
    for (const j of jobs) {
      for (const p of j.pieces) {
        let bytes: Uint8Array | undefined;
        if (j.req.op === BlockOp.WRITE) {
          bytes = new Uint8Array(p.nbytes);
          j.data.copyOut(p.offsetInRequest, bytes, 0, p.nbytes);
        }
        const w = plan.get(p.chunkIndex);
        if (p.nbytes === this.chunkSize) {
          plan.set(p.chunkIndex, { whole: bytes ?? null });
        } else if (w && 'whole' in w) {
          // On top of a whole chunk: the result is a whole chunk again.
          const full = w.whole ?? new Uint8Array(this.chunkSize);
          if (bytes) full.set(bytes, p.offsetInChunk);
          else full.fill(0, p.offsetInChunk, p.offsetInChunk + p.nbytes);
          plan.set(p.chunkIndex, { whole: full });
        } else {
          const patch = { at: p.offsetInChunk, len: p.nbytes, bytes };
          if (w) w.patches.push(patch);
          else plan.set(p.chunkIndex, { patches: [patch] });
        }
      }
    }
    return plan;
  }

  private strict(): boolean {
    return this.cacheMode === 'writethrough' || this.cacheMode === 'directsync';
  }

  private async write(jobs: readonly Job[], injected: number): Promise<void> {
    const plan = this.planOf(jobs);
    if (injected) {
      // A failed write really aborts its transaction: nothing of it reaches the image.
      await this.store.write(plan, 'relaxed', { abortWith: () => injected });
      return;
    }
    const cache = this.cached();
    if (cache) {
      await this.writeToCache(cache, plan);
      if (this.strict()) await this.writeBack(cache, [...plan.keys()]);
      return;
    }
    if (this.strict()) {
      await this.store.writeDurably(plan, this.gate);
      this.count(this.ctl.L.aio.durableTx, 2);
    } else {
      // Relaxed: durable only once a flush commits these chunks again (they are noted unsynced).
      const base = await this.store.baseFor(plan);
      this.gate.enterShared();
      try {
        await this.store.write(plan, 'relaxed', { base });
        this.unsynced.add([...plan.keys()]);
      } finally {
        this.gate.leaveShared();
      }
      this.count(this.ctl.L.aio.writeTx);
    }
    this.count(this.ctl.L.aio.writeTxRequests, jobs.length);
  }

  /**
   * Put the plan's bytes in the cache's pages, reading partially written chunks from the image
   * first. Every write goes through the cache: a set with no room has its dirty pages written
   * back (or waits for pins to drop), holding no pin meanwhile, then is tried again.
   */
  private async writeToCache(
    cache: PageCache,
    plan: ReadonlyMap<number, ChunkWrite>,
  ): Promise<void> {
    const whole = new Set([...plan].filter(([, w]) => 'whole' in w).map(([c]) => c));
    for (const round of roundsBySet([...plan.keys()], cache)) {
      let pinned: Pinned[];
      for (;;) {
        pinned = cache.pin(round, whole);
        const full = pinned.filter((p) => p.page < 0).map((p) => p.chunk);
        if (full.length === 0) break;
        cache.release(pinned);
        if (cache.dirtyIn(full)) await this.writeBack(cache, full, { sets: true });
        else cache.waitForRoom();
      }
      const fill = pinned.filter((p) => p.fill);
      try {
        const values = await this.store.read(fill.map((p) => p.chunk));
        if (fill.length) this.count(this.ctl.L.aio.readTx);
        fill.forEach((p, k) => {
          const page = cache.bytes(p.page);
          const { bytes } = values[k];
          if (bytes) page.set(bytes);
          else page.fill(0);
        });
      } catch (e) {
        cache.release(pinned);
        throw e;
      }
      for (const p of pinned) {
        const w = plan.get(p.chunk);
        const page = cache.bytes(p.page);
        if (!w) continue;
        if ('whole' in w) {
          if (w.whole) page.set(w.whole);
          else page.fill(0);
        } else {
          for (const patch of w.patches) {
            if (patch.bytes) page.set(patch.bytes, patch.at);
            else page.fill(0, patch.at, patch.at + patch.len);
          }
        }
      }
      const pages = pinned.map((p) => p.page);
      cache.dirtied(pages);
      cache.unpin(pages);
    }
  }

  /**
   * Write dirty pages back, durably: all of them, or those of `chunks` (with `sets`: every dirty
   * page of their sets, to make room), WRITEBACK_CHUNKS per transaction pair.
   */
  private async writeBack(
    cache: PageCache,
    chunks?: readonly number[],
    opts: { sets?: boolean } = {},
  ): Promise<void> {
    cache.beginWriteback();
    try {
      const taken = cache.takeDirty(chunks ? { chunks, sets: opts.sets } : {});
      for (let k = 0; k < taken.length; k += WRITEBACK_CHUNKS) {
        await this.writeBackPages(cache, taken.slice(k, k + WRITEBACK_CHUNKS));
      }
    } finally {
      cache.endWriteback();
    }
  }

  private async writeBackPages(cache: PageCache, taken: readonly Taken[]): Promise<void> {
    const plan = new Map<number, ChunkWrite>();
    for (const t of taken) {
      const bytes = cache.bytes(t.page);
      plan.set(t.chunk, { whole: isZeroChunk(bytes) ? null : bytes.slice() });
    }
    let ok = false;
    try {
      if (this.cacheMode === 'unsafe') await this.store.write(plan, 'relaxed');
      else await this.store.writeDurably(plan, this.gate);
      this.count(this.ctl.L.aio.durableTx, this.cacheMode === 'unsafe' ? 1 : 2);
      ok = true;
    } finally {
      cache.wroteBack(taken, ok);
    }
  }

  private async writeBackAll(): Promise<void> {
    const cache = this.cache;
    if (cache) await this.writeBack(cache);
  }

  // ---- flush ----

  /**
   * Make every write completed before now survive a power cut: the dirty pages written back
   * durably, then every chunk a relaxed transaction wrote since the last flush committed again,
   * durably, then the flush generation. A failed flush poisons the image: every later flush
   * fails too (QEMU's page_cache_inconsistent).
   */
  private async flush(injected: number): Promise<number> {
    if (this.cacheMode === 'unsafe') return 0;
    const { i32, L } = this.ctl;
    if (Atomics.load(i32, L.image.flushPoisoned)) return -Errno.EIO;
    const taken: number[] = [];
    try {
      if (injected) throw new AbortedOnPurpose(injected);
      if (this.cache) await this.writeBack(this.cache);
      this.gate.enterExclusive();
      try {
        taken.push(...this.unsynced.take());
        for (let k = 0; k < taken.length; k += WRITEBACK_CHUNKS) {
          // Commit again what the image holds now (nothing else writes meanwhile: the gate).
          const chunks = taken.slice(k, k + WRITEBACK_CHUNKS);
          const values = await this.store.read(chunks, { base: false });
          const again = new Map<number, ChunkWrite>();
          chunks.forEach((c, j) => {
            if (values[j].stored) again.set(c, { patches: [] });
            // Gone: deleted by a relaxed write; over a base it would be a tombstone, not gone.
            else if (this.store.deletes(c)) again.set(c, { whole: null });
          });
          await this.store.commitTwice(again);
          this.count(L.aio.durableTx, 2);
        }
        await writeMeta(this.db, (meta) => ({ ...meta, generation: meta.generation + 1 }));
      } finally {
        this.gate.leaveExclusive();
      }
      return 0;
    } catch (e) {
      // What was not made durable stays noted, for whoever flushes next (it will fail: poisoned).
      this.unsynced.add(taken);
      Atomics.store(i32, L.image.flushPoisoned, 1);
      throw e;
    }
  }
}

/** The chunks in rounds that pin at most one set's worth of pages per set at a time. */
function roundsBySet(chunks: readonly number[], cache: PageCache): number[][] {
  const rounds: number[][] = [];
  const used = new Map<number, number>();
  for (const chunk of chunks) {
    const set = cache.setOf(chunk);
    const n = used.get(set) ?? 0;
    used.set(set, n + 1);
    const round = Math.floor(n / cache.setSize);
    (rounds[round] ??= []).push(chunk);
  }
  return rounds;
}
