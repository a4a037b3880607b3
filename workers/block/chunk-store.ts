// The image's chunks in IndexedDB, as the raw driver uses them: many chunks read in one readonly
// transaction; many chunks written in one readwrite transaction, partial ones read-modify-
// written inside it; and a durable write, which commits the same transaction twice, back to
// back and alone (docs/durability.md). Resolves only once its transaction is finished, so the
// worker may block afterwards.

import { delMany, getMany, setMany } from 'idb-keyval';
import { STORE_CHUNKS } from '../../app/shared/image-format.ts';
import { committed, inTransaction } from './image-db.ts';
import type { WriteGate } from './write-gate.ts';

/** New bytes for part of a chunk: `bytes`, or zeros when it is undefined. */
export interface Patch {
  at: number;
  len: number;
  bytes?: Uint8Array;
}

/** What a write does to one chunk: replace it whole (null: delete it, it reads as zeros), or
 *  apply patches, in order, to what it holds. */
export type ChunkWrite = { whole: Uint8Array | null } | { patches: Patch[] };

/** Thrown to abort a transaction on purpose (fault injection): its errno is the result. */
export class AbortedOnPurpose extends Error {
  readonly errno: number;
  constructor(errno: number) {
    super(`transaction aborted on purpose (errno ${errno})`);
    this.errno = errno;
  }
}

/** One task boundary: a transaction whose last callback ran in this task is finished after it. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

export class ChunkStore {
  private readonly db: IDBDatabase;
  readonly chunkSize: number;

  constructor(db: IDBDatabase, chunkSize: number) {
    this.db = db;
    this.chunkSize = chunkSize;
  }

  private chunkOf(value: unknown, chunk: number): Uint8Array | undefined {
    if (value === undefined) return undefined;
    if (!(value instanceof ArrayBuffer) || value.byteLength !== this.chunkSize) {
      throw new Error(
        `chunk ${chunk} holds ${Object.prototype.toString.call(value)} ` +
          `of ${(value as { byteLength?: number })?.byteLength} bytes, not ${this.chunkSize}`,
      );
    }
    return new Uint8Array(value);
  }

  /** The chunks as the image holds them (undefined: never written, reads as zeros). */
  async read(chunks: readonly number[]): Promise<(Uint8Array | undefined)[]> {
    if (chunks.length === 0) return [];
    const tx = this.db.transaction(STORE_CHUNKS, 'readonly');
    const values = await getMany([...chunks], inTransaction(tx, STORE_CHUNKS));
    // The data is ours once the gets succeed; the transaction finishes behind this task.
    await nextTask();
    return values.map((v, k) => this.chunkOf(v, chunks[k]));
  }

  /**
   * Apply `plan` in one readwrite transaction; resolves when it commits. `abortWith`, if it
   * returns an errno, aborts the transaction for real (blkdebug) and rejects with it.
   */
  async write(
    plan: ReadonlyMap<number, ChunkWrite>,
    durability: 'strict' | 'relaxed',
    abortWith: () => number = () => 0,
  ): Promise<void> {
    if (plan.size === 0) return;
    const tx = this.db.transaction(STORE_CHUNKS, 'readwrite', { durability });
    const store = inTransaction(tx, STORE_CHUNKS);
    const done = committed(tx);
    const partial = [...plan].filter(([, w]) => 'patches' in w).map(([chunk]) => chunk);
    try {
      const old = await getMany(partial, store);
      const puts: [number, ArrayBuffer][] = [];
      const dels: number[] = [];
      partial.forEach((chunk, k) => {
        const w = plan.get(chunk);
        if (!w || !('patches' in w)) return;
        // IndexedDB refuses shared memory: every value is a fresh, unshared copy.
        const bytes = this.chunkOf(old[k], chunk) ?? new Uint8Array(this.chunkSize);
        for (const p of w.patches) {
          if (p.bytes) bytes.set(p.bytes, p.at);
          else bytes.fill(0, p.at, p.at + p.len);
        }
        puts.push([chunk, bytes.buffer as ArrayBuffer]);
      });
      for (const [chunk, w] of plan) {
        if (!('whole' in w)) continue;
        if (w.whole === null) dels.push(chunk);
        else puts.push([chunk, w.whole.slice().buffer as ArrayBuffer]);
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
    gate.enterExclusive();
    try {
      await this.commitTwice(plan);
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
  async commitTwice(plan: ReadonlyMap<number, ChunkWrite>): Promise<void> {
    const zeros = new Uint8Array(this.chunkSize);
    const deletes = [...plan].filter(([, w]) => 'whole' in w && w.whole === null);
    const durable = new Map<number, ChunkWrite>(plan);
    for (const [chunk] of deletes) durable.set(chunk, { whole: zeros });
    await this.write(durable, 'strict');
    await this.write(durable, 'strict');
    if (deletes.length) await this.write(new Map(deletes), 'relaxed');
  }
}
