// The disk manager's side of images (cf. qemu-img create/info): create (blank, or an overlay of a
// base over HTTP), inspect, list and delete image databases. The AIO workers open them for I/O;
// only this file creates them (an import too, through createImageDb()).

import { get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { probeBase } from './base-probe.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import {
  checkChunkSize,
  checkFetchBytes,
  checkImageName,
  checkVirtualSize,
  CHUNK_SIZE_DEFAULT,
  FETCH_BYTES_DEFAULT,
  IMAGE_DB_PREFIX,
  IMAGE_DB_VERSION,
  imageDbName,
  META_KEY,
  parseMeta,
  STORE_CHUNKS,
  STORE_META,
  type ImageInfo,
  type ImageMeta,
  type ImageName,
} from '../shared/block/image-format.ts';
import { imageUsers, withImageLock } from './image-lock.ts';

export interface CreateOptions {
  chunkSize?: number;
  /** Make an overlay of this base image (http(s) URL, relative to the page allowed); its size
   *  comes from the server. */
  backing?: string;
  /** Bytes per HTTP request to the base (default 256 KiB): a multiple of the chunk size. */
  fetchBytes?: number;
}

export function storeOf(
  db: IDBDatabase,
  storeName: string,
  durability: IDBTransactionDurability = 'default',
): UseStore {
  return (mode, callback) =>
    Promise.resolve(
      callback(db.transaction(storeName, mode, { durability }).objectStore(storeName)),
    );
}

export async function imageExists(name: string): Promise<boolean> {
  const dbs = await indexedDB.databases();
  return dbs.some((d) => d.name === imageDbName(name));
}

/** Open an image's database; ENOENT if there is none. */
export async function openDb(name: string): Promise<IDBDatabase> {
  if (!(await imageExists(name))) {
    throw new ErrnoError(Errno.ENOENT, `image "${name}" does not exist`);
  }
  const request = indexedDB.open(imageDbName(name), IMAGE_DB_VERSION);
  // It vanished between the check and the open: do not create it.
  request.onupgradeneeded = () => request.transaction?.abort();
  try {
    return await promisifyRequest(request);
  } catch (e) {
    throw new ErrnoError(Errno.ENOENT, `image "${name}" cannot be opened: ${String(e)}`);
  }
}

/** Read an image's metadata, checked (its name was, by whoever took it in). */
export async function readImageMeta(name: ImageName): Promise<ImageMeta> {
  const db = await openDb(name);
  try {
    if (!db.objectStoreNames.contains(STORE_META) || !db.objectStoreNames.contains(STORE_CHUNKS)) {
      throw new ErrnoError(
        Errno.EIO,
        `image "${name}" is missing its "${STORE_META}" or "${STORE_CHUNKS}" store`,
      );
    }
    return parseMeta(await get(META_KEY, storeOf(db, STORE_META)), name);
  } finally {
    db.close();
  }
}

/** Create the database of a new image with this metadata; EEXIST if the name is taken. The
 *  caller closes it. */
export async function createImageDb(name: string, meta: ImageMeta): Promise<IDBDatabase> {
  if (await imageExists(name)) throw new ErrnoError(Errno.EEXIST, `image "${name}" already exists`);
  const request = indexedDB.open(imageDbName(name), IMAGE_DB_VERSION);
  let created = false;
  request.onupgradeneeded = () => {
    if (request.result.objectStoreNames.length !== 0) return;
    request.result.createObjectStore(STORE_CHUNKS);
    request.result.createObjectStore(STORE_META);
    created = true;
  };
  const db = await promisifyRequest(request);
  if (!created) {
    db.close();
    throw new ErrnoError(Errno.EEXIST, `image "${name}" already exists`);
  }
  try {
    // Strict: an image whose metadata a power cut took would be unreadable (docs/durability.md).
    await set(META_KEY, meta, storeOf(db, STORE_META, 'strict'));
  } catch (e) {
    db.close();
    await dropImageDb(name);
    throw e;
  }
  return db;
}

/** Delete an image's database (the caller holds its lock, or made it and nobody else knows). */
export async function dropImageDb(name: string): Promise<void> {
  const request = indexedDB.deleteDatabase(imageDbName(name));
  request.onblocked = () =>
    console.warn(`deleting image "${name}" waits for another connection to close`);
  await promisifyRequest(request);
}

/** images.create(name, sizeBytes, opts) for a blank image, or images.create(name, { backing })
 *  for an overlay whose size is the base's. */
