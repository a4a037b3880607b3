// A worker's connection to an image's database, and idb-keyval stores bound to one transaction
// (idb-keyval's UseStore is its extension point for custom transactions).

import { promisifyRequest, type UseStore } from 'idb-keyval';
import { Errno, ErrnoError } from '../../app/shared/errno.ts';
import { IMAGE_DB_VERSION, imageDbName } from '../../app/shared/image-format.ts';

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
  return promisifyRequest(tx).then(
    () => undefined,
    (e: unknown) => {
      throw e ?? tx.error ?? new DOMException('transaction aborted', 'AbortError');
    },
  );
}
