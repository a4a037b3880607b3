// The image's chunks in IndexedDB, as the raw driver uses them: many chunks read in one readonly
// transaction; many chunks written in one readwrite transaction, partial ones read-modify-
// written inside it; and a durable write, which commits the same transaction twice, back to
// back and alone (docs/durability.md). Resolves only once its transaction is finished, so the
// worker may block afterwards.

import { delMany, getMany, setMany } from 'idb-keyval';
import { STORE_CHUNKS, ZERO_CHUNK } from '../../app/shared/block/image-format.ts';
import type { HttpBacking } from './backing.ts';
import { decodeChunk } from './chunk-value.ts';
import { committed, inTransaction, nextTask } from './image-db.ts';
import type { WriteGate } from './write-gate.ts';

/** New bytes for part of a chunk: `bytes`, or zeros when it is undefined. */
export interface Patch {
  at: number;
  len: number;
  bytes?: Uint8Array;
}

/** What a write does to one chunk: replace it whole (null: delete it, it reads as zeros), or
 *  apply patches, in order, to what it holds. A whole chunk owns its buffer, exactly one chunk
 *  long and never shared memory: it is stored as it is. */
export type ChunkWrite = { whole: Uint8Array | null } | { patches: Patch[] };

/** A chunk as a read found it: its bytes (undefined: zeros), and whether the overlay lacked it
 *  and its base gave them, fetched over HTTP for this read. */
export interface ReadChunk {
  bytes: Uint8Array | undefined;
  fromBase: boolean;
  /** The image itself holds a value for it (data, a clean chunk or a tombstone). */
  stored: boolean;
}

/** Base bytes of partially written chunks, fetched before a write's transaction (an overlay). */
export type BaseBytes = ReadonlyMap<number, unknown>;

/** Thrown to abort a transaction on purpose (fault injection): its errno is the result. */
export class AbortedOnPurpose extends Error {
  readonly errno: number;
  constructor(errno: number) {
    super(`transaction aborted on purpose (errno ${errno})`);
    this.errno = errno;
  }
}

export class ChunkStore {
  private readonly db: IDBDatabase;
  readonly chunkSize: number;
  /** An overlay's base: what the overlay lacks is read through to it. */
  private readonly backing: HttpBacking | undefined;

  constructor(db: IDBDatabase, chunkSize: number, backing?: HttpBacking) {
    this.db = db;
    this.chunkSize = chunkSize;
    this.backing = backing;
  }

  private chunkOf(value: unknown, chunk: number): Uint8Array | undefined {
    return decodeChunk(value, chunk, this.chunkSize);
  }

  /**
   * The chunks as the image holds them, an overlay's missing ones fetched from its base (between
   * transactions: one cannot wait for a fetch) unless `base` is false. The data is ours once
   * the gets succeed; the transaction finishes behind this task, and read() waits for that
   * unless `settle` is false: then the caller must pass a task boundary (nextTask) before it
   * blocks — the request path does so after it has published its results.
   */
  async read(
    chunks: readonly number[],
    opts: { base?: boolean; settle?: boolean } = {},
  ): Promise<ReadChunk[]> {
    if (chunks.length === 0) return [];
    const tx = this.db.transaction(STORE_CHUNKS, 'readonly');
    let values = await getMany([...chunks], inTransaction(tx, STORE_CHUNKS));
    const lacking = values.map((v, k) => v === undefined && !!this.backing?.covers(chunks[k]));
    const fromBase = opts.base !== false && !!this.backing && lacking.some(Boolean);
    // Resolving from the base may block (the write gate): the transaction must be finished.
    if (opts.settle !== false || fromBase) await nextTask();
    if (fromBase && this.backing) values = await this.backing.resolveChunks([...chunks], values);
    return values.map((v, k) => ({
      bytes: this.chunkOf(v, chunks[k]),
      fromBase: lacking[k],
      stored: !lacking[k] && v !== undefined,
    }));
  }

  /** For a write to an overlay: the base bytes of the chunks it writes partially (fetched now,
   *  before any transaction or gate), for write() to start from where the overlay lacks them. */
  async baseFor(plan: ReadonlyMap<number, ChunkWrite>): Promise<BaseBytes | undefined> {
    if (!this.backing) return undefined;
    const partial = [...plan].filter(([, w]) => 'patches' in w).map(([chunk]) => chunk);
    return partial.length ? this.backing.ensure(partial) : undefined;
  }

