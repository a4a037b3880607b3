// images.resize (cf. qemu-img resize): grow, or shrink only when asked to (--shrink), discarding
// what lies beyond the new end. One transaction over chunks and metadata, so a failed resize
// changes nothing; the bytes past the end read as zeros if the image grows again.

import { promisifyRequest } from 'idb-keyval';
import { withImageLock } from './image-lock.ts';
import { imageInfo, openDb, readImageMeta } from './images.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import {
  checkImageName,
  checkVirtualSize,
  META_KEY,
  STORE_CHUNKS,
  STORE_META,
  ZERO_CHUNK,
  type ImageInfo,
  type ImageMeta,
} from '../shared/block/image-format.ts';

export interface ResizeOptions {
  /** Allow a smaller size: everything past it is discarded. */
  shrink?: boolean;
}

/** The last chunk's bytes past `keep` zeroed, as written data; undefined if it reads as zeros. */
function cutChunk(value: unknown, keep: number): ArrayBuffer | undefined {
  if (value === undefined || value === ZERO_CHUNK) return undefined;
  const src =
    typeof value === 'object' && value !== null && 'clean' in value
      ? (value as { clean: unknown }).clean
      : value;
  if (!(src instanceof ArrayBuffer)) return undefined;
  const chunk = new Uint8Array(src.slice(0));
  chunk.fill(0, keep);
  return chunk.buffer;
}

export async function resizeImage(
  name: string,
  sizeBytes: number,
  opts: ResizeOptions = {},
): Promise<ImageInfo> {
  const image = checkImageName(name);
  const size = checkVirtualSize(sizeBytes);
  await withImageLock(name, 'resize', async () => {
    const meta = await readImageMeta(image);
    if (meta.importing) {
      throw new ErrnoError(Errno.EBUSY, `image "${name}" is still being imported`);
    }
    const old = meta.virtualSize;
    if (size < old && opts.shrink !== true) {
      throw new ErrnoError(
        Errno.EINVAL,
        `shrinking image "${name}" from ${old} to ${size} bytes discards the ${old - size} ` +
          `bytes past ${size}: pass { shrink: true } to do it`,
      );
    }
    if (size === old) return;
    const next: ImageMeta = { ...meta, virtualSize: size };
    if (meta.backing && size < meta.backing.extent) {
      // Past the new end the base must never show again, even if the image grows back.
      next.backing = { ...meta.backing, extent: size };
    }
    const db = await openDb(name);
    try {
      const tx = db.transaction([STORE_CHUNKS, STORE_META], 'readwrite', { durability: 'strict' });
      const done = promisifyRequest(tx);
      if (size < old) {
        const chunks = tx.objectStore(STORE_CHUNKS);
        const firstGone = Math.ceil(size / meta.chunkSize);
        chunks.delete(IDBKeyRange.lowerBound(firstGone));
        const keep = size % meta.chunkSize;
        if (keep) {
          const last = firstGone - 1;
          const get = chunks.get(last);
          get.onsuccess = () => {
            const cut = cutChunk(get.result, keep);
            if (cut) chunks.put(cut, last);
          };
        }
      }
      tx.objectStore(STORE_META).put(next, META_KEY);
      await done;
    } finally {
      db.close();
    }
  });
  return imageInfo(name);
}
