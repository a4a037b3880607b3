// An overlay's base image over HTTP (cf. qcow2's backing file, CheerpX's OverlayDevice): a chunk
// the overlay does not hold is fetched with a Range request for its aligned piece of fetchBytes
// and kept in the overlay as a clean chunk, so each piece is fetched once. The base is only read.

import { getMany, setMany } from 'idb-keyval';
import { BackingFault, isPoisoning } from '../../app/shared/block/backing-fault.ts';
import type { AioImageParams } from '../../app/shared/contracts.ts';
import {
  STORE_CHUNKS,
  type BackingMeta,
  type CleanChunk,
} from '../../app/shared/block/image-format.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import { committed, inTransaction, nextTask } from './image-db.ts';
import type { WriteGate } from './write-gate.ts';

class BaseError extends Error {
  readonly fault: BackingFault;
  constructor(fault: BackingFault, message: string) {
    super(message);
    this.fault = fault;
  }
}

export class HttpBacking {
  private readonly db: IDBDatabase;
  private readonly ctl: Control;
  private readonly base: BackingMeta;
  private readonly name: string;
  private readonly chunkSize: number;
  /** Chunks that lie (at least partly) over the base; those past it read as zeros. */
  private readonly baseChunks: number;
  private readonly chunksPerPiece: number;

  /** Clean chunks are written like any relaxed write: through the gate, with the others. */
  private readonly gate: WriteGate;

  constructor(
    db: IDBDatabase,
    image: AioImageParams & { backing: BackingMeta },
    ctl: Control,
    gate: WriteGate,
  ) {
    this.db = db;
    this.ctl = ctl;
    this.gate = gate;
    this.base = image.backing;
    this.name = image.name;
    this.chunkSize = image.chunkSize;
    this.baseChunks = Math.ceil(this.base.extent / this.chunkSize);
    this.chunksPerPiece = this.base.fetchBytes / this.chunkSize;
  }

  /** Whether a zeroed chunk must be kept as a tombstone (deleting it would show the base). */
  covers(chunkIndex: number): boolean {
    return chunkIndex < this.baseChunks;
  }

  /**
   * A read found `values` for `chunks` in the overlay: fetch the missing ones the base covers,
   * keep them clean, and return every value, the overlay's winning where one arrived meanwhile.
   */
  async resolveChunks(chunks: number[], values: unknown[]): Promise<unknown[]> {
    const missing = chunks.filter((c, k) => values[k] === undefined && this.covers(c));
    if (missing.length === 0) return values;
    const found = await this.fill(missing);
    return chunks.map((c, k) => values[k] ?? found.get(c));
  }

  /**
   * Before a read-modify-write transaction: fetch the base's bytes of these chunks if the overlay
   * lacks them. Returns what it fetched, for the transaction to use if the overlay still lacks
   * a chunk then (keeping it clean may have failed on a full quota): never zeros instead.
   */
  async ensure(chunkIndexes: number[]): Promise<Map<number, unknown>> {
    const over = chunkIndexes.filter((c) => this.covers(c));
    if (over.length === 0) return new Map();
    const tx = this.db.transaction(STORE_CHUNKS, 'readonly');
    const have = await getMany(over, inTransaction(tx, STORE_CHUNKS));
    // The caller may block next (the write gate): let this transaction finish first.
    await nextTask();
    const missing = over.filter((_, k) => have[k] === undefined);
    return missing.length ? this.fill(missing) : new Map();
  }

  /** Fetch the pieces holding `chunkIndexes`, each once; the values now in the overlay. */
  private async fill(chunkIndexes: number[]): Promise<Map<number, unknown>> {
    const pieces = [...new Set(chunkIndexes.map((c) => Math.floor(c / this.chunksPerPiece)))];
    const maps = await Promise.all(pieces.map((p) => this.fetchPiece(p)));
    return new Map(maps.flatMap((m) => [...m]));
  }

  /** One piece, under a Web Lock so that two workers never fetch the same piece. */
  private fetchPiece(piece: number): Promise<Map<number, unknown>> {
    const first = piece * this.chunksPerPiece;
    const end = Math.min(first + this.chunksPerPiece, this.baseChunks);
    const indexes = Array.from({ length: end - first }, (_, k) => first + k);
    return navigator.locks.request(`webaio-fetch:${this.name}:${piece}`, async () => {
      // Another worker may have fetched it while this one waited for the lock.
      const before = await getMany(
        indexes,
        inTransaction(this.db.transaction(STORE_CHUNKS, 'readonly'), STORE_CHUNKS),
      );
      await nextTask();
      if (before.every((v) => v !== undefined))
        return new Map(indexes.map((c, k) => [c, before[k]]));
      const start = first * this.chunkSize;
      const bytes = await this.fetchRange(start, Math.min(end * this.chunkSize, this.base.extent));
      const fetched = indexes.map((_, k) => {
        // The last chunk over the base may be partly past it: the rest reads as zeros.
        const chunk = new Uint8Array(this.chunkSize);
        chunk.set(bytes.subarray(k * this.chunkSize, (k + 1) * this.chunkSize));
        return { clean: chunk.buffer } satisfies CleanChunk;
      });
      return this.keepClean(indexes, fetched);
    });
  }

