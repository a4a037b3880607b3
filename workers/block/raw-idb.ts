// The raw format driver's I/O, run by an AIO worker (cf. handle_aiocb_rw() and friends in
// block/file-posix.c): one request is one IndexedDB transaction, read-modify-write of partial
// chunks included, and it completes only when that transaction commits. Returns bytes >= 0 or
// -errno; never throws.

import { delMany, getMany, setMany } from 'idb-keyval';
import {
  BLOCK_OP_NAMES,
  BlockOp,
  type BlockRequest,
  type CacheMode,
} from '../../app/shared/block.ts';
import type { AioImageParams } from '../../app/shared/contracts.ts';
import { Errno, errnoName } from '../../app/shared/errno.ts';
import {
  META_KEY,
  STORE_CHUNKS,
  STORE_META,
  ZERO_CHUNK,
  type ImageMeta,
} from '../../app/shared/image-format.ts';
import type { Control } from '../../app/shared/layout.ts';
import { HttpBacking } from './backing.ts';
import { chunkPieces } from './chunk-map.ts';
import { decodeChunk } from './chunk-value.ts';
import { committed, inTransaction } from './image-db.ts';
import { IoVector } from './iov.ts';

/** Map a storage failure to -errno: a full quota is ENOSPC, anything else EIO. */
export function errnoOfStorageError(e: unknown): number {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') return -Errno.ENOSPC;
  return -Errno.EIO;
}

class InjectedError extends Error {
  readonly errno: number;
  constructor(errno: number, op: BlockOp) {
    super(`blkdebug: injected ${errnoName(errno)} into ${BLOCK_OP_NAMES[op]}`);
    this.errno = errno;
  }
}

export class RawImage {
  private readonly db: IDBDatabase;
  private readonly chunkSize: number;
  private readonly virtualSize: number;
  private readonly cache: CacheMode;
  private readonly ctl: Control;
  private readonly name: string;
  /** An overlay's base over HTTP; undefined for a plain image. */
  private readonly backing: HttpBacking | undefined;

  constructor(db: IDBDatabase, image: AioImageParams, cache: CacheMode, ctl: Control) {
    this.db = db;
    this.name = image.name;
    this.chunkSize = image.chunkSize;
    this.virtualSize = image.virtualSize;
    this.cache = cache;
    this.ctl = ctl;
    const { backing } = image;
    this.backing = backing ? new HttpBacking(db, { ...image, backing }, ctl) : undefined;
  }

  /** A read's transaction may still be active: the task that answered it has not ended. */
  private openTransaction = false;

