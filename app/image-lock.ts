// One writer per image (DESIGN.md §6): a Web Lock named after the image, held for as long as a
// block backend or a machine has it open — in this tab or any other of the same origin.

import { Errno, ErrnoError } from './shared/errno.ts';

const lockName = (image: string) => `webaio-image:${image}`;

const inUse = (image: string) =>
  new ErrnoError(Errno.EBUSY, `image "${image}" is in use (open in this tab or another one)`);

/** Take the image's lock or fail with EBUSY at once; resolves with the function that frees it. */
export function acquireImageLock(image: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(lockName(image), { ifAvailable: true }, (lock) => {
        if (!lock) {
          reject(inUse(image));
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/** Run `fn` holding the image's lock; EBUSY if someone else holds it. */
export async function withImageLock<T>(image: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireImageLock(image);
  try {
    return await fn();
  } finally {
    release();
  }
}
