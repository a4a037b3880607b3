// The benchmark's disk images: fresh ones per run (never the demo's "default"), filled with
// random bytes where requests will read, and removed afterwards.

import { BlockIo } from '../../app/block/block-io.ts';
import { createImage, deleteImage, listImages } from '../../app/images/images.ts';
import {
  extentsOf,
  PREFILL_CHUNKS,
  PREFILL_INFLIGHT,
  randomBytes,
  runConcurrently,
} from '../shared/bench-loop.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';

const errnoOf = (e: unknown) => (e as { name?: unknown }).name;

export async function deleteIfPresent(name: string): Promise<void> {
  try {
    await deleteImage(name);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e;
  }
}

/**
 * Delete the images an earlier run left under `prefix`. One still open (EBUSY: a machine of a
 * run that timed out is still shutting down) is left alone; its run deletes it when it can.
 */
export async function sweepImages(prefix: string): Promise<void> {
  for (const { name } of await listImages()) {
    if (!name.startsWith(prefix)) continue;
    await deleteImage(name).catch((e: unknown) => {
      if (errnoOf(e) !== 'EBUSY' && errnoOf(e) !== 'ENOENT') throw e;
    });
  }
}

let runSeq = 0;

/** A name no other run of this page uses: `prefix` + what + a run id. */
export function freshImageName(prefix: string, what: string): string {
  runSeq++;
  return `${prefix}${what}-${Date.now().toString(36)}${runSeq}`;
}

/** Create a fresh image (deleting an earlier one of that name). */
export async function freshImage(name: string, sizeBytes: number, chunkSize: number) {
  await deleteIfPresent(name);
  return createImage(name, sizeBytes, { chunkSize });
}

/**
 * `fn` on a fresh image of its own, deleted afterwards (a failure to delete only warned): the
 * images earlier runs left under `prefix` are swept first.
 */
export async function withFreshImage<T>(
  prefix: string,
  what: string,
  sizeBytes: number,
  chunkSize: number,
  fn: (image: string) => Promise<T>,
): Promise<T> {
  await sweepImages(prefix);
  const image = freshImageName(prefix, what);
  await freshImage(image, sizeBytes, chunkSize);
  try {
    return await fn(image);
  } finally {
    await deleteIfPresent(image).catch((e: unknown) => console.warn(`bench: ${String(e)}`));
  }
}

/**
 * Random bytes in [0, regionBytes) of the image `name` through webaio.openBlock() (extents of
 * PREFILL_CHUNKS chunks, PREFILL_INFLIGHT in flight), so reads hit stored chunks; untimed.
 * Returns how long it took (ms).
 */
export async function prefillImage(
  name: string,
  regionBytes: number,
  chunkSize: number,
  seed: number,
): Promise<number> {
  const b = await BlockIo.open(name);
  try {
    const t0 = nowMs();
    const extentBytes = PREFILL_CHUNKS * chunkSize;
    const data = randomBytes(extentBytes, seed);
    await runConcurrently(extentsOf(regionBytes, extentBytes), PREFILL_INFLIGHT, ([off, n]) =>
      b.pwrite(off, data.subarray(0, n)),
    );
    return nowMs() - t0;
  } finally {
    await b.close();
  }
}

/** Delete an image when `until` settles (a machine still shutting down holds it), quietly. */
export function deleteLater(name: string, until: Promise<unknown>): void {
  void until
    .catch(() => undefined)
    .then(() => deleteImage(name))
    .catch((e: unknown) => console.warn(`bench: could not delete image "${name}": ${String(e)}`));
}