  /** Store fetched chunks the overlay still lacks; a write that came first wins. A full quota
   *  only costs the cache: the read still gets its data. */
  private async keepClean(indexes: number[], fetched: CleanChunk[]): Promise<Map<number, unknown>> {
    this.gate.enterShared();
    try {
      const tx = this.db.transaction(STORE_CHUNKS, 'readwrite', { durability: 'relaxed' });
      const store = inTransaction(tx, STORE_CHUNKS);
      const now = await getMany(indexes, store);
      const values = indexes.map((_, k) => now[k] ?? fetched[k]);
      const add = indexes.flatMap((c, k): [number, CleanChunk][] =>
        now[k] === undefined ? [[c, fetched[k]]] : [],
      );
      if (add.length) void setMany(add, store).catch(() => undefined);
      await committed(tx);
      return new Map(indexes.map((c, k) => [c, values[k]]));
    } catch (e) {
      console.warn(
        `image "${this.name}": could not keep base chunks ${indexes[0]}..: ${String(e)}`,
      );
      return new Map(indexes.map((c, k) => [c, fetched[k]]));
    } finally {
      this.gate.leaveShared();
    }
  }

  /** Bytes [start, end) of the base, checked against the validators the overlay recorded. */
  private async fetchRange(start: number, end: number): Promise<Uint8Array> {
    const { i32, i64, L } = this.ctl;
    const b = this.base;
    const prior = Atomics.load(i32, L.image.backingFault);
    if (isPoisoning(prior))
      throw new BaseError(prior as BackingFault, `base ${b.url} refused earlier`);
    let res: Response;
    try {
      res = await fetch(b.url, {
        headers: { Range: `bytes=${start}-${end - 1}` },
        cache: 'no-store',
      });
    } catch (e) {
      throw this.fault(BackingFault.UNREACHABLE, `base ${b.url} does not answer: ${String(e)}`);
    }
    if (res.status === 200) {
      void res.body?.cancel();
      throw this.fault(
        BackingFault.NO_RANGE,
        `base ${b.url} ignored Range: bytes=${start}-${end - 1}`,
      );
    }
    if (res.status !== 206) {
      void res.body?.cancel();
      throw this.fault(
        BackingFault.UNREACHABLE,
        `base ${b.url} answered ${res.status} ${res.statusText}`,
      );
    }
    const etag = res.headers.get('ETag');
    const lastModified = res.headers.get('Last-Modified');
    const total = Number(res.headers.get('Content-Range')?.split('/')[1]);
    const changed =
      (b.etag !== null && etag !== b.etag) ||
      (b.etag === null && b.lastModified !== null && lastModified !== b.lastModified) ||
      total !== b.baseSize;
    if (changed) {
      void res.body?.cancel();
      throw this.fault(
        BackingFault.CHANGED,
        `base ${b.url} changed: ETag ${b.etag} -> ${etag}, Last-Modified ${b.lastModified} -> ` +
          `${lastModified}, size ${b.baseSize} -> ${total}`,
      );
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    Atomics.add(i64, L.image.baseFetchedBytes, BigInt(bytes.length));
    Atomics.add(i64, L.image.baseFetches, 1n);
    // The base answers again: a passing fault is over.
    Atomics.compareExchange(i32, L.image.backingFault, BackingFault.UNREACHABLE, BackingFault.NONE);
    if (bytes.length !== end - start) {
      throw this.fault(
        BackingFault.CHANGED,
        `base ${b.url} sent ${bytes.length} bytes for Range: bytes=${start}-${end - 1}`,
      );
    }
    return bytes;
  }

  /** Publish the first fault (a poisoning one replaces a passing one), for the page's message. */
  private fault(fault: BackingFault, message: string): BaseError {
    const { i32, L } = this.ctl;
    const at = L.image.backingFault;
    if (Atomics.compareExchange(i32, at, BackingFault.NONE, fault) !== BackingFault.NONE) {
      if (isPoisoning(fault)) Atomics.compareExchange(i32, at, BackingFault.UNREACHABLE, fault);
    }
    return new BaseError(fault, `image "${this.name}": ${message}`);
  }
}