export async function createImage(
  name: string,
  sizeOrOpts: number | CreateOptions,
  maybeOpts: CreateOptions = {},
): Promise<ImageInfo> {
  checkImageName(name);
  const opts = typeof sizeOrOpts === 'object' && sizeOrOpts !== null ? sizeOrOpts : maybeOpts;
  const chunkSize = checkChunkSize(opts.chunkSize ?? CHUNK_SIZE_DEFAULT);
  const meta: ImageMeta = {
    format: 'raw',
    virtualSize: 0,
    chunkSize,
    created: Date.now(),
    generation: 0,
  };
  if (opts.backing !== undefined) {
    if (typeof sizeOrOpts === 'number') {
      throw new ErrnoError(
        Errno.EINVAL,
        `image "${name}": an overlay's size is its base's; give no size (got ${sizeOrOpts})`,
      );
    }
    const fetchBytes = checkFetchBytes(opts.fetchBytes ?? FETCH_BYTES_DEFAULT, chunkSize);
    if (await imageExists(name)) {
      throw new ErrnoError(Errno.EEXIST, `image "${name}" already exists`);
    }
    const base = await probeBase(opts.backing);
    if (base.size === 0 || base.size % 512 !== 0) {
      throw new ErrnoError(
        Errno.EINVAL,
        `base image ${base.url} is ${base.size} bytes, not a positive multiple of 512`,
      );
    }
    meta.virtualSize = checkVirtualSize(base.size);
    meta.backing = {
      url: base.url,
      baseSize: base.size,
      extent: base.size,
      etag: base.etag,
      lastModified: base.lastModified,
      fetchBytes,
    };
  } else {
    meta.virtualSize = checkVirtualSize(sizeOrOpts);
  }
  (await createImageDb(name, meta)).close();
  return infoOf(name, meta, 0, []);
}

function infoOf(name: string, meta: ImageMeta, chunks: number, inUse: string[]): ImageInfo {
  const info: ImageInfo = {
    name,
    format: 'raw',
    virtualSize: meta.virtualSize,
    actualSize: chunks * meta.chunkSize,
    chunkSize: meta.chunkSize,
    created: meta.created,
    inUse,
  };
  if (meta.backing) info.backing = { ...meta.backing };
  if (meta.importing) info.importing = true;
  return info;
}

async function chunkCount(name: string): Promise<number> {
  const db = await openDb(name);
  try {
    return await storeOf(db, STORE_CHUNKS)('readonly', (store) => promisifyRequest(store.count()));
  } finally {
    db.close();
  }
}

export async function imageInfo(name: string): Promise<ImageInfo> {
  const meta = await readImageMeta(checkImageName(name));
  const users = await imageUsers();
  return infoOf(name, meta, await chunkCount(name), users.get(name) ?? []);
}

/** Every image, by name. An unfinished import nobody holds is a crashed tab's: it is deleted
 *  here, so no half image is ever listed. An unreadable image is listed with its `error`. */
export async function listImages(): Promise<ImageInfo[]> {
  const dbs = await indexedDB.databases();
  const names = dbs
    .map((d) => d.name ?? '')
    .filter((n) => n.startsWith(IMAGE_DB_PREFIX))
    .map((n) => n.slice(IMAGE_DB_PREFIX.length))
    .sort();
  const users = await imageUsers();
  const infos = await Promise.all(
    names.map(async (name): Promise<ImageInfo | undefined> => {
      const inUse = users.get(name) ?? [];
      try {
        // A database named past the prefix by someone else is listed with the name's error.
        const meta = await readImageMeta(checkImageName(name));
        if (meta.importing && inUse.length === 0) {
          await withImageLock(name, 'delete', () => dropImageDb(name)).catch(() => undefined);
          return undefined;
        }
        return infoOf(name, meta, await chunkCount(name), inUse);
      } catch (e) {
        // Deleted meanwhile: not listed. Unreadable: listed with why, so it can be deleted.
        if (e instanceof ErrnoError && e.name === 'ENOENT') return undefined;
        const error = `${(e as Error).name}: ${(e as Error).message}`;
        const none: ImageMeta = {
          format: 'raw',
          virtualSize: 0,
          chunkSize: 0,
          created: 0,
          generation: 0,
        };
        return { ...infoOf(name, none, 0, inUse), error };
      }
    }),
  );
  return infos.filter((i) => i !== undefined);
}

/** Delete an image; EBUSY (naming who has it) while it is open in any tab. */
export async function deleteImage(name: string): Promise<void> {
  checkImageName(name);
  if (!(await imageExists(name))) {
    throw new ErrnoError(Errno.ENOENT, `image "${name}" does not exist`);
  }
  await withImageLock(name, 'delete', () => dropImageDb(name));
}
