// Opening an image for a block backend (cf. blk_new_open() in block/block-backend.c): its Web
// Lock for the holder (one writer per image, any tab), its metadata, and for an overlay the check
// that its base has not changed since.

import { checkBaseUnchanged } from '../images/base-probe.ts';
import type { BlockConfig } from './block-config.ts';
import { acquireImageLock } from '../images/image-lock.ts';
import { readImageMeta } from '../images/images.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import type { ImageMeta } from '../shared/block/image-format.ts';

/** An image opened for a front end: its configuration, metadata and lock's release. */
export interface OpenedImage {
  config: BlockConfig;
  meta: ImageMeta;
  release(): void;
}

/** Take the image's lock for `holder` (EBUSY if held), read its metadata; an overlay's base
 *  must not have changed (EIO). */
export async function openImage(config: BlockConfig, holder: string): Promise<OpenedImage> {
  const { image } = config;
  const release = await acquireImageLock(image, holder);
  try {
    const meta = await readImageMeta(image);
    if (meta.importing) {
      throw new ErrnoError(Errno.EIO, `image "${image}" is an import that did not finish`);
    }
    if (meta.backing) await checkBaseUnchanged(image, meta.backing);
    return { config, meta, release };
  } catch (e) {
    release();
    throw e;
  }
}