  /** What storing "zeros" for a whole chunk is: a delete, or over a base a tombstone (a delete
   *  would let the base show through). */
  deletes(chunk: number): boolean {
    return !this.backing?.covers(chunk);
  }

  /**
   * Apply `plan` in one readwrite transaction; resolves when it commits. `abortWith`, if it
   * returns an errno, aborts the transaction for real (blkdebug) and rejects with it.
   */
  async write(
    plan: ReadonlyMap<number, ChunkWrite>,
    durability: 'strict' | 'relaxed',
    opts: { abortWith?: () => number; base?: BaseBytes } = {},
  ): Promise<void> {
    const abortWith = opts.abortWith ?? (() => 0);
    if (plan.size === 0) return;
    const tx = this.db.transaction(STORE_CHUNKS, 'readwrite', { durability });
    const store = inTransaction(tx, STORE_CHUNKS);
    const done = committed(tx);
    const partial = [...plan].filter(([, w]) => 'patches' in w).map(([chunk]) => chunk);
    try {
      const old = await getMany(partial, store);
      const puts: [number, ArrayBuffer | typeof ZERO_CHUNK][] = [];
      const dels: number[] = [];
      partial.forEach((chunk, k) => {
        const w = plan.get(chunk);
        if (!w || !('patches' in w)) return;
        // IndexedDB refuses shared memory: every value is a fresh, unshared copy.
        const bytes =
          this.chunkOf(old[k] ?? opts.base?.get(chunk), chunk) ?? new Uint8Array(this.chunkSize);
        for (const p of w.patches) {
          if (p.bytes) bytes.set(p.bytes, p.at);
          else bytes.fill(0, p.at, p.at + p.len);
        }
        puts.push([chunk, bytes.buffer as ArrayBuffer]);
      });
      for (const [chunk, w] of plan) {
        if (!('whole' in w)) continue;
        if (w.whole !== null) puts.push([chunk, w.whole.buffer as ArrayBuffer]);
        else if (this.deletes(chunk)) dels.push(chunk);
        else puts.push([chunk, ZERO_CHUNK]);
      }
      if (puts.length) void setMany(puts, store).catch(() => undefined);
      if (dels.length) void delMany(dels, store).catch(() => undefined);
      const errno = abortWith();
      if (errno) {
        tx.abort();
        await done.catch(() => undefined);
        throw new AbortedOnPurpose(errno);
      }
    } catch (e) {
      if (!(e instanceof AbortedOnPurpose)) {
        try {
          tx.abort();
        } catch {
          // finished already
        }
        await done.catch(() => undefined);
      }
      throw e;
    }
    await done;
  }

  /**
   * A write that survives a power cut: the same transaction committed twice, strict, back to
   * back, with the gate held alone so nothing else is written in between.
   */
  async writeDurably(plan: ReadonlyMap<number, ChunkWrite>, gate: WriteGate): Promise<void> {
    if (plan.size === 0) return;
    const base = await this.baseFor(plan);
    gate.enterExclusive();
    try {
      await this.commitTwice(plan, base);
    } finally {
      gate.leaveExclusive();
    }
  }

  /**
   * writeDurably() for a caller that holds the gate alone. A chunk to delete is first made
   * durably zero — deleting what is already gone writes nothing, so a second delete would not
   * stand in for a lost first one — then deleted in a relaxed transaction, whose loss leaves
   * those zeros: the same bytes.
   */
  async commitTwice(plan: ReadonlyMap<number, ChunkWrite>, base?: BaseBytes): Promise<void> {
    const zeros = new Uint8Array(this.chunkSize);
    const deletes = [...plan].filter(
      ([chunk, w]) => 'whole' in w && w.whole === null && this.deletes(chunk),
    );
    const durable = new Map<number, ChunkWrite>(plan);
    for (const [chunk] of deletes) durable.set(chunk, { whole: zeros });
    await this.write(durable, 'strict', { base });
    await this.write(durable, 'strict', { base });
    if (deletes.length) await this.write(new Map(deletes), 'relaxed');
  }
}
