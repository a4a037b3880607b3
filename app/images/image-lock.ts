// One writer per image (docs/api.md, "Images"): a Web Lock named after the image, held for as long as a
// block backend, a machine, an import, an export or a resize has it open — in this tab or any
// other of the same origin. A second, shared lock beside it names the holder, so the disk manager
// can say who has an image (navigator.locks.query() sees every tab's locks).

import { Errno, ErrnoError } from '../shared/block/errno.ts';

const lockName = (image: string) => `webaio-image:${image}`;
const USER_PREFIX = 'webaio-image-user:';
const userLockName = (image: string, holder: string) =>
  `${USER_PREFIX}${encodeURIComponent(image)}:${holder}`;

const inUse = (image: string, by: string[]) =>
  new ErrnoError(
    Errno.EBUSY,
    `image "${image}" is in use${by.length ? ` by ${by.join(', ')}` : ''} (open in this tab or another one)`,
  );

/** Hold a lock until the returned function is called; undefined if `ifAvailable` found it held. */
function hold(name: string, mode: LockMode): Promise<(() => void) | undefined> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, { ifAvailable: true, mode }, (lock) => {
        if (!lock) {
          resolve(undefined);
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/** Take the image's lock for `holder` or fail with EBUSY (naming who has it) at once; resolves
 *  with the function that frees it. */
export async function acquireImageLock(image: string, holder = 'openBlock'): Promise<() => void> {
  const release = await hold(lockName(image), 'exclusive');
  if (!release) throw inUse(image, (await imageUsers()).get(image) ?? []);
  const releaseUser = await hold(userLockName(image, holder), 'shared');
  return () => {
    releaseUser?.();
    release();
  };
}

/** Run `fn` holding the image's lock; EBUSY if someone else holds it. */
export async function withImageLock<T>(
  image: string,
  holder: string,
  fn: () => Promise<T>,
): Promise<T> {
  const release = await acquireImageLock(image, holder);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Who holds each image that is open anywhere: image name -> holders. */
export async function imageUsers(): Promise<Map<string, string[]>> {
  const { held = [] } = await navigator.locks.query();
  const users = new Map<string, string[]>();
  for (const lock of held) {
    const name = lock.name ?? '';
    if (!name.startsWith(USER_PREFIX)) continue;
    const rest = name.slice(USER_PREFIX.length);
    const colon = rest.indexOf(':');
    const image = decodeURIComponent(rest.slice(0, colon));
    users.set(image, [...(users.get(image) ?? []), rest.slice(colon + 1)]);
  }
  return users;
}
