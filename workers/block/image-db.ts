// A worker's connection to an image's database, and idb-keyval stores bound to one transaction
// (idb-keyval's UseStore is its extension point for custom transactions).

import { promisifyRequest, type UseStore } from 'idb-keyval';
import { Errno, ErrnoError } from '../../app/shared/block/errno.ts';
import {
  IMAGE_DB_VERSION,
  imageDbName,
  META_KEY,
  STORE_META,
  type ImageMeta,
} from '../../app/shared/block/image-format.ts';

/** Open an existing image's database; never creates one (the page does that). */
export async function openImageDb(name: string): Promise<IDBDatabase> {
  const request = indexedDB.open(imageDbName(name), IMAGE_DB_VERSION);
  request.onupgradeneeded = () => request.transaction?.abort();
  try {
    const db = await promisifyRequest(request);
    db.onversionchange = () => db.close();
    return db;
  } catch (e) {
    throw new ErrnoError(Errno.ENOENT, `image "${name}" cannot be opened: ${String(e)}`);
  }
}

/** A UseStore that runs every idb-keyval call inside `tx`, on `storeName`. */
export function inTransaction(tx: IDBTransaction, storeName: string): UseStore {
  const store = tx.objectStore(storeName);
  // Call back synchronously, so the requests are issued while the transaction is active.
  return (_mode, callback) => {
    try {
      return Promise.resolve(callback(store));
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

/** Settles when `tx` commits; rejects with its error, or an AbortError if it had none. */
export function committed(tx: IDBTransaction): Promise<void> {
  // Listeners, not on* handlers: idb-keyval's calls set tx.oncomplete for their own promises.
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve(), { once: true });
    const fail = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
    tx.addEventListener('abort', fail, { once: true });
    tx.addEventListener('error', fail, { once: true });
  });
}

/** Update the image's metadata record in a strict transaction; resolves when it commits. */
export async function writeMeta(
  db: IDBDatabase,
  update: (meta: ImageMeta) => ImageMeta,
): Promise<void> {
  const tx = db.transaction(STORE_META, 'readwrite', { durability: 'strict' });
  const store = tx.objectStore(STORE_META);
  const get = store.get(META_KEY);
  get.onsuccess = () => {
    const meta = get.result as ImageMeta | undefined;
    if (meta) store.put(update(meta), META_KEY);
  };
  await committed(tx);
}

/** This thread's channel for nextTask(), and who waits on it (messages arrive in order). */
let taskChannel: MessageChannel | undefined;
const nextTaskWaiters: (() => void)[] = [];

/** One task boundary: a transaction whose last callback ran in this task is finished after it,
 *  so the worker may block in Atomics.wait without holding its store. */
export function nextTask(): Promise<void> {
  if (!taskChannel) {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => nextTaskWaiters.shift()?.();
    taskChannel = ch;
  }
  const ch = taskChannel;
  return new Promise((resolve) => {
    nextTaskWaiters.push(resolve);
    ch.port2.postMessage(null);
  });
}
