// The disk manager's side of images (cf. qemu-img create/info): create, inspect, list and
// delete image databases. The AIO workers open them for I/O; only this file creates them.

import { get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { Errno, ErrnoError } from './shared/errno.ts';
import {
  checkChunkSize,
  checkImageName,
  checkVirtualSize,
  CHUNK_SIZE_DEFAULT,
  IMAGE_DB_PREFIX,
  IMAGE_DB_VERSION,
  imageDbName,
  META_KEY,
  parseMeta,
  STORE_CHUNKS,
  STORE_META,
  type ImageInfo,
  type ImageMeta,
} from './shared/image-format.ts';
import { withImageLock } from './image-lock.ts';

function storeOf(db: IDBDatabase, storeName: string): UseStore {
  return (mode, callback) =>
    Promise.resolve(callback(db.transaction(storeName, mode).objectStore(storeName)));
}

async function exists(name: string): Promise<boolean> {
  const dbs = await indexedDB.databases();
  return dbs.some((d) => d.name === imageDbName(name));
}

/** Open an image's database; ENOENT if there is none. */
async function openDb(name: string): Promise<IDBDatabase> {
  if (!(await exists(name))) throw new ErrnoError(Errno.ENOENT, `image "${name}" does not exist`);
  const request = indexedDB.open(imageDbName(name), IMAGE_DB_VERSION);
  // It vanished between the check and the open: do not create it.
  request.onupgradeneeded = () => request.transaction?.abort();
  try {
    return await promisifyRequest(request);
  } catch (e) {
    throw new ErrnoError(Errno.ENOENT, `image "${name}" cannot be opened: ${String(e)}`);
  }
}

/** Read an image's metadata, checked. */
export async function readImageMeta(name: string): Promise<ImageMeta> {
  checkImageName(name);
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

export async function createImage(
  name: string,
  sizeBytes: number,
  opts: { chunkSize?: number } = {},
): Promise<ImageInfo> {
  checkImageName(name);
  const virtualSize = checkVirtualSize(sizeBytes);
  const chunkSize = checkChunkSize(opts.chunkSize ?? CHUNK_SIZE_DEFAULT);
  if (await exists(name)) throw new ErrnoError(Errno.EEXIST, `image "${name}" already exists`);
  const request = indexedDB.open(imageDbName(name), IMAGE_DB_VERSION);
  let created = false;
  request.onupgradeneeded = () => {
    if (request.result.objectStoreNames.length !== 0) return;
    request.result.createObjectStore(STORE_CHUNKS);
    request.result.createObjectStore(STORE_META);
    created = true;
  };
  const db = await promisifyRequest(request);
  try {
    if (!created) throw new ErrnoError(Errno.EEXIST, `image "${name}" already exists`);
    const meta: ImageMeta = {
      format: 'raw',
      virtualSize,
      chunkSize,
      created: Date.now(),
      generation: 0,
    };
    await set(META_KEY, meta, storeOf(db, STORE_META));
    return { name, format: 'raw', virtualSize, actualSize: 0, chunkSize, created: meta.created };
  } finally {
    db.close();
  }
}

export async function imageInfo(name: string): Promise<ImageInfo> {
  const meta = await readImageMeta(name);
  const db = await openDb(name);
  try {
    const chunks = await storeOf(db, STORE_CHUNKS)('readonly', (store) =>
      promisifyRequest(store.count()),
    );
    return {
      name,
      format: 'raw',
      virtualSize: meta.virtualSize,
      actualSize: chunks * meta.chunkSize,
      chunkSize: meta.chunkSize,
      created: meta.created,
    };
  } finally {
    db.close();
  }
}

export async function listImages(): Promise<ImageInfo[]> {
  const dbs = await indexedDB.databases();
  const names = dbs
    .map((d) => d.name ?? '')
    .filter((n) => n.startsWith(IMAGE_DB_PREFIX))
    .map((n) => n.slice(IMAGE_DB_PREFIX.length))
    .sort();
  return Promise.all(names.map(imageInfo));
}

/** Delete an image; EBUSY while a backend or machine (in any tab) has it open. */
export async function deleteImage(name: string): Promise<void> {
  checkImageName(name);
  if (!(await exists(name))) throw new ErrnoError(Errno.ENOENT, `image "${name}" does not exist`);
  await withImageLock(name, async () => {
    const request = indexedDB.deleteDatabase(imageDbName(name));
    request.onblocked = () =>
      console.warn(`deleting image "${name}" waits for another connection to close`);
    await promisifyRequest(request);
  });
}
