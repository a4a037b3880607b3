// The disk image format (DESIGN.md §6): one IndexedDB database per image, a store of fixed-size
// chunks keyed by chunk index and a store holding one metadata record. Byte n of the disk is
// byte n of the image; a missing chunk reads as zeros. This file has the names and the checks;
// the page and the workers each do their own IndexedDB calls.

import { SECTOR_SIZE } from './block.ts';
import { Errno, ErrnoError } from './errno.ts';

export const IMAGE_DB_PREFIX = 'webaio-image:';
export const IMAGE_DB_VERSION = 1;
export const STORE_CHUNKS = 'chunks';
export const STORE_META = 'meta';
export const META_KEY = 'image';

export const CHUNK_SIZE_MIN = 4096;
export const CHUNK_SIZE_MAX = 32768;
/** Chromium keeps values of 64 KiB and more as separate blob files, about 2x slower. */
export const CHUNK_SIZE_DEFAULT = 32768;
/** 1 TiB: far beyond what a browser will store, small enough for exact doubles everywhere. */
export const VIRTUAL_SIZE_MAX = 2 ** 40;

/** The metadata record. `generation` counts flushes that reached the disk. */
export interface ImageMeta {
  format: 'raw';
  virtualSize: number;
  chunkSize: number;
  created: number;
  generation: number;
}

export interface ImageInfo {
  name: string;
  format: 'raw';
  virtualSize: number;
  /** Bytes of the chunks actually stored (sparse images store less). */
  actualSize: number;
  chunkSize: number;
  created: number;
}

export const imageDbName = (name: string) => `${IMAGE_DB_PREFIX}${name}`;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkImageName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new ErrnoError(
      Errno.EINVAL,
      `image name ${JSON.stringify(name)} is not 1-64 letters, digits, ".", "_" or "-" ` +
        `starting with a letter or digit`,
    );
  }
  return name;
}

export function checkChunkSize(chunkSize: unknown): number {
  const ok =
    typeof chunkSize === 'number' &&
    Number.isInteger(chunkSize) &&
    chunkSize >= CHUNK_SIZE_MIN &&
    chunkSize <= CHUNK_SIZE_MAX &&
    (chunkSize & (chunkSize - 1)) === 0;
  if (!ok) {
    throw new ErrnoError(
      Errno.EINVAL,
      `chunk size ${String(chunkSize)} is not a power of two from ${CHUNK_SIZE_MIN} to ${CHUNK_SIZE_MAX}`,
    );
  }
  return chunkSize;
}

export function checkVirtualSize(sizeBytes: unknown): number {
  const ok =
    typeof sizeBytes === 'number' &&
    Number.isSafeInteger(sizeBytes) &&
    sizeBytes > 0 &&
    sizeBytes <= VIRTUAL_SIZE_MAX &&
    sizeBytes % SECTOR_SIZE === 0;
  if (!ok) {
    throw new ErrnoError(
      Errno.EINVAL,
      `image size ${String(sizeBytes)} is not a positive multiple of ${SECTOR_SIZE} bytes ` +
        `up to ${VIRTUAL_SIZE_MAX}`,
    );
  }
  return sizeBytes;
}

/** Check a metadata record read from storage (it may come from an older or foreign writer). */
export function parseMeta(value: unknown, name: string): ImageMeta {
  const bad = (why: string) =>
    new ErrnoError(Errno.EIO, `image "${name}" has unreadable metadata: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad(`record is ${String(value)}`);
  const m = value as Record<string, unknown>;
  if (m.format !== 'raw') throw bad(`format ${JSON.stringify(m.format)} is not "raw"`);
  for (const key of ['virtualSize', 'chunkSize', 'created', 'generation'] as const) {
    if (typeof m[key] !== 'number') throw bad(`${key} ${JSON.stringify(m[key])} is not a number`);
  }
  try {
    checkVirtualSize(m.virtualSize);
    checkChunkSize(m.chunkSize);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return {
    format: 'raw',
    virtualSize: m.virtualSize as number,
    chunkSize: m.chunkSize as number,
    created: m.created as number,
    generation: m.generation as number,
  };
}