  /** Resolves once no transaction of this image is active on this thread. */
  settle(): Promise<void> {
    if (!this.openTransaction) return Promise.resolve();
    this.openTransaction = false;
    // A transaction stops being active when the task that ran its last callback ends; with no
    // requests left it then commits on its own. One task boundary is enough.
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      ch.port2.postMessage(null);
    });
  }

  /** Perform one request against the image, with its data in `mem`. */
  async run(req: BlockRequest, mem: Uint8Array): Promise<number> {
    try {
      if (req.op !== BlockOp.FLUSH) {
        const end = req.byteOffset + req.nbytes;
        if (req.byteOffset < 0 || req.nbytes < 0 || end > this.virtualSize) return -Errno.EINVAL;
      }
      switch (req.op) {
        case BlockOp.READ:
          return await this.preadv(req, new IoVector(mem, req.iov));
        case BlockOp.WRITE:
          return await this.pwritev(req, new IoVector(mem, req.iov));
        case BlockOp.DISCARD:
        case BlockOp.WRITE_ZEROES:
          return await this.zeroRange(req);
        case BlockOp.FLUSH:
          return await this.flush();
        default:
          return -Errno.EINVAL;
      }
    } catch (e) {
      if (e instanceof InjectedError) return -e.errno;
      if (e instanceof RangeError) {
        console.error(`image "${this.name}": ${e.message}`);
        return -Errno.EFAULT;
      }
      console.error(`image "${this.name}": ${BLOCK_OP_NAMES[req.op]} failed`, e);
      return errnoOfStorageError(e);
    }
  }

  /** blkdebug: throw an injected error if a rule for this op is armed (and use one shot). */
  private injected(op: BlockOp): number {
    const { i32, L } = this.ctl;
    if ((Atomics.load(i32, L.image.injectOps) & (1 << op)) === 0) return 0;
    if (Atomics.sub(i32, L.image.injectRemaining, 1) <= 0) {
      Atomics.add(i32, L.image.injectRemaining, 1);
      return 0;
    }
    return Atomics.load(i32, L.image.injectErrno);
  }

  /** BACKING (where a chunk is read): data, an overlay's clean chunk, or zeros. */
  private chunkOf(value: unknown, chunkIndex: number): Uint8Array | undefined {
    return decodeChunk(value, chunkIndex, this.chunkSize);
  }

  private async preadv(req: BlockRequest, data: IoVector): Promise<number> {
    const errno = this.injected(req.op);
    if (errno) throw new InjectedError(errno, req.op);
    const pieces = chunkPieces(req.byteOffset, req.nbytes, this.chunkSize);
    if (pieces.length === 0) return 0;
    const tx = this.db.transaction(STORE_CHUNKS, 'readonly');
    // The data is ours once the gets succeed; the transaction commits behind the answer. The
    // worker must not block before it has (see settle()): an open transaction would hold its
    // store until the worker woke again.
    this.openTransaction = true;
    let values = await getMany(
      pieces.map((p) => p.chunkIndex),
      inTransaction(tx, STORE_CHUNKS),
    );
    // BACKING: what the overlay lacks comes from the base, after this transaction.
    if (this.backing) values = await this.backing.resolve(pieces, values);
    pieces.forEach((p, k) => {
      const chunk = this.chunkOf(values[k], p.chunkIndex);
      if (chunk) data.copyIn(p.offsetInRequest, chunk, p.offsetInChunk, p.nbytes);
      else data.zero(p.offsetInRequest, p.nbytes);
    });
    return req.nbytes;
  }

  private writeTransaction(): IDBTransaction {
    const strict = this.cache === 'writethrough' || this.cache === 'directsync';
    return this.db.transaction(STORE_CHUNKS, 'readwrite', {
      durability: strict ? 'strict' : 'relaxed',
    });
  }

  /** Finish a write transaction: commit, or abort it for real if blkdebug says so. */
  private async commit(tx: IDBTransaction, op: BlockOp): Promise<void> {
    const errno = this.injected(op);
    const done = committed(tx);
    if (errno) {
      tx.abort();
      await done.catch(() => undefined);
      throw new InjectedError(errno, op);
    }
    await done;
  }

  private async pwritev(req: BlockRequest, data: IoVector): Promise<number> {
    const pieces = chunkPieces(req.byteOffset, req.nbytes, this.chunkSize);
    if (pieces.length === 0) return 0;
    const partial = pieces.filter((p) => p.nbytes !== this.chunkSize);
    // BACKING: a partial chunk's other bytes come from the base, fetched before the transaction.
    const base = await this.backing?.ensure(partial.map((p) => p.chunkIndex));
    const tx = this.writeTransaction();
    const store = inTransaction(tx, STORE_CHUNKS);
    // Read-modify-write of partial chunks happens inside the same transaction.
    const old = await getMany(
      partial.map((p) => p.chunkIndex),
      store,
    );
    const oldByIndex = new Map(
      partial.map((p, k) => [p.chunkIndex, old[k] ?? base?.get(p.chunkIndex)]),
    );
    const entries: [number, ArrayBuffer][] = pieces.map((p) => {
      // IndexedDB refuses shared memory: every value is a fresh, unshared copy.
      const chunk =
        this.chunkOf(oldByIndex.get(p.chunkIndex), p.chunkIndex) ?? new Uint8Array(this.chunkSize);
      data.copyOut(p.offsetInRequest, chunk, p.offsetInChunk, p.nbytes);
      return [p.chunkIndex, chunk.buffer as ArrayBuffer];
    });
    void setMany(entries, store).catch(() => undefined);
    await this.commit(tx, req.op);
    return req.nbytes;
  }

  /** Discard and write-zeroes: whole chunks are deleted (sparse), partial ones zeroed. */
  private async zeroRange(req: BlockRequest): Promise<number> {
    const pieces = chunkPieces(req.byteOffset, req.nbytes, this.chunkSize);
    const partial = pieces.filter((p) => p.nbytes !== this.chunkSize);
    // BACKING: as for a write, a partial chunk needs the base's bytes first.
    const base = await this.backing?.ensure(partial.map((p) => p.chunkIndex));
    const tx = this.writeTransaction();
    const store = inTransaction(tx, STORE_CHUNKS);
    const whole = pieces.filter((p) => p.nbytes === this.chunkSize);
    const old = await getMany(
      partial.map((p) => p.chunkIndex),
      store,
    );
    const updates: [number, ArrayBuffer | typeof ZERO_CHUNK][] = [];
    partial.forEach((p, k) => {
      const chunk = this.chunkOf(old[k] ?? base?.get(p.chunkIndex), p.chunkIndex);
      if (!chunk) return; // already reads as zeros
      chunk.fill(0, p.offsetInChunk, p.offsetInChunk + p.nbytes);
      updates.push([p.chunkIndex, chunk.buffer as ArrayBuffer]);
    });
    // BACKING (where a chunk is deleted): over a base, a tombstone, or the base would show.
    const backing = this.backing;
    const tombstones = backing ? whole.filter((p) => backing.covers(p.chunkIndex)) : [];
    const deleted = backing ? whole.filter((p) => !backing.covers(p.chunkIndex)) : whole;
    for (const p of tombstones) updates.push([p.chunkIndex, ZERO_CHUNK]);
    if (deleted.length)
      void delMany(
        deleted.map((p) => p.chunkIndex),
        store,
      ).catch(() => undefined);
    if (updates.length) void setMany(updates, store).catch(() => undefined);
    await this.commit(tx, req.op);
    return req.nbytes;
  }

  /**
   * Make every completed write durable: a strict transaction that bumps the generation. A
   * failed flush poisons the image, so every later flush fails too (page_cache_inconsistent).
   */
  private async flush(): Promise<number> {
    if (this.cache === 'unsafe') return 0;
    const { i32, L } = this.ctl;
    if (Atomics.load(i32, L.image.flushPoisoned)) return -Errno.EIO;
    try {
      const tx = this.db.transaction(STORE_META, 'readwrite', { durability: 'strict' });
      const store = tx.objectStore(STORE_META);
      const get = store.get(META_KEY);
      get.onsuccess = () => {
        const meta = get.result as ImageMeta | undefined;
        if (meta) store.put({ ...meta, generation: meta.generation + 1 }, META_KEY);
      };
      await this.commit(tx, BlockOp.FLUSH);
      return 0;
    } catch (e) {
      Atomics.store(i32, L.image.flushPoisoned, 1);
      throw e;
    }
  }
}
