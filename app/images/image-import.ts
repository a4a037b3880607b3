// images.import: a raw disk image from a File, Blob or ReadableStream into a new image, streamed:
// memory holds a few batches of chunks, never the file. All-zero chunks are not stored (the image
// stays sparse). A cancelled or failed import deletes what it wrote: there is never a half image.

import { setMany } from 'idb-keyval';
import { withImageLock } from './image-lock.ts';
import { createImageDb, dropImageDb, imageExists, imageInfo, storeOf } from './images.ts';
import { SECTOR_SIZE } from '../shared/block/block.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import {
  checkChunkSize,
  checkImageName,
  checkVirtualSize,
  CHUNK_SIZE_DEFAULT,
  META_KEY,
  STORE_CHUNKS,
  STORE_META,
  type ImageInfo,
  isZeroChunk,
  type ImageMeta,
} from '../shared/block/image-format.ts';
import { storageEstimate } from './storage.ts';

export interface ImportProgress {
  bytesDone: number;
  /** undefined for a stream of unknown size. */
  totalBytes: number | undefined;
  bytesPerSecond: number;
  secondsLeft: number | undefined;
  /** Chunks written so far (all-zero ones are skipped). */
  chunksStored: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  chunkSize?: number;
  /** The size of a ReadableStream source, if known: checked before writing, and at the end. */
  size?: number;
}

/** Chunks per transaction, and transactions in flight: what bounds the import's memory. */
const BATCH_CHUNKS = 64;
const BATCHES_IN_FLIGHT = 2;
const PROGRESS_EVERY_MS = 100;

function sourceStream(source: unknown, name: string): ReadableStream<Uint8Array> {
  if (source instanceof Blob) return source.stream();
  if (source instanceof ReadableStream) return source as ReadableStream<Uint8Array>;
  throw new ErrnoError(
    Errno.EINVAL,
    `import of "${name}": source is ${Object.prototype.toString.call(source)}, not a File, Blob or ReadableStream`,
  );
}

function checkSize(name: string, what: string, size: number): number {
  if (size === 0 || size % SECTOR_SIZE !== 0) {
    throw new ErrnoError(
      Errno.EINVAL,
      `import of "${name}": ${what} is ${size} bytes, not a positive multiple of ${SECTOR_SIZE} ` +
        `(a raw disk image is whole sectors); nothing was written`,
    );
  }
  return checkVirtualSize(size);
}

