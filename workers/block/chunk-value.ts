// A chunk's stored value as bytes (the format's ChunkValue, app/shared/block/image-format.ts): data
// written to the image, an overlay's clean chunk fetched from its base, or a tombstone.

import { ZERO_CHUNK } from '../../app/shared/block/image-format.ts';

/** The chunk's bytes, or undefined when it reads as zeros (missing, or a tombstone). Throws
 *  naming the chunk if storage holds anything else. */
export function decodeChunk(
  value: unknown,
  chunkIndex: number,
  chunkSize: number,
): Uint8Array | undefined {
  if (value === undefined || value === ZERO_CHUNK) return undefined;
  const buf =
    typeof value === 'object' && value !== null && 'clean' in value
      ? (value as { clean: unknown }).clean
      : value;
  if (!(buf instanceof ArrayBuffer) || buf.byteLength !== chunkSize) {
    throw new Error(
      `chunk ${chunkIndex} holds ${Object.prototype.toString.call(buf)} ` +
        `of ${(buf as { byteLength?: number } | null)?.byteLength} bytes, not ${chunkSize}`,
    );
  }
  return new Uint8Array(buf);
}
