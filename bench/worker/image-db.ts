// The ceiling worker's connection to an image's database: the same open as the AIO workers'
// (workers/block/image-db.ts), kept here because the benchmark imports nothing of workers/.

import { promisifyRequest } from 'idb-keyval';
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