export async function importImage(
  name: string,
  source: Blob | ReadableStream<Uint8Array>,
  opts: ImportOptions = {},
): Promise<ImageInfo> {
  checkImageName(name);
  const chunkSize = checkChunkSize(opts.chunkSize ?? CHUNK_SIZE_DEFAULT);
  const stream = sourceStream(source, name);
  const what = source instanceof File ? `file "${source.name}"` : 'the source';
  const total =
    source instanceof Blob
      ? checkSize(name, what, source.size)
      : opts.size === undefined
        ? undefined
        : checkSize(name, 'the given size', opts.size);
  if (await imageExists(name)) {
    throw new ErrnoError(Errno.EEXIST, `image "${name}" already exists; nothing was imported`);
  }
  if (total !== undefined) {
    const { usage, quota } = await storageEstimate();
    if (total > quota - usage) {
      throw new ErrnoError(
        Errno.ENOSPC,
        `image "${name}" of ${total} bytes does not fit: storage holds ${usage} of ${quota} ` +
          `bytes, ${quota - usage} free; nothing was written`,
      );
    }
  }
  const { signal } = opts;
  const cancelled = (done: number) =>
    new ErrnoError(
      Errno.ECANCELED,
      `import of "${name}" cancelled after ${done} of ${total ?? '?'} bytes; nothing is kept`,
    );
  if (signal?.aborted) throw cancelled(0);

  await withImageLock(name, 'import', async () => {
    const meta: ImageMeta = {
      format: 'raw',
      virtualSize: total ?? SECTOR_SIZE,
      chunkSize,
      created: Date.now(),
      generation: 0,
      importing: true,
    };
    const db = await createImageDb(name, meta);
    const reader = stream.getReader();
    let bytesDone = 0;
    try {
      const chunks = storeOf(db, STORE_CHUNKS);
      const inflight: Promise<void>[] = [];
      let failure: unknown;
      let batch: [number, ArrayBuffer][] = [];
      let stored = 0;
      const putBatch = async () => {
        if (batch.length === 0) return;
        const entries = batch;
        batch = [];
        stored += entries.length;
        const p = setMany(entries, chunks);
        p.catch((e: unknown) => (failure ??= e));
        inflight.push(p);
        if (inflight.length >= BATCHES_IN_FLIGHT) await inflight.shift()?.catch(() => undefined);
      };
      let chunk = new Uint8Array(chunkSize);
      let fill = 0;
      let chunkIndex = 0;
      const endChunk = async () => {
        if (!isZeroChunk(chunk)) {
          batch.push([chunkIndex, chunk.buffer]);
          chunk = new Uint8Array(chunkSize);
        }
        // An all-zero chunk is not stored: its buffer is still zeros, and is reused.
        chunkIndex++;
        fill = 0;
        if (batch.length >= BATCH_CHUNKS) await putBatch();
      };
      const t0 = performance.now();
      let lastReport = -Infinity;
      const report = (force: boolean) => {
        const now = performance.now();
        if (!opts.onProgress || (!force && now - lastReport < PROGRESS_EVERY_MS)) return;
        lastReport = now;
        const rate = bytesDone / Math.max((now - t0) / 1000, 1e-3);
        opts.onProgress({
          bytesDone,
          totalBytes: total,
          bytesPerSecond: rate,
          secondsLeft: total === undefined || rate === 0 ? undefined : (total - bytesDone) / rate,
          chunksStored: stored,
        });
      };
      for (;;) {
        if (signal?.aborted) throw cancelled(bytesDone);
        if (failure !== undefined) throw failure;
        const { value, done } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) {
          throw new ErrnoError(
            Errno.EINVAL,
            `import of "${name}": the stream gave ${Object.prototype.toString.call(value)}, not a Uint8Array`,
          );
        }
        for (let off = 0; off < value.length;) {
          const n = Math.min(chunkSize - fill, value.length - off);
          chunk.set(value.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === chunkSize) await endChunk();
        }
        bytesDone += value.length;
        if (total !== undefined && bytesDone > total) {
          throw new ErrnoError(
            Errno.EINVAL,
            `import of "${name}": the stream gave more than its size of ${total} bytes`,
          );
        }
        report(false);
      }
      if (fill > 0) {
        chunk.fill(0, fill);
        await endChunk();
      }
      await putBatch();
      await Promise.all(inflight);
      if (failure !== undefined) throw failure;
      const size = checkSize(name, `${what}'s length`, bytesDone);
      if (total !== undefined && size !== total) {
        throw new ErrnoError(
          Errno.EIO,
          `import of "${name}": the stream ended after ${size} of its ${total} bytes`,
        );
      }
      const finished: ImageMeta = { ...meta, virtualSize: size };
      delete finished.importing;
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(STORE_META, 'readwrite', { durability: 'strict' });
        tx.objectStore(STORE_META).put(finished, META_KEY);
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
      report(true);
    } catch (e) {
      void reader.cancel().catch(() => undefined);
      db.close();
      await dropImageDb(name).catch(() => undefined);
      if ((e as { name?: unknown } | null)?.name === 'QuotaExceededError') {
        throw new ErrnoError(
          Errno.ENOSPC,
          `import of "${name}": the storage quota filled up after ${bytesDone} of ` +
            `${total ?? '?'} bytes; the import was undone, nothing is kept`,
        );
      }
      throw e;
    }
    db.close();
  });
  return imageInfo(name);
}
